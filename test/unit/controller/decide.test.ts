// The reconciler's decision, without I/O: what an AuthServer's status says, which keys its JWKS
// serves, and which events a user sees, for each combination of key and issuer verdicts.
import { generateKeyPairSync } from 'node:crypto';
import { effectiveSpec } from '../../../src/api/defaults.js';
import type { AuthServer, AuthServerStatus, Condition, ConditionType, Reason } from '../../../src/api/types.js';
import { decide, type Decision, type IssuerVerdict, type RefResolution } from '../../../src/controller/decide.js';
import { loadKey } from '../../../src/keys/load.js';
import type { LoadedKey } from '../../../src/keys/types.js';
import { testSealer } from '../../support/seal.js';
import { servedOn } from '../../support/issuer.js';

const T0 = '2026-11-02T10:00:00Z';
const T1 = '2026-11-02T11:00:00Z';
const T2 = '2026-11-02T12:00:00Z';
const ISSUER = 'https://login.example.com/team-a';
const JWKS = 'https://login.example.com/team-a/oauth2/jwks';

// ---- fixtures ---------------------------------------------------------------------------------

function ecPem(): { pkcs8: string; spki: string; d: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return {
    pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    spki: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    d: String(privateKey.export({ format: 'jwk' }).d),
  };
}

const pems = { nov: ecPem(), oct: ecPem(), sep: ecPem() };
const edPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const rsa1024Pem = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function load(secretName: string, data: Record<string, string>, requirePrivate = true) {
  return loadKey({
    secretName,
    data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
    annotations: {},
    requirePrivate,
    keyIdFormat: 'Thumbprint',
  });
}

function loaded(secretName: string, pem: string, requirePrivate = true): LoadedKey {
  const r = load(secretName, { 'key.pem': pem }, requirePrivate);
  if (!r.ok) throw new Error(`fixture refused: ${r.problem.message}`);
  return r.value;
}

const KEY_NOV = loaded('login-key-2026-11', pems.nov.pkcs8);
const KEY_OCT = loaded('login-key-2026-10', pems.oct.pkcs8, false);
const KEY_SEP = loaded('login-key-2026-09', edPem, false);

function ok(secretName: string, key: LoadedKey, role: 'SignAndVerify' | 'VerifyOnly' = 'VerifyOnly', generated = false): RefResolution {
  return { secretName, role, outcome: { ok: true, value: key }, generated };
}

function bad(secretName: string, reason: Reason, message: string, role: 'SignAndVerify' | 'VerifyOnly' = 'VerifyOnly'): RefResolution {
  return { secretName, role, outcome: { ok: false, problem: { reason, message } } };
}

/** A refusal as loadKey writes it, for realistic messages. */
function refusal(secretName: string, data: Record<string, string>, role: 'SignAndVerify' | 'VerifyOnly' = 'VerifyOnly'): RefResolution {
  const r = load(secretName, data, role === 'SignAndVerify');
  if (r.ok) throw new Error(`fixture accepted: ${secretName}`);
  return bad(secretName, r.problem.reason, r.problem.message, role);
}

function notFound(secretName: string, role: 'SignAndVerify' | 'VerifyOnly' = 'VerifyOnly'): RefResolution {
  const field = role === 'SignAndVerify' ? 'spec.tokenSignature.signAndVerifyKeyRef' : 'spec.tokenSignature.extraVerifyKeyRefs';
  return bad(secretName, 'SecretNotFound', `Secret "${secretName}" (${field}) does not exist in namespace "team-a"; create it with a key.pem`, role);
}

function authServer(opts: { extras?: string[]; signing?: string; generation?: number; status?: AuthServerStatus; issuerURI?: string } = {}): AuthServer {
  return {
    apiVersion: 'signet.dev/v1alpha1',
    kind: 'AuthServer',
    metadata: { name: 'login', namespace: 'team-a', generation: opts.generation ?? 3, creationTimestamp: new Date(T0) },
    spec: {
      issuerURI: opts.issuerURI ?? ISSUER,
      tokenSignature: {
        signAndVerifyKeyRef: { name: opts.signing ?? 'login-key-2026-11' },
        extraVerifyKeyRefs: (opts.extras ?? ['login-key-2026-10', 'login-key-2026-09']).map((name) => ({ name })),
      },
      jwks: { cacheMaxAgeSeconds: 120 },
      discovery: { enabled: true },
    },
    ...(opts.status ? { status: opts.status } : {}),
  };
}

