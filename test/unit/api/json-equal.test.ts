// jsonEqual (src/api/json-equal.ts) decides whether a status is written: it must agree with
// comparing the two values' JSON, member order aside.
import { jsonEqual } from '../../../src/api/json-equal.js';

it('ignores member order and undefined members, as the JSON the API server keeps does', () => {
  expect(jsonEqual({ a: 1, b: { c: 'x', d: undefined } }, { b: { c: 'x' }, a: 1 })).toBe(true);
  expect(jsonEqual({ keys: [{ kid: 'a', state: undefined }] }, { keys: [{ kid: 'a' }] })).toBe(true);
});

it('sees every change of a value, a member or an array', () => {
  expect(jsonEqual({ a: 1 }, { a: 2 })).toBe(false);
  expect(jsonEqual({ a: 1 }, { a: 1, b: 0 })).toBe(false);
  expect(jsonEqual({ a: '1' }, { a: 1 })).toBe(false);
  expect(jsonEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  expect(jsonEqual({ a: [1] }, { a: [1, 1] })).toBe(false);
  expect(jsonEqual({ a: null }, { a: {} })).toBe(false);
  expect(jsonEqual({ a: [] }, { a: {} })).toBe(false);
  expect(jsonEqual({ a: { b: { c: [true] } } }, { a: { b: { c: [false] } } })).toBe(false);
});

it('agrees with comparing JSON on an array element that is undefined (written as null)', () => {
  expect(jsonEqual([undefined], [null])).toBe(true);
});
