// What kubectl signet shows of an AuthServer's status: states, the next transition, ages, and the
// transition a rotation request caused.
import type { AuthServer, KeyStatus } from '../../../src/api/types.js';
import { humanDuration, table } from '../../../src/cli/output.js';
import { observeRotation, refuseRotation } from '../../../src/cli/rotate.js';
import { keyRows, keysByState, nextTransition } from '../../../src/cli/view.js';

const key = (kid: string, extra: Partial<KeyStatus>): KeyStatus => ({
  secretName: 'login-key', kid, role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: true, publishedSince: '2026-11-01T00:00:00Z', ...extra,
});

function authServer(status: AuthServer['status']): AuthServer {
  return { apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer', metadata: { name: 'login', namespace: 'team-a', generation: 1 }, spec: { issuerURI: 'https://login.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } }, status: { observedGeneration: 1, ...status } };
}

const rotating = authServer({
  signingKeyID: 'a',
  nextRotationTime: '2026-12-01T12:00:00Z',
  keys: [key('b', { role: 'VerifyOnly', state: 'Next', activatesAt: '2026-12-01T12:00:00Z' }), key('a', { state: 'Active' }), key('x', { role: 'VerifyOnly', secretName: 'extra' })],
  retiredKeys: [{ kid: 'old', secretName: 'login-key', retiresAt: '2026-12-01T10:00:00Z', jwk: { kty: 'RSA', kid: 'old', use: 'sig', alg: 'RS256', n: 'AQAB', e: 'AQAB' } }],
});

it('lists keys by state, Active first, retired keys from status.retiredKeys, and the role standing in for a missing state', () => {
  const rows = keyRows(rotating);
  expect(rows.map((r) => [r.kid, r.state])).toEqual([['a', 'Active'], ['b', 'Next'], ['x', 'Verify'], ['old', 'Retired']]);
  expect(keysByState(rows)).toBe('1 Active, 1 Next, 1 Verify, 1 Retired');
});

it('names the next transition: the earliest of an activation, a retirement and nextRotationTime', () => {
  expect(nextTransition(rotating)).toEqual({ at: '2026-12-01T10:00:00Z', what: 'old is dropped' });
  const noRetired = authServer({ ...rotating.status, retiredKeys: [] });
  expect(nextTransition(noRetired)).toEqual({ at: '2026-12-01T12:00:00Z', what: 'b starts signing' });
  const scheduled = authServer({ signingKeyID: 'a', keys: [key('a', { state: 'Active' })], nextRotationTime: '2026-12-31T00:00:00Z' });
  expect(nextTransition(scheduled)).toEqual({ at: '2026-12-31T00:00:00Z', what: 'a next key is published' });
  expect(nextTransition(authServer({ keys: [key('a', {})] }))).toBeUndefined();
});

it('prints ages as kubectl does, and pads columns', () => {
  expect([45_000, 200_000, 3 * 3600_000 + 60_000, 50 * 3600_000, 400 * 86400_000, 800 * 86400_000].map(humanDuration)).toEqual(['45s', '3m20s', '3h1m', '2d2h', '400d', '2y']);
  expect(table(['NAME', 'READY'], [['login', 'True'], ['a', 'False']])).toBe('NAME    READY\nlogin   True\na       False\n');
});

describe('rotate', () => {
  const active = authServer({ signingKeyID: 'a', keys: [key('a', { state: 'Active' })], conditions: [] });

  it('refuses a Secret Signet did not generate, and an AuthServer without a signing key', () => {
    expect(refuseRotation(authServer({ signingKeyID: 'a', keys: [key('a', { generated: false })] }))).toMatch(/Signet did not generate/);
    expect(refuseRotation(authServer({}))).toMatch(/no signing key yet/);
    expect(refuseRotation(active)).toBeUndefined();
  });

  it('sees a published next key, a request that brings an activation forward, a new signing key, and a refusal', () => {
    const published = authServer({ ...active.status, keys: [key('a', { state: 'Active' }), key('n', { state: 'Next', activatesAt: '2026-12-01T12:00:00Z' })] });
    expect(observeRotation(active, active, false)).toBeUndefined();
    expect(observeRotation(active, published, false)).toEqual({ done: true, kind: 'published', kid: 'n', activatesAt: '2026-12-01T12:00:00Z' });
    const sooner = authServer({ ...published.status, keys: [key('a', { state: 'Active' }), key('n', { state: 'Next', activatesAt: '2026-12-01T11:00:00Z' })] });
    expect(observeRotation(published, sooner, false)).toEqual({ done: true, kind: 'promotionRequested', kid: 'n', activatesAt: '2026-12-01T11:00:00Z' });
    expect(observeRotation(active, authServer({ ...active.status, signingKeyID: 'e' }), true)).toEqual({ done: true, kind: 'activated', kid: 'e', previousKid: 'a' });
    const refused = authServer({ ...active.status, conditions: [{ type: 'Ready', status: 'False', reason: 'SecretNotManaged', message: 'no', lastTransitionTime: '' }] });
    expect(observeRotation(active, refused, false)).toEqual({ done: false, reason: 'SecretNotManaged', message: 'no' });
  });
});
