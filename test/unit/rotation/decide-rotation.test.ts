// Rotation through the reconciler's decision (decide.ts): what the status and the JWKS say at each
// step, which Secret change is asked for, and the conditions and events a user sees.
import { generateKeyPairSync } from 'node:crypto';
import { effectiveSpec } from '../../../src/api/defaults.js';
import type { AuthServer, AuthServerSpec, AuthServerStatus } from '../../../src/api/types.js';
import { decide, type Decision, type RefResolution } from '../../../src/controller/decide.js';
import { loadKey } from '../../../src/keys/load.js';
import type { LoadedKey } from '../../../src/keys/types.js';
import type { SigningLayout } from '../../../src/rotation/decision.js';
import { testSealer } from '../../support/seal.js';
import { servedOn } from '../../support/issuer.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const S = 1000;
const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');

function key(name: string): LoadedKey {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const r = loadKey({ secretName: name, data: { 'key.pem': Buffer.from(pem) }, annotations: {}, requirePrivate: true, keyIdFormat: 'Thumbprint' });
  if (!r.ok) throw new Error(r.problem.message);
  return r.value;
}
const [A, B, C, V] = [key('a'), key('b'), key('c'), key('v')];

function authServer(rotation: AuthServerSpec['tokenSignature']['rotation'], status?: AuthServerStatus, annotations: Record<string, string> = {}): AuthServer {
  return {
    apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer',
    metadata: { name: 'login', namespace: 'ns', generation: 1, annotations },
    spec: {
      issuerURI: 'https://login.example.com', jwks: { cacheMaxAgeSeconds: 1 },
      tokenSignature: { signAndVerifyKeyRef: { name: 'sig' }, extraVerifyKeyRefs: [{ name: 'ver' }], ...(rotation ? { rotation } : {}) },
    },
    ...(status ? { status } : {}),
  };
}
const signing = (k: LoadedKey, generated: boolean, layout?: SigningLayout): RefResolution => ({ secretName: 'sig', role: 'SignAndVerify', outcome: { ok: true, value: k }, generated, rotatable: generated, ...(layout ? { layout } : {}) });
const verify: RefResolution = { secretName: 'ver', role: 'VerifyOnly', outcome: { ok: true, value: V }, generated: false };
const layout = (activatedAt: number, next?: LoadedKey): SigningLayout => ({ resourceVersion: '42', record: { activatedAt }, ...(next ? { next: { ok: true, value: next } } : {}) });

function run(as: AuthServer, sig: RefResolution, now: number, jwkOf?: (kid: string) => LoadedKey['publicJwk'] | undefined): Decision {
  return decide({ authServer: as, spec: effectiveSpec(as.spec), resolutions: [sig, verify], issuer: servedOn('https://login.example.com'), now, sealer: testSealer, ...(jwkOf ? { jwkOf } : {}) });
}
const after = (as: AuthServer, d: Decision): AuthServer => ({ ...as, status: JSON.parse(JSON.stringify(d.status)) as AuthServerStatus });
const kids = (d: Decision): string[] => d.document.keys.map((k) => k.kid);

