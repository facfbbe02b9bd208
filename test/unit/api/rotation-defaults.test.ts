// The rotation defaults (docs/architecture.md#rotation): publishAhead = max(10m, 2 × cacheMaxAge + 30 s), retainFor = 24h.
import { effectiveSpec } from '../../../src/api/defaults.js';
import type { AuthServerSpec } from '../../../src/api/types.js';

const spec = (extra: Partial<AuthServerSpec>): AuthServerSpec => ({
  issuerURI: 'https://login.example.com',
  tokenSignature: { signAndVerifyKeyRef: { name: 'k' }, rotation: { period: '720h' } },
  ...extra,
});

it('defaults publishAhead to 10 minutes while 2 × max-age + 30 s is shorter, and retainFor to 24 hours', () => {
  const r = effectiveSpec(spec({ jwks: { cacheMaxAgeSeconds: 60 } })).rotation;
  expect(r.publishAheadMs).toBe(10 * 60_000);
  expect(r.retainForMs).toBe(24 * 3600_000);
});

it('defaults publishAhead to 2 × max-age + 30 s when that is longer than 10 minutes', () => {
  expect(effectiveSpec(spec({ jwks: { cacheMaxAgeSeconds: 3600 } })).rotation.publishAheadMs).toBe((2 * 3600 + 30) * 1000);
});

it('keeps values that are set', () => {
  const r = effectiveSpec(spec({ tokenSignature: { signAndVerifyKeyRef: { name: 'k' }, rotation: { period: '720h', publishAhead: '2h', retainFor: '1h30m' } } })).rotation;
  expect(r).toMatchObject({ periodMs: 720 * 3600_000, publishAheadMs: 2 * 3600_000, retainForMs: 90 * 60_000 });
});
