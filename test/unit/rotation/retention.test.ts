// Retired keys: kept until retiresAt, ten at most (oldest first out), and keys replaced in place in a
// user Secret found from the previous status, with retainFor alone.
import type { KeyStatus, RetiredKey } from '../../../src/api/types.js';
import { MAX_RETIRED_KEYS, promotedUnseen, replacedInPlace, retain } from '../../../src/rotation/retention.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const H = 3_600_000;
const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
const jwk = (kid: string) => ({ kty: 'RSA', kid, use: 'sig', alg: 'RS256', n: `n-${kid}`, e: 'AQAB' });
const retired = (kid: string, at: number): RetiredKey => ({ kid, secretName: 's', retiresAt: iso(at), jwk: jwk(kid) });

describe('retain', () => {
  it('keeps a key until its retiresAt and drops it at that moment', () => {
    const prev = [retired('a', T0 + H)];
    expect(retain(prev, [], T0 + H - 1)).toEqual({ retired: prev, expired: [], evicted: [], dueAt: T0 + H });
    expect(retain(prev, [], T0 + H)).toEqual({ retired: [], expired: prev, evicted: [] });
  });

  it('adds replaced keys soonest-first; a key retired again keeps the later retiresAt', () => {
    const r = retain([retired('a', T0 + 5 * H)], [
      { kid: 'b', secretName: 's', jwk: jwk('b'), retiresAt: T0 + 2 * H },
      { kid: 'a', secretName: 's', jwk: jwk('a'), retiresAt: T0 + 9 * H },
    ], T0);
    expect(r.retired.map((k) => [k.kid, k.retiresAt])).toEqual([['b', iso(T0 + 2 * H)], ['a', iso(T0 + 9 * H)]]);
    const again = retain(r.retired, [{ kid: 'a', secretName: 's', jwk: jwk('a'), retiresAt: T0 + 3 * H }], T0);
    expect(again.retired.find((k) => k.kid === 'a')?.retiresAt).toBe(iso(T0 + 9 * H));
  });

  it('holds ten at most: the oldest goes first', () => {
    const prev = Array.from({ length: MAX_RETIRED_KEYS }, (_, i) => retired(`k${i}`, T0 + (i + 1) * H));
    const r = retain(prev, [{ kid: 'new', secretName: 's', jwk: jwk('new'), retiresAt: T0 + 100 * H }], T0);
    expect(r.retired).toHaveLength(10);
    expect(r.evicted.map((k) => k.kid)).toEqual(['k0']);
    expect(r.retired.at(-1)?.kid).toBe('new');
    expect(r.dueAt).toBe(T0 + 2 * H);
  });
});

describe('replacedInPlace', () => {
  const key = (over: Partial<KeyStatus>): KeyStatus => ({
    secretName: 'tls', kid: 'old', role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: false, publishedSince: iso(T0), state: 'Active', ...over,
  });
  const known = (kid: string) => (kid === 'old' || kid === 'v1' ? jwk(kid) : undefined);

  it('finds a user Secret whose key changed in place, signing or verify-only', () => {
    expect(replacedInPlace([key({})], [{ secretName: 'tls', kid: 'new', generated: false }], known)).toEqual([{ kid: 'old', secretName: 'tls', jwk: jwk('old') }]);
    expect(replacedInPlace([key({ secretName: 'v', kid: 'v1', role: 'VerifyOnly', state: 'Verify' })], [{ secretName: 'v', kid: 'v2', generated: false }], known))
      .toEqual([{ kid: 'v1', secretName: 'v', jwk: jwk('v1') }]);
  });

  it('leaves out a removed ref (revoked at once), an unchanged key, a key still served elsewhere, generated Secrets and unknown JWKs', () => {
    expect(replacedInPlace([key({})], [], known)).toEqual([]);
    expect(replacedInPlace([key({})], [{ secretName: 'tls', kid: 'old', generated: false }], known)).toEqual([]);
    expect(replacedInPlace([key({})], [{ secretName: 'tls', kid: 'new', generated: false }, { secretName: 'other', kid: 'old', generated: false }], known)).toEqual([]);
    expect(replacedInPlace([key({ generated: true })], [{ secretName: 'tls', kid: 'new', generated: true }], known)).toEqual([]);
    expect(replacedInPlace([key({ kid: 'lost' })], [{ secretName: 'tls', kid: 'new', generated: false }], known)).toEqual([]);
    expect(replacedInPlace([key({ state: 'Retired' })], [{ secretName: 'tls', kid: 'new', generated: false }], known)).toEqual([]);
  });
});

describe('promotedUnseen', () => {
  const active = (over: Partial<KeyStatus> = {}): KeyStatus => ({
    secretName: 'gen', kid: 'old', role: 'SignAndVerify', algorithm: 'ES256', keySize: 256, generated: true, publishedSince: iso(T0), state: 'Active', ...over,
  });
  const next: KeyStatus = { ...active(), kid: 'nxt', role: 'VerifyOnly', state: 'Next', activatesAt: iso(T0 + H) };
  const known = (kid: string) => (kid === 'old' ? jwk(kid) : undefined);

  it('keeps the old key when the Secret already holds the key the status called Next', () => {
    expect(promotedUnseen([active(), next], [{ secretName: 'gen', kid: 'nxt', generated: true }], known)).toEqual([{ kid: 'old', secretName: 'gen', jwk: jwk('old') }]);
  });

  it('drops it after an emergency rotation (a new key that was never Next), and ignores unchanged, user and retired keys', () => {
    expect(promotedUnseen([active(), next], [{ secretName: 'gen', kid: 'fresh', generated: true }], known)).toEqual([]);
    expect(promotedUnseen([active(), next], [{ secretName: 'gen', kid: 'old', generated: true }], known)).toEqual([]);
    expect(promotedUnseen([active({ generated: false }), { ...next, generated: false }], [{ secretName: 'gen', kid: 'nxt', generated: false }], known)).toEqual([]);
    expect(promotedUnseen([active({ state: 'Retired' }), next], [{ secretName: 'gen', kid: 'nxt', generated: true }], known)).toEqual([]);
  });
});