it('walks one scheduled rotation: generate, publish, promote (status first), retire', () => {
  const rotation = { period: '10s', publishAhead: '3s', retainFor: '4s' };
  let as = authServer(rotation);
  // Active since T0: the next key is due at +6 s (10 s − 3 s, and a second's lead for its publication).
  let d = run(as, signing(A, true, layout(T0)), T0 + 1 * S);
  expect(d.change).toBeUndefined();
  expect(d.requeueAfterMs).toBe(5 * S);
  expect(d.status.nextRotationTime).toBe(iso(T0 + 6 * S));
  expect(d.status.keys?.[0]).toMatchObject({ kid: A.kid, state: 'Active', activatesAt: iso(T0) });
  // 3 s is under max-age + 30 s: said once, for this generation of the spec.
  expect(d.events.map((e) => e.reason)).toEqual(['PublishAheadTooShort']);
  as = after(as, d);
  expect(run(as, signing(A, true, layout(T0)), T0 + 2 * S).events).toEqual([]);

  d = run(as, signing(A, true, layout(T0)), T0 + 7 * S);
  expect(d.change).toEqual({ kind: 'GenerateNext', secretName: 'sig', resourceVersion: '42', trigger: 'Scheduled', algorithm: 'ES256' });

  // The reconcile that reads the next key back publishes it after the active key, before the verify refs.
  d = run(as, signing(A, true, layout(T0, B)), T0 + 7 * S + 200);
  expect(kids(d)).toEqual([A.kid, B.kid, V.kid]);
  expect(d.status.keys?.map((k) => [k.kid, k.state])).toEqual([[A.kid, 'Active'], [B.kid, 'Next'], [V.kid, 'Verify']]);
  expect(d.status.keys?.[1]).toMatchObject({ publishedSince: iso(T0 + 8 * S), activatesAt: iso(T0 + 11 * S) });
  expect(d.events.map((e) => e.reason)).toEqual(['NextKeyPublished']);
  expect(d.change).toBeUndefined();
  as = after(as, d);

  // Due at +10 s by the schedule, but served only since +8 s (rounded up): it waits until +11 s.
  expect(run(as, signing(A, true, layout(T0, B)), T0 + 10 * S).change).toBeUndefined();
  d = run(as, signing(A, true, layout(T0, B)), T0 + 11 * S);
  expect(d.change).toEqual({ kind: 'Promote', secretName: 'sig', resourceVersion: '42', trigger: 'Scheduled' });
  expect(d.status.retiredKeys?.map((k) => [k.kid, k.retiresAt])).toEqual([[A.kid, iso(T0 + 15 * S)]]);
  expect(d.status.retiredKeys?.[0]?.jwk).toEqual(A.publicJwk);
  expect(kids(d)).toEqual([A.kid, B.kid, V.kid]);
  as = after(as, d);

  // After the Secret update: B signs, A is retired until +15 s.
  d = run(as, signing(B, true, layout(T0 + 11 * S)), T0 + 11 * S + 100);
  expect(kids(d)).toEqual([B.kid, V.kid, A.kid]);
  expect(d.status.keys?.map((k) => [k.kid, k.state])).toEqual([[B.kid, 'Active'], [V.kid, 'Verify'], [A.kid, 'Retired']]);
  expect(d.status.signingKeyID).toBe(B.kid);
  expect(d.events.map((e) => e.reason)).toEqual(['SigningKeyChanged']);
  expect(d.status.nextRotationTime).toBe(iso(T0 + 15 * S));
  as = after(as, d);

  d = run(as, signing(B, true, layout(T0 + 11 * S)), T0 + 15 * S);
  expect(kids(d)).toEqual([B.kid, V.kid]);
  expect(d.status.retiredKeys).toBeUndefined();
  expect(d.events.map((e) => e.reason)).toEqual(['KeyRetired']);
  expect(d.status.nextRotationTime).toBe(iso(T0 + 17 * S));
});

it('a crash between the promote status write and the Secret write: the old key stays served and the promotion is made again', () => {
  const as0 = authServer({ period: '10s', publishAhead: '3s' });
  const published = after(as0, run(as0, signing(A, true, layout(T0, B)), T0 + 7 * S));
  const recorded = after(published, run(published, signing(A, true, layout(T0, B)), T0 + 10 * S));
  expect(recorded.status?.retiredKeys?.map((k) => k.kid)).toEqual([A.kid]);
  const again = run(recorded, signing(A, true, layout(T0, B)), T0 + 30 * S);
  expect(again.change?.kind).toBe('Promote');
  expect(kids(again)).toEqual([A.kid, B.kid, V.kid]);
  // Still signing after the first record: its retiresAt moves to the later promotion.
  expect(again.status.retiredKeys?.[0]?.retiresAt).toBe(iso(T0 + 30 * S + 24 * 3600 * S));
});

