// Whether the kube-apiserver's JWT authenticator can trust an AuthServer, and the Warning event
// that says so once: an http issuer, a signing key it cannot verify, a disabled discovery document.
import { generateKeyPairSync } from 'node:crypto';
import { effectiveSpec } from '../../../src/api/defaults.js';
import { kubeAuthenticatorProblems, newKubeAuthenticatorProblems } from '../../../src/api/kube-authenticator.js';
import type { Algorithm, AuthServer, AuthServerSpec, AuthServerStatus } from '../../../src/api/types.js';
import { decide, type Decision } from '../../../src/controller/decide.js';
import { loadKey } from '../../../src/keys/load.js';
import type { LoadedKey } from '../../../src/keys/types.js';
import { testSealer } from '../../support/seal.js';
import { servedOn } from '../../support/issuer.js';

const HTTPS = 'https://login.example.com/team-a';
const rs = { secretName: 'login-rs', algorithm: 'RS256' as Algorithm };
const ed = { secretName: 'login-ed', algorithm: 'EdDSA' as Algorithm };

describe('kubeAuthenticatorProblems', () => {
  it('finds nothing wrong with an https issuer, discovery on and an RS, PS or ES signing key', () => {
    for (const algorithm of ['RS256', 'RS512', 'PS256', 'PS384', 'ES256', 'ES512'] as Algorithm[]) {
      expect(kubeAuthenticatorProblems({ issuerURI: HTTPS, discoveryEnabled: true, signingKey: { secretName: 'k', algorithm } })).toEqual([]);
    }
    // No signing key resolved yet: nothing to say about its algorithm.
    expect(kubeAuthenticatorProblems({ issuerURI: HTTPS, discoveryEnabled: true })).toEqual([]);
  });

  it('names each problem and how to fix it', () => {
    expect(kubeAuthenticatorProblems({ issuerURI: 'http://localhost:8080/dev', discoveryEnabled: false, signingKey: ed })).toEqual([
      'spec.issuerURI "http://localhost:8080/dev" is not https, and the authenticator accepts only https issuers; serve the issuer over https',
      'spec.discovery.enabled is false, and the authenticator finds the keys through the discovery document; set it to true',
      'the signing key in Secret "login-ed" is EdDSA, which the authenticator does not verify (it accepts RS, PS and ES algorithms); sign with an RS256 or ES256 key',
    ]);
    expect(kubeAuthenticatorProblems({ issuerURI: 'HTTPS://Login.Example.com/a', discoveryEnabled: true, signingKey: rs })).toEqual([]);
    expect(kubeAuthenticatorProblems({ issuerURI: HTTPS, discoveryEnabled: true, signingKey: { secretName: 'hmac', algorithm: 'HS256' } })).toEqual([
      expect.stringContaining('Secret "hmac" is HS256'),
    ]);
  });
});

describe('newKubeAuthenticatorProblems', () => {
  const status = (issuerURI: string, algorithm: Algorithm, observedGeneration = 2): AuthServerStatus => ({
    observedGeneration, issuerURI,
    keys: [{ secretName: `login-${algorithm}`, kid: 'k', role: 'SignAndVerify', algorithm, keySize: 256, generated: true, publishedSince: '2026-11-02T10:00:00Z' }],
  });

  it('announces every problem on the first reconcile, and an unchanged one never again', () => {
    const current = { issuerURI: 'http://dev.local', discoveryEnabled: false, signingKey: { secretName: 'login-EdDSA', algorithm: 'EdDSA' as Algorithm } };
    expect(newKubeAuthenticatorProblems({}, 2, current)).toHaveLength(3);
    expect(newKubeAuthenticatorProblems(status('http://dev.local', 'EdDSA'), 2, current)).toEqual([]);
  });

  it('announces a problem that a change brings: a new signing key, a new issuer, discovery turned off', () => {
    const was = status(HTTPS, 'ES256');
    expect(newKubeAuthenticatorProblems(was, 2, { issuerURI: HTTPS, discoveryEnabled: true, signingKey: { secretName: 'login-ed', algorithm: 'EdDSA' } })).toEqual([expect.stringContaining('is EdDSA')]);
    expect(newKubeAuthenticatorProblems(was, 3, { issuerURI: 'http://dev.local', discoveryEnabled: true, signingKey: { secretName: 'login-ES256', algorithm: 'ES256' } })).toEqual([expect.stringContaining('is not https')]);
    expect(newKubeAuthenticatorProblems(was, 3, { issuerURI: HTTPS, discoveryEnabled: false, signingKey: { secretName: 'login-ES256', algorithm: 'ES256' } })).toEqual([expect.stringContaining('spec.discovery.enabled is false')]);
  });

  it('says nothing once the problem is fixed', () => {
    expect(newKubeAuthenticatorProblems(status('http://dev.local', 'EdDSA'), 3, { issuerURI: HTTPS, discoveryEnabled: true, signingKey: rs })).toEqual([]);
  });
});

describe('decide: the NotUsableByKubeAPIServer warning', () => {
  const key = (pem: string): LoadedKey => {
    const r = loadKey({ secretName: 'login-key', data: { 'key.pem': Buffer.from(pem) }, annotations: {}, requirePrivate: true, keyIdFormat: 'Thumbprint' });
    if (!r.ok) throw new Error(r.problem.message);
    return r.value;
  };
  const edKey = key(generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const ecKey = key(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());

  function run(spec: AuthServerSpec, k: LoadedKey, status?: AuthServerStatus, generation = 1): Decision {
    const as: AuthServer = { apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer', metadata: { name: 'login', namespace: 'team-a', generation }, spec, ...(status ? { status } : {}) };
    return decide({ authServer: as, spec: effectiveSpec(spec), resolutions: [{ secretName: 'login-key', role: 'SignAndVerify', outcome: { ok: true, value: k }, generated: true }], issuer: servedOn(as.spec.issuerURI), now: Date.parse('2026-11-02T10:00:00Z'), sealer: testSealer });
  }
  const spec: AuthServerSpec = { issuerURI: HTTPS, tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } };
  const warnings = (d: Decision): string[] => d.events.filter((e) => e.reason === 'NotUsableByKubeAPIServer').map((e) => `${e.type}: ${e.message}`);

  it('records one Warning when an EdDSA key signs, and not again on the next reconcile', () => {
    const first = run(spec, edKey);
    expect(warnings(first)).toEqual([
      'Warning: The kube-apiserver\'s JWT authenticator cannot trust this issuer: the signing key in Secret "login-key" is EdDSA, which the authenticator does not verify (it accepts RS, PS and ES algorithms); sign with an RS256 or ES256 key',
    ]);
    expect(warnings(run(spec, edKey, first.status))).toEqual([]);
  });

  it('records nothing for an issuer the kube-apiserver can trust', () => {
    expect(warnings(run(spec, ecKey))).toEqual([]);
  });

  it('records the disabled discovery document when a spec edit turns it off', () => {
    const first = run(spec, ecKey);
    const edited = run({ ...spec, discovery: { enabled: false } }, ecKey, first.status, 2);
    expect(warnings(edited)).toEqual([expect.stringContaining('spec.discovery.enabled is false')]);
    expect(warnings(run({ ...spec, discovery: { enabled: false } }, ecKey, edited.status, 2))).toEqual([]);
  });
});