function run(as: AuthServer, resolutions: RefResolution[], opts: { issuer?: IssuerVerdict; now?: string } = {}): Decision {
  return decide({ authServer: as, spec: effectiveSpec(as.spec), resolutions, issuer: opts.issuer ?? servedOn(ISSUER), now: Date.parse(opts.now ?? T0), sealer: testSealer });
}

/** The AuthServer as the next reconcile sees it: the written status, round-tripped through JSON. */
function afterWrite(as: AuthServer, d: Decision, generation?: number): AuthServer {
  const status = JSON.parse(JSON.stringify(d.status)) as AuthServerStatus;
  return { ...as, metadata: { ...as.metadata, generation: generation ?? as.metadata.generation }, status };
}

function cond(d: Decision, type: ConditionType): Condition {
  const c = d.status.conditions?.find((x) => x.type === type);
  if (!c) throw new Error(`no ${type} condition`);
  return c;
}

const allResolved = (): RefResolution[] => [
  ok('login-key-2026-11', KEY_NOV, 'SignAndVerify', true),
  ok('login-key-2026-10', KEY_OCT),
  ok('login-key-2026-09', KEY_SEP),
];

const CONFLICT: IssuerVerdict = { ok: false, problem: { reason: 'IssuerConflict', message: `issuer "${ISSUER}" is already served by the older AuthServer team-b/login; choose another issuerURI or delete that AuthServer` } };
const INVALID: IssuerVerdict = { ok: false, problem: { reason: 'InvalidIssuerURI', message: `spec.issuerURI "${ISSUER}?x=1" must not have a query; remove the part from "?"` } };

// ---- keys and document --------------------------------------------------------------------------

