// The one Go-duration parser: the values Go's time.ParseDuration accepts, with their values, and
// the ones it refuses (Go's own test table, time/time_test.go, is the reference for these cases).
import { formatDuration, parseDuration } from '../../../src/api/duration.js';

describe('parseDuration reads what time.ParseDuration reads', () => {
  it.each([
    ['0', 0], ['5s', 5000], ['30s', 30_000], ['1478s', 1_478_000], ['-5s', -5000], ['+5s', 5000], ['-0', 0], ['+0', 0],
    ['5.0s', 5000], ['5.6s', 5600], ['5.s', 5000], ['.5s', 500], ['1.0s', 1000], ['1.00s', 1000], ['1.004s', 1004],
    ['100.00100s', 100_001], ['10ns', 0.00001], ['11us', 0.011], ['12µs', 0.012], ['12μs', 0.012], ['13ms', 13],
    ['14s', 14_000], ['15m', 900_000], ['16h', 57_600_000], ['3h30m', 12_600_000], ['10.5s4m', 250_500],
    ['-2m3.4s', -123_400], ['1h2m3s4ms5us6ns', 3_723_004.005006], ['39h9m14.425s', 140_954_425], ['720h', 2_592_000_000],
    ['1h30m', 5_400_000], ['90s', 90_000], ['.5h', 1_800_000], ['0.3333333333333333333h', 1_200_000], ['2562047h', 9_223_369_200_000],
  ])('%s → %d ms', (text, ms) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 6);
  });

  it.each([
    '', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '1w', '1 h', ' 1h', '1h ', '1H', '1hour', '1h-30m', '1e3s', '0x10s', 'P1D', '1:00',
    // Past Go's int64 nanoseconds.
    '9223372036854775808ns', '2562048h', '9999999999h',
  ])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('accepts the largest duration Go holds, on either side of zero', () => {
    expect(parseDuration('9223372036854775807ns')).toBeCloseTo(9_223_372_036_854.775, 2);
    expect(parseDuration('-9223372036854775808ns')).toBeCloseTo(-9_223_372_036_854.775, 2);
  });
});

describe('formatDuration writes Go’s canonical form', () => {
  it.each([
    [0, '0s'], [500, '500ms'], [1000, '1s'], [1500, '1.5s'], [90_000, '1m30s'], [600_000, '10m0s'],
    [5_400_000, '1h30m0s'], [86_400_000, '24h0m0s'], [-90_000, '-1m30s'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
