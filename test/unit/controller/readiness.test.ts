// /readyz: listed, and every listed AuthServer published, except one that keeps failing, whose
// failure must not hold the replica (and every other issuer) out of a rolling update.
import { FAILURES_THAT_SETTLE, readinessOf } from '../../../src/controller/readiness.js';

const listed = ['a/one', 'a/two', 'b/three'];

it('is not ready before the first list', () => {
  expect(readinessOf({ synced: false, listed: [], published: new Set(), failures: new Map() })).toEqual({ ready: false, message: 'waiting for the first list of AuthServers and Secrets' });
});

it('waits for every listed AuthServer to be published', () => {
  expect(readinessOf({ synced: true, listed, published: new Set(['a/one']), failures: new Map() })).toEqual({ ready: false, message: 'waiting for 2 of 3 AuthServers to be published' });
  expect(readinessOf({ synced: true, listed, published: new Set(listed), failures: new Map() }).ready).toBe(true);
});

it('keeps waiting for an AuthServer whose reconcile failed fewer times than settle it (a transient error)', () => {
  const failures = new Map([['b/three', FAILURES_THAT_SETTLE - 1]]);
  expect(readinessOf({ synced: true, listed, published: new Set(['a/one', 'a/two']), failures }).ready).toBe(false);
});

it('does not let one AuthServer that keeps failing hold the replica unready', () => {
  const failures = new Map([['b/three', FAILURES_THAT_SETTLE]]);
  expect(readinessOf({ synced: true, listed, published: new Set(['a/one', 'a/two']), failures })).toEqual({ ready: true, message: 'ok' });
  expect(readinessOf({ synced: true, listed, published: new Set(['a/one']), failures }).ready).toBe(false);
});