it('retainFor alone keeps the key of a user Secret replaced in place, until retiresAt', () => {
  const as0 = authServer({ retainFor: '60s' });
  const first = after(as0, run(as0, signing(A, false), T0));
  const served = new Map([[A.kid, A.publicJwk], [V.kid, V.publicJwk]]);
  const d = run(first, signing(C, false), T0 + 5 * S, (kid) => served.get(kid));
  expect(kids(d)).toEqual([C.kid, V.kid, A.kid]);
  expect(d.status.retiredKeys?.map((k) => [k.kid, k.secretName, k.retiresAt])).toEqual([[A.kid, 'sig', iso(T0 + 65 * S)]]);
  expect(d.events.map((e) => e.reason).sort()).toEqual(['SigningKeyChanged', 'SigningKeyNotPrePublished']);
  expect(d.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  // Without a rotation block, the old behaviour: the replaced key is gone at once.
  const plain = authServer(undefined);
  const d2 = run(after(plain, run(plain, signing(A, false), T0)), signing(C, false), T0 + 5 * S, (kid) => served.get(kid));
  expect(kids(d2)).toEqual([C.kid, V.kid]);
});

it('waits for a transition a month away an hour at a time (setTimeout cannot wait that long)', () => {
  const as = authServer({ period: '720h' });
  const d = run(as, signing(A, true, layout(T0)), T0);
  expect(d.status.nextRotationTime).toBe(iso(T0 + 720 * 3600 * S - 600 * S - S));
  expect(d.requeueAfterMs).toBe(3600 * S);
});

it('a period on a Secret Signet did not generate: Ready=False, SecretNotManaged, keys still served', () => {
  const as = authServer({ period: '720h' });
  const d = run(as, signing(A, false), T0);
  const ready = d.status.conditions?.find((c) => c.type === 'Ready');
  expect(ready).toMatchObject({ status: 'False', reason: 'SecretNotManaged' });
  expect(ready?.message).toMatch(/Secret "sig" .*not generated by Signet/);
  expect(d.change).toBeUndefined();
  expect(kids(d)).toEqual([A.kid, V.kid]);
});

it('an emergency asks for a new signing key at once; a manual rotate for the next key', () => {
  const emergency = run(authServer(undefined, undefined, { 'signet.dev/rotate-emergency': 'x' }), signing(A, true, layout(T0, B)), T0);
  expect(emergency.change).toEqual({ kind: 'Emergency', secretName: 'sig', resourceVersion: '42', algorithm: 'ES256', replacedKid: A.kid });
  const manual = run(authServer(undefined, undefined, { 'signet.dev/rotate': 'x' }), signing(A, true, layout(T0)), T0);
  expect(manual.change).toMatchObject({ kind: 'GenerateNext', trigger: 'Manual' });
  const handled = run(authServer(undefined, undefined, { 'signet.dev/rotate': 'x' }), signing(A, true, { resourceVersion: '1', record: { handledRotate: 'x' } }), T0);
  expect(handled.change).toBeUndefined();
});

it('missing Secrets are generated before any rotation step, and not on a failed attempt', () => {
  const as = authServer({ period: '10s', publishAhead: '3s' });
  const missing: RefResolution = { secretName: 'ver', role: 'VerifyOnly', missing: true, outcome: { ok: false, problem: { reason: 'SecretNotFound', message: 'm' } } };
  const d = decide({ authServer: as, spec: effectiveSpec(as.spec), resolutions: [signing(A, true, layout(T0)), missing], issuer: servedOn('https://login.example.com'), now: T0 + 9 * S, sealer: testSealer });
  expect(d.change).toEqual({ kind: 'GenerateMissing', secretNames: ['ver'] });
  const failed = decide({ authServer: as, spec: effectiveSpec(as.spec), resolutions: [signing(A, true, layout(T0)), { ...missing, outcome: { ok: false, problem: { reason: 'GenerationFailed', message: 'no' } } }], issuer: servedOn('https://login.example.com'), now: T0 + 9 * S, sealer: testSealer });
  expect(failed.change?.kind).toBe('GenerateNext');
});
