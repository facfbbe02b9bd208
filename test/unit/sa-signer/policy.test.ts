// The rules that make an AuthServer usable as the cluster's service-account issuer, and which key
// signs (src/sa-signer/policy.ts).
import { effectiveSpec } from '../../../src/api/defaults.js';
import type { AuthServerSpec } from '../../../src/api/types.js';
import { chooseSigner, issuerProblems } from '../../../src/sa-signer/policy.js';

const spec = (extra: Partial<AuthServerSpec> = {}, rotation = {}) => effectiveSpec({
  issuerURI: 'https://kubernetes.default.svc', tokenSignature: { signAndVerifyKeyRef: { name: 'k' }, rotation }, ...extra,
});
const key = { secretName: 'k', kid: 'a', algorithm: 'RS256' as const };
const reasons = (input: Parameters<typeof issuerProblems>[0]) => issuerProblems(input).map((p) => p.reason);

describe('issuerProblems', () => {
  it('accepts the defaults with an RS256 or ES256 key and no issuer seen yet', () => {
    expect(issuerProblems({ authServer: 'kube-system/issuer', spec: spec(), keys: [key, { ...key, algorithm: 'ES256' }], observedIssuer: undefined })).toEqual([]);
  });

  it('refuses an issuer other than the one the kube-apiserver signs for, naming both', () => {
    const [p] = issuerProblems({ authServer: 'kube-system/issuer', spec: spec(), keys: [key], observedIssuer: 'https://other.example' });
    expect(p?.reason).toBe('ServiceAccountIssuerMismatch');
    expect(p?.message).toContain('"https://other.example"');
    expect(p?.message).toContain('"https://kubernetes.default.svc"');
  });

  it.each(['PS256', 'EdDSA', 'HS256'] as const)('refuses a %s key and a %s key generation', (algorithm) => {
    const problems = issuerProblems({ authServer: 'ns/a', spec: spec({ tokenSignature: { signAndVerifyKeyRef: { name: 'k' }, keyGeneration: { algorithm } } }), keys: [{ ...key, algorithm }], observedIssuer: undefined });
    expect(problems.map((p) => p.reason)).toEqual(['AlgorithmNotAcceptedByKubeAPIServer', 'AlgorithmNotAcceptedByKubeAPIServer']);
    expect(problems[0]?.message).toContain(`Secret "k" holds a ${algorithm} key`);
    expect(problems[0]?.message).toContain('RS256, ES256, ES384, ES512');
  });

  it('refuses a retainFor shorter than the longest token, and a max token lifetime under 10m', () => {
    expect(reasons({ authServer: 'ns/a', spec: spec({}, { retainFor: '30m' }), keys: [key], observedIssuer: undefined })).toEqual(['RetentionTooShort']);
    const short = spec({ signing: { maxTokenLifetime: '5m', defaultTokenLifetime: '5m' } }, { retainFor: '1h' });
    expect(reasons({ authServer: 'ns/a', spec: short, keys: [key], observedIssuer: undefined })).toEqual(['TokenLifetimeTooShort']);
    const [p] = issuerProblems({ authServer: 'ns/a', spec: spec({}, { retainFor: '30m' }), keys: [key], observedIssuer: undefined });
    expect(p?.message).toContain('set retainFor to at least 1h');
  });
});

describe('chooseSigner', () => {
  const old = { kid: 'old', publishedSinceMs: 0 };
  const fresh = { kid: 'new', publishedSinceMs: 100_000 };
  const both = new Set(['old', 'new']);

  it('signs with the first key it is given, and keeps a key that stays Active', () => {
    expect(chooseSigner({ previous: undefined, candidate: fresh, verifiable: both, nowMs: 100_001, publishAheadMs: 60_000, fetchedSinceMs: 100_000 }).signer).toBe(fresh);
    expect(chooseSigner({ previous: old, candidate: old, verifiable: both, nowMs: 1, publishAheadMs: 60_000, fetchedSinceMs: 100_000 }).signer).toBe(old);
  });

  it('keeps the previous key while the new one has not been published for publishAhead, then switches', () => {
    expect(chooseSigner({ previous: old, candidate: fresh, verifiable: both, nowMs: 130_000, publishAheadMs: 60_000, fetchedSinceMs: 100_000 })).toEqual({ signer: old, recheckAtMs: 160_000 });
    expect(chooseSigner({ previous: old, candidate: fresh, verifiable: both, nowMs: 160_000, publishAheadMs: 60_000, fetchedSinceMs: 100_000 }).signer).toBe(fresh);
  });

  it('waits for publishAhead from the first fetch by its own kube-apiserver when that came later (this instance was down), and not at all before it', () => {
    const base = { previous: old, candidate: fresh, verifiable: both, publishAheadMs: 60_000 };
    expect(chooseSigner({ ...base, nowMs: 500_000, fetchedSinceMs: undefined })).toEqual({ signer: old });
    expect(chooseSigner({ ...base, nowMs: 500_000, fetchedSinceMs: 480_000 })).toEqual({ signer: old, recheckAtMs: 540_000 });
    expect(chooseSigner({ ...base, nowMs: 540_000, fetchedSinceMs: 480_000 }).signer).toBe(fresh);
    // Nothing to keep signing with: the new key signs at once, fetched or not.
    expect(chooseSigner({ ...base, previous: undefined, nowMs: 500_000, fetchedSinceMs: undefined }).signer).toBe(fresh);
  });

  it('switches at once when the previous key left the keyring (emergency rotation)', () => {
    expect(chooseSigner({ previous: old, candidate: fresh, verifiable: new Set(['new']), nowMs: 100_001, publishAheadMs: 60_000, fetchedSinceMs: 100_000 }).signer).toBe(fresh);
  });

  it('without an Active key, signs with the previous one only while it is verifiable', () => {
    expect(chooseSigner({ previous: old, candidate: undefined, verifiable: both, nowMs: 1, publishAheadMs: 1, fetchedSinceMs: undefined }).signer).toBe(old);
    expect(chooseSigner({ previous: old, candidate: undefined, verifiable: new Set(), nowMs: 1, publishAheadMs: 1, fetchedSinceMs: undefined }).signer).toBeUndefined();
  });
});