describe('decide: served keys', () => {
  it('serves the signing key first, then the verify keys in spec order, in the JWKS and in status', () => {
    const d = run(authServer(), allResolved());
    expect(d.document.keys.map((k) => k.kid)).toEqual([KEY_NOV.kid, KEY_OCT.kid, KEY_SEP.kid]);
    expect(d.document.keys).toEqual([KEY_NOV.publicJwk, KEY_OCT.publicJwk, KEY_SEP.publicJwk]);
    expect(d.status.keys).toEqual([
      { secretName: 'login-key-2026-11', kid: KEY_NOV.kid, role: 'SignAndVerify', algorithm: 'ES256', keySize: 256, generated: true, publishedSince: T0, state: 'Active' },
      { secretName: 'login-key-2026-10', kid: KEY_OCT.kid, role: 'VerifyOnly', algorithm: 'ES256', keySize: 256, generated: false, publishedSince: T0, state: 'Verify' },
      { secretName: 'login-key-2026-09', kid: KEY_SEP.kid, role: 'VerifyOnly', algorithm: 'EdDSA', keySize: 256, generated: false, publishedSince: T0, state: 'Verify' },
    ]);
    expect(d.status.signingKeyID).toBe(KEY_NOV.kid);
    expect(d.status.tokenSignatureKeyCount).toBe(3);
  });

  it('fills the status header and the document from the spec', () => {
    const d = run(authServer({ generation: 7 }), allResolved());
    expect(d.status).toMatchObject({ observedGeneration: 7, issuerURI: ISSUER, jwksURI: JWKS });
    expect(d.document).toMatchObject({ namespace: 'team-a', name: 'login', issuerURI: ISSUER, servedOnIssuer: true, cacheMaxAgeSeconds: 120, discoveryEnabled: true });
    expect(d.status.conditions?.map((c) => c.observedGeneration)).toEqual([7, 7, 7]);
  });

  it('serves and lists only the keys that resolved, keeping their order', () => {
    const d = run(authServer(), [
      ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'),
      notFound('login-key-2026-10'),
      ok('login-key-2026-09', KEY_SEP),
    ]);
    expect(d.document.keys.map((k) => k.kid)).toEqual([KEY_NOV.kid, KEY_SEP.kid]);
    expect(d.status.keys?.map((k) => k.secretName)).toEqual(['login-key-2026-11', 'login-key-2026-09']);
    expect(d.status.tokenSignatureKeyCount).toBe(2);
    expect(d.status.signingKeyID).toBe(KEY_NOV.kid);
  });

  it('has no signingKeyID when the signing key does not resolve, but still serves the verify keys', () => {
    const d = run(authServer(), [
      refusal('login-key-2026-11', { 'pub.pem': pems.nov.spki }, 'SignAndVerify'),
      ok('login-key-2026-10', KEY_OCT),
      ok('login-key-2026-09', KEY_SEP),
    ]);
    expect(d.status).not.toHaveProperty('signingKeyID');
    expect(d.status.tokenSignatureKeyCount).toBe(2);
    expect(d.document.keys.map((k) => k.kid)).toEqual([KEY_OCT.kid, KEY_SEP.kid]);
    expect(cond(d, 'SignAndVerifyKeyResolved')).toMatchObject({ status: 'False', reason: 'KeyMaterialMissing' });
    expect(cond(d, 'Ready')).toMatchObject({ status: 'False', reason: 'KeyMaterialMissing' });
  });

  it('keeps publishedSince of a kid already in status, and stamps a new kid with now', () => {
    const first = run(authServer({ extras: ['login-key-2026-10'] }), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'), ok('login-key-2026-10', KEY_OCT)], { now: T0 });
    const as = afterWrite(authServer({ extras: ['login-key-2026-10', 'login-key-2026-09'] }), first);
    const second = run(as, allResolved(), { now: T1 });
    expect(second.status.keys?.map((k) => [k.secretName, k.publishedSince])).toEqual([
      ['login-key-2026-11', T0],
      ['login-key-2026-10', T0],
      ['login-key-2026-09', T1],
    ]);
  });

  it('stamps a new key with now when a Secret keeps its name but its key is replaced', () => {
    const first = run(authServer({ extras: [] }), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')], { now: T0 });
    const replaced = loaded('login-key-2026-11', pems.sep.pkcs8);
    const second = run(afterWrite(authServer({ extras: [] }), first), [ok('login-key-2026-11', replaced, 'SignAndVerify')], { now: T1 });
    expect(second.status.keys?.[0]).toMatchObject({ kid: replaced.kid, publishedSince: T1 });
  });
});

describe('decide: a rotation, step by step (docs/architecture.md#the-authserver-api)', () => {
  it('publishes the next key, swaps the roles keeping publishedSince, then drops the old key', () => {
    // Step 1: the next key is added as a verify key.
    const as1 = authServer({ signing: 'login-key-2026-10', extras: ['login-key-2026-11'] });
    const d1 = run(as1, [ok('login-key-2026-10', KEY_OCT, 'SignAndVerify'), ok('login-key-2026-11', KEY_NOV)], { now: T0 });
    expect(d1.status.signingKeyID).toBe(KEY_OCT.kid);
    expect(d1.events).toEqual([]);

    // Step 2: it becomes the signing key; the old one is verify-only.
    const as2 = afterWrite(authServer({ signing: 'login-key-2026-11', extras: ['login-key-2026-10'], generation: 4 }), d1, 4);
    const d2 = run(as2, [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'), ok('login-key-2026-10', KEY_OCT)], { now: T1 });
    expect(d2.document.keys.map((k) => k.kid)).toEqual([KEY_NOV.kid, KEY_OCT.kid]);
    expect(d2.status.keys?.map((k) => [k.kid, k.role, k.publishedSince])).toEqual([
      [KEY_NOV.kid, 'SignAndVerify', T0],
      [KEY_OCT.kid, 'VerifyOnly', T0],
    ]);
    expect(d2.status.signingKeyID).toBe(KEY_NOV.kid);
    expect(d2.events).toEqual([{
      type: 'Normal',
      reason: 'SigningKeyChanged',
      message: expect.stringContaining(KEY_NOV.kid),
    }]);
    expect(d2.events[0]!.message).toContain(KEY_OCT.kid);
    expect(d2.events[0]!.message).toContain('login-key-2026-11');

    // Step 3: the old key is removed: revoked at once.
    const as3 = afterWrite(authServer({ signing: 'login-key-2026-11', extras: [], generation: 5 }), d2, 5);
    const d3 = run(as3, [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')], { now: T2 });
    expect(d3.document.keys.map((k) => k.kid)).toEqual([KEY_NOV.kid]);
    expect(d3.status.tokenSignatureKeyCount).toBe(1);
    expect(d3.status.keys?.[0]?.publishedSince).toBe(T0);
    expect(d3.events).toEqual([]);
    expect(d3.statusChanged).toBe(true);
  });
});

// ---- conditions ---------------------------------------------------------------------------------

describe('decide: conditions', () => {
  it('is Ready only when every key resolved and the issuer is ours', () => {
    const d = run(authServer(), allResolved());
    expect(d.status.conditions?.map((c) => [c.type, c.status, c.reason])).toEqual([
      ['SignAndVerifyKeyResolved', 'True', 'Resolved'],
      ['ExtraVerifyKeysResolved', 'True', 'Resolved'],
      ['Ready', 'True', 'Resolved'],
    ]);
    expect(cond(d, 'Ready').message).toContain('3');
    expect(cond(d, 'Ready').message).toContain(JWKS);
    expect(cond(d, 'SignAndVerifyKeyResolved').message).toContain('login-key-2026-11');
    expect(cond(d, 'SignAndVerifyKeyResolved').message).toContain(KEY_NOV.kid);
    expect(d.status.conditions?.every((c) => c.lastTransitionTime === T0)).toBe(true);
  });

  it('is Ready without extra verify keys', () => {
    const d = run(authServer({ extras: [] }), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')]);
    expect(cond(d, 'ExtraVerifyKeysResolved')).toMatchObject({ status: 'True', reason: 'Resolved' });
    expect(cond(d, 'Ready').status).toBe('True');
  });

  it.each([
    ['IssuerConflict', CONFLICT],
    ['InvalidIssuerURI', INVALID],
  ])('is not Ready on %s, still serving the keys on the host-independent path only', (reason, issuer) => {
    const d = run(authServer(), allResolved(), { issuer });
    expect(cond(d, 'Ready')).toMatchObject({ status: 'False', reason, message: issuer.ok ? '' : issuer.problem.message });
    expect(cond(d, 'SignAndVerifyKeyResolved').status).toBe('True');
    expect(cond(d, 'ExtraVerifyKeysResolved').status).toBe('True');
    expect(d.document.servedOnIssuer).toBe(false);
    expect(d.document.keys.map((k) => k.kid)).toEqual([KEY_NOV.kid, KEY_OCT.kid, KEY_SEP.kid]);
    expect(d.status.keys).toHaveLength(3);
    expect(d.status.signingKeyID).toBe(KEY_NOV.kid);
  });

  it('reports a failed verify key in ExtraVerifyKeysResolved and Ready, with its reason and message', () => {
    const missing = notFound('login-key-2026-10');
    const d = run(authServer(), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'), missing, ok('login-key-2026-09', KEY_SEP)]);
    const message = missing.outcome.ok ? '' : missing.outcome.problem.message;
    expect(cond(d, 'SignAndVerifyKeyResolved').status).toBe('True');
    expect(cond(d, 'ExtraVerifyKeysResolved')).toMatchObject({ status: 'False', reason: 'SecretNotFound', message });
    expect(cond(d, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound', message });
  });

  it('names every failed verify key, with the reason of the first', () => {
    const d = run(authServer({ extras: ['a-key', 'b-key', 'c-key'] }), [
      ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'),
      refusal('a-key', { 'key.pem': rsa1024Pem }),
      ok('b-key', KEY_OCT),
      notFound('c-key'),
    ]);
    const c = cond(d, 'ExtraVerifyKeysResolved');
    expect(c).toMatchObject({ status: 'False', reason: 'KeyTooWeak' });
    expect(c.message).toContain('2 of 3');
    expect(c.message).toContain('"a-key"');
    expect(c.message).toContain('"c-key"');
    expect(c.message).not.toContain('"b-key"');
  });

  it('makes Ready carry the signing key problem before a verify key problem', () => {
    const d = run(authServer(), [notFound('login-key-2026-11', 'SignAndVerify'), refusal('login-key-2026-10', { 'key.pem': 'not a key' }), ok('login-key-2026-09', KEY_SEP)]);
    expect(cond(d, 'Ready')).toMatchObject({ status: 'False', reason: 'SecretNotFound' });
    expect(cond(d, 'Ready').message).toContain('login-key-2026-11');
    expect(cond(d, 'ExtraVerifyKeysResolved').reason).toBe('KeyParseError');
  });

  it('keeps lastTransitionTime while a problem changes its reason, and moves it when the problem is fixed', () => {
    const as = authServer({ extras: [] });
    const d1 = run(as, [notFound('login-key-2026-11', 'SignAndVerify')], { now: T0 });
    const d2 = run(afterWrite(as, d1), [refusal('login-key-2026-11', { 'pub.pem': pems.nov.spki }, 'SignAndVerify')], { now: T1 });
    expect(cond(d2, 'Ready')).toMatchObject({ status: 'False', reason: 'KeyMaterialMissing', lastTransitionTime: T0 });
    expect(d2.statusChanged).toBe(true);
    const d3 = run(afterWrite(as, d2), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')], { now: T2 });
    expect(cond(d3, 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: T2 });
    expect(cond(d3, 'ExtraVerifyKeysResolved').lastTransitionTime).toBe(T0);
  });
});

// ---- events -------------------------------------------------------------------------------------

describe('decide: events', () => {
  it('records nothing on a clean first reconcile', () => {
    expect(run(authServer(), allResolved()).events).toEqual([]);
  });

  it('records SecretNotFound for a missing Secret', () => {
    const missing = notFound('login-key-2026-10');
    const d = run(authServer(), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'), missing, ok('login-key-2026-09', KEY_SEP)]);
    expect(d.events).toEqual([{ type: 'Warning', reason: 'SecretNotFound', message: missing.outcome.ok ? '' : missing.outcome.problem.message }]);
  });

  it.each([
    ['KeyMaterialMissing', () => refusal('login-key-2026-11', { 'pub.pem': pems.nov.spki }, 'SignAndVerify')],
    ['KeyParseError', () => refusal('login-key-2026-11', { 'key.pem': '-----BEGIN PRIVATE KEY-----\nAAAAAAAA\n-----END PRIVATE KEY-----\n' }, 'SignAndVerify')],
    ['KeyTooWeak', () => refusal('login-key-2026-11', { 'key.pem': rsa1024Pem }, 'SignAndVerify')],
    ['KeyMismatch', () => refusal('login-key-2026-11', { 'key.pem': pems.nov.pkcs8, 'pub.pem': pems.oct.spki }, 'SignAndVerify')],
  ])('records KeyInvalid for %s, with the refusal as message', (reason, make) => {
    const r = make();
    expect(r.outcome).toMatchObject({ ok: false, problem: { reason } });
    const d = run(authServer({ extras: [] }), [r]);
    expect(d.events).toEqual([{ type: 'Warning', reason: 'KeyInvalid', message: r.outcome.ok ? '' : r.outcome.problem.message }]);
  });

  it('records one event per problem, for the signing key and the verify keys', () => {
    const d = run(authServer(), [notFound('login-key-2026-11', 'SignAndVerify'), refusal('login-key-2026-10', { 'key.pem': rsa1024Pem }), ok('login-key-2026-09', KEY_SEP)]);
    expect(d.events.map((e) => e.reason)).toEqual(['SecretNotFound', 'KeyInvalid']);
  });

  it('records IssuerConflict once, and nothing for an invalid issuer (status only)', () => {
    const d = run(authServer(), allResolved(), { issuer: CONFLICT });
    expect(d.events).toEqual([{ type: 'Warning', reason: 'IssuerConflict', message: CONFLICT.ok ? '' : CONFLICT.problem.message }]);
    expect(run(afterWrite(authServer(), d), allResolved(), { issuer: CONFLICT, now: T1 }).events).toEqual([]);
    expect(run(authServer(), allResolved(), { issuer: INVALID }).events).toEqual([]);
    // Nor for what the cluster admin's policy refuses: never a KeyInvalid for an issuer.
    for (const reason of ['InsecureIssuerNotAllowed', 'IssuerNotAllowed'] as const) {
      const refused = run(authServer(), allResolved(), { issuer: { ok: false, problem: { reason, message: 'refused by policy' } } });
      expect(refused.events).toEqual([]);
      expect(refused.document.servedOnIssuer).toBe(false);
      expect(cond(refused, 'Ready')).toMatchObject({ status: 'False', reason });
    }
  });

  it('does not repeat an unchanged problem, but announces a changed one and one that comes back', () => {
    const as = authServer({ extras: ['login-key-2026-10'] });
    const signing = ok('login-key-2026-11', KEY_NOV, 'SignAndVerify');
    const d1 = run(as, [signing, notFound('login-key-2026-10')], { now: T0 });
    expect(d1.events.map((e) => e.reason)).toEqual(['SecretNotFound']);

    const d2 = run(afterWrite(as, d1), [signing, notFound('login-key-2026-10')], { now: T1 });
    expect(d2.events).toEqual([]);

    const d3 = run(afterWrite(as, d2), [signing, refusal('login-key-2026-10', { 'key.pem': 'garbage' })], { now: T1 });
    expect(d3.events.map((e) => e.reason)).toEqual(['KeyInvalid']);

    const d4 = run(afterWrite(as, d3), [signing, ok('login-key-2026-10', KEY_OCT)], { now: T2 });
    expect(d4.events).toEqual([]);

    const d5 = run(afterWrite(as, d4), [signing, notFound('login-key-2026-10')], { now: T2 });
    expect(d5.events.map((e) => e.reason)).toEqual(['SecretNotFound']);
  });

  it('records SigningKeyChanged only when a previous signing kid existed and differs', () => {
    const as = authServer({ extras: [] });
    // First resolution: no previous kid, no event.
    const first = run(as, [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')]);
    expect(first.events).toEqual([]);
    // Same kid again: no event.
    expect(run(afterWrite(as, first), [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify')], { now: T1 }).events).toEqual([]);
    // The Secret's key replaced in place: a new kid, an event, and a warning: it was never pre-published.
    const changed = run(afterWrite(as, first), [ok('login-key-2026-11', KEY_OCT, 'SignAndVerify')], { now: T1 });
    expect(changed.events).toEqual([
      { type: 'Normal', reason: 'SigningKeyChanged', message: expect.stringContaining(`"${KEY_OCT.kid}"`) },
      { type: 'Warning', reason: 'SigningKeyNotPrePublished', message: expect.stringContaining(`"${KEY_OCT.kid}"`) },
    ]);
    expect(changed.events[0]!.message).toContain(`"${KEY_NOV.kid}"`);
    // The signing key broken: no SigningKeyChanged (the problem has its own event).
    const broken = run(afterWrite(as, first), [notFound('login-key-2026-11', 'SignAndVerify')], { now: T1 });
    expect(broken.events.map((e) => e.reason)).toEqual(['SecretNotFound']);
  });
});

// ---- idempotence ---------------------------------------------------------------------------------

describe('decide: idempotence', () => {
  const scenarios: Array<[string, () => RefResolution[], IssuerVerdict]> = [
    ['all keys resolved', allResolved, servedOn(ISSUER)],
    ['a missing verify key', () => [ok('login-key-2026-11', KEY_NOV, 'SignAndVerify'), notFound('login-key-2026-10'), ok('login-key-2026-09', KEY_SEP)], servedOn(ISSUER)],
    ['a broken signing key and a weak verify key', () => [
      refusal('login-key-2026-11', { 'pub.pem': pems.nov.spki }, 'SignAndVerify'),
      refusal('login-key-2026-10', { 'key.pem': rsa1024Pem }),
      notFound('login-key-2026-09'),
    ], servedOn(ISSUER)],
    ['an issuer conflict', allResolved, CONFLICT],
    ['an invalid issuer', allResolved, INVALID],
    ['an issuer conflict and a missing key', () => [notFound('login-key-2026-11', 'SignAndVerify'), ok('login-key-2026-10', KEY_OCT), ok('login-key-2026-09', KEY_SEP)], CONFLICT],
  ];

  it.each(scenarios)('with %s: a second run on its own output changes nothing and records nothing', (_name, resolutions, issuer) => {
    const as = authServer();
    const first = run(as, resolutions(), { issuer, now: T0 });
    expect(first.statusChanged).toBe(true);
    const second = run(afterWrite(as, first), resolutions(), { issuer, now: T2 });
    expect(second.statusChanged).toBe(false);
    expect(second.events).toEqual([]);
    expect(second.status).toEqual(first.status);
    expect(second.document).toEqual(first.document);
  });

  it('changes status on a new generation, keeping lastTransitionTime', () => {
    const as = authServer();
    const first = run(as, allResolved(), { now: T0 });
    const second = run(afterWrite(as, first, 4), allResolved(), { now: T1 });
    expect(second.statusChanged).toBe(true);
    expect(second.status.observedGeneration).toBe(4);
    expect(second.status.conditions?.map((c) => [c.observedGeneration, c.lastTransitionTime])).toEqual([[4, T0], [4, T0], [4, T0]]);
    expect(second.events).toEqual([]);
  });
});

// ---- no key material -----------------------------------------------------------------------------

describe('decide: messages', () => {
  it('never carry key material, whatever the Secrets held', () => {
    const garbledPem = pems.sep.pkcs8.replace(/[A-Za-z]{8}/, '!!!!!!!!');
    const resolutions = [
      refusal('login-key-2026-11', { 'key.pem': pems.nov.pkcs8, 'pub.pem': pems.oct.spki }, 'SignAndVerify'),
      refusal('login-key-2026-10', { 'key.pem': rsa1024Pem }),
      refusal('login-key-2026-09', { 'key.pem': garbledPem }),
      refusal('d-key', { 'jwk.json': JSON.stringify({ kty: 'EC', crv: 'P-256', d: pems.oct.d, x: 'AAAA', y: 'BBBB' }) }),
      refusal('e-key', { 'key.pem': `${pems.nov.spki}\n${pems.nov.pkcs8}`.replace(/PRIVATE KEY/g, 'ENCRYPTED PRIVATE KEY') }),
      ok('f-key', KEY_SEP),
    ];
    const as = authServer({ extras: ['login-key-2026-10', 'login-key-2026-09', 'd-key', 'e-key', 'f-key'] });
    const d = run(as, resolutions, { issuer: INVALID });
    const text = JSON.stringify({ status: d.status, events: d.events, document: d.document });
    expect(text).not.toContain('-----BEGIN');
    for (const { pkcs8, d: scalar } of Object.values(pems)) {
      for (const line of pkcs8.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line.slice(0, 20));
      expect(text).not.toContain(scalar);
    }
    for (const jwk of d.document.keys) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(jwk).not.toHaveProperty(member);
    }
    // Every refusal names its Secret.
    const messages = [...(d.status.conditions ?? []), ...d.events].map((m) => m.message).join('\n');
    for (const name of ['login-key-2026-11', 'login-key-2026-10', 'login-key-2026-09', 'd-key', 'e-key']) expect(messages).toContain(`Secret "${name}"`);
  });
});
