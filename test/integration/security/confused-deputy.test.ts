// Signet must not do for an AuthServer author what RBAC forbids them (issue 20): reach a Secret
// they cannot read, destroy another AuthServer's key, or publish a key through a status write.
// Each test is the attack as an author with no Secret access would make it, against the real API
// server; it succeeded before the fix (noted at each test) and must fail now.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION, type AuthServer, type AuthServerSpec } from '../../../src/api/types.js';
import { freePort } from '../../controlplane/controlplane.js';
import { condition, createAuthServer, editAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, useNamespace } from '../../support/kube.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { call, grant, serviceAccountToken } from '../signing/helpers.js';

const c = clients();
const ns = useNamespace('deputy');
const signingPort = await freePort();
const policyFile = join(tmpdir(), `signet-deputy-policy-${process.pid}.yaml`);
// Namespaces of this file may claim issuer.test only: evil.test is refused (IssuerNotAllowed).
writeFileSync(policyFile, `- namespaces: ['deputy-*']\n  hosts: [issuer.test]\n`);
const op = useOperator(ns, () => ['--signing-bind-address', `127.0.0.1:${signingPort}`, '--signing-insecure', '--issuer-host-policy', policyFile]);
const api = { group: GROUP, version: VERSION, plural: PLURAL };

const issuer = (name: string, host = 'issuer.test'): string => `https://${host}/${ns.name}/${name}`;
const served = async (name: string): Promise<string[]> => (await getJwks(op.jwksPort, `/authservers/${ns.name}/${name}/oauth2/jwks`)).keys.map((k) => String(k.kid));
const secret = async (name: string) => c.core.readNamespacedSecret({ namespace: ns.name, name });
let exporter = '';

afterAll(() => rmSync(policyFile, { force: true }));

beforeAll(async () => {
  exporter = await serviceAccountToken(ns.name, 'exporter');
  await grant(ns.name, 'exporter', ['tls-thief', 'opted-in', 'late-export', 'born-exportable'], ['tls-thief', 'opted-in', 'late-export', 'born-exportable']);
});

async function patchStatus(name: string, edit: (as: AuthServer) => AuthServer['status']): Promise<void> {
  await eventually(async () => {
    const as = await getAuthServer(ns.name, name);
    await c.custom.replaceNamespacedCustomObjectStatus({ ...api, namespace: ns.name, name, body: { ...as, status: edit(as) } });
    return true;
  }, { what: `status edit of ${name}` });
}

describe("another AuthServer's generated key", () => {
  let victimKid = '';
  let victimVersion = '';
  beforeAll(async () => {
    await createAuthServer(ns.name, 'victim', { issuerURI: issuer('victim'), tokenSignature: { signAndVerifyKeyRef: { name: 'victim-key' } } });
    const as = await waitForStatus(ns.name, 'victim', isReady, 'Ready');
    victimKid = as.status?.signingKeyID ?? '';
    victimVersion = (await secret('victim-key')).metadata?.resourceVersion ?? '';
  });

  // Before the fix: the thief's emergency rotation replaced victim-key's key.pem, and the victim's
  // tokens stopped verifying; with a refused issuer too.
  it.each([
    ['thief-allowed', 'issuer.test'],
    ['thief-refused', 'evil.test'],
  ])('%s: an emergency rotation or a schedule through a signing ref to it changes nothing (issuer host %s)', async (name, host) => {
    await createAuthServer(ns.name, name, {
      issuerURI: issuer(name, host),
      tokenSignature: { signAndVerifyKeyRef: { name: 'victim-key' }, rotation: { period: '1h', publishAhead: '20m' } },
    }, { 'signet.dev/rotate-emergency': 'now', 'signet.dev/rotate': 'now' });
    const as = await waitForStatus(ns.name, name, (a) => condition(a, 'Ready')?.status === 'False', 'Ready=False');
    if (host === 'issuer.test') {
      const cond = condition(as, 'SignAndVerifyKeyResolved');
      expect(cond?.reason).toBe('SecretNotOwned');
      expect(cond?.message).toContain('Secret "victim-key"');
      expect(cond?.message).toContain('AuthServer "victim"');
    } else {
      expect(condition(as, 'Ready')?.reason).toBe('IssuerNotAllowed');
    }
    // The reconcile that wrote this status made its Secret change (if any) first.
    expect((await secret('victim-key')).metadata?.resourceVersion).toBe(victimVersion);
    expect((await secret('victim-key')).data?.['next.key.pem']).toBeUndefined();
    expect(await served('victim')).toEqual([victimKid]);
    expect((await getAuthServer(ns.name, 'victim')).status?.signingKeyID).toBe(victimKid);
  });
});

describe("a private key in a Secret that was not generated for the AuthServer", () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const spec = (name: string, key: string, exportable = true): AuthServerSpec => ({
    issuerURI: issuer(name), tokenSignature: { signAndVerifyKeyRef: { name: key } }, signing: { enabled: true, allowKeysetExport: exportable },
  });
  beforeAll(async () => {
    // A workload's own key (a cert-manager tls.key would be the same): the author cannot read it.
    await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'app-private' }, stringData: { 'key.pem': pem } } });
    await c.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: 'consenting', annotations: { 'signet.dev/allow-signing-by': 'other, opted-in' } }, stringData: { 'key.pem': pem } },
    });
  });

  // Before the fix: /keyset answered 200 with the Secret's private "d", and /sign signed with it.
  it('is neither exported nor used to sign; the public key is still served and status says how to opt in', async () => {
    await createAuthServer(ns.name, 'tls-thief', spec('tls-thief', 'app-private'));
    const as = await waitForStatus(ns.name, 'tls-thief', (a) => condition(a, 'SignAndVerifyKeyResolved')?.reason === 'SecretNotOwned', 'SecretNotOwned');
    expect(condition(as, 'SignAndVerifyKeyResolved')?.message).toContain('signet.dev/allow-signing-by');
    expect(condition(as, 'Ready')?.status).toBe('False');
    expect(await served('tls-thief')).toEqual([as.status?.signingKeyID]);
    const keyset = await call(signingPort, `/authservers/${ns.name}/tls-thief/keyset`, { token: exporter });
    expect(keyset.status).not.toBe(200);
    expect(JSON.stringify(keyset.body)).not.toContain('"d"');
    const signed = await call(signingPort, `/authservers/${ns.name}/tls-thief/sign`, { token: exporter, body: { sub: 'x' } });
    expect(signed.status).toBe(503);
  });

  it('signs once the Secret names the AuthServer in signet.dev/allow-signing-by, and still exports nothing', async () => {
    await createAuthServer(ns.name, 'opted-in', spec('opted-in', 'consenting'));
    await waitForStatus(ns.name, 'opted-in', isReady, 'Ready');
    const signed = await eventually(async () => {
      const r = await call(signingPort, `/authservers/${ns.name}/opted-in/sign`, { token: exporter, body: { sub: 'x' } });
      return r.status === 200 ? r : undefined;
    }, { what: 'a token from opted-in' });
    expect(typeof signed.body.token).toBe('string');
    expect((await call(signingPort, `/authservers/${ns.name}/opted-in/keyset`, { token: exporter })).status).toBe(404);
  });

  // Before the fix: turning allowKeysetExport on later exported a key generated while it was off.
  it('a key generated while export was off never becomes exportable; one generated with it on is', async () => {
    await createAuthServer(ns.name, 'late-export', spec('late-export', 'late-export-key', false));
    await createAuthServer(ns.name, 'born-exportable', spec('born-exportable', 'born-exportable-key', true));
    await waitForStatus(ns.name, 'late-export', isReady, 'Ready');
    await waitForStatus(ns.name, 'born-exportable', isReady, 'Ready');
    await editAuthServer(ns.name, 'late-export', (s) => ({ ...s, signing: { ...s.signing, allowKeysetExport: true } }));
    await waitForStatus(ns.name, 'late-export', isReady, 'Ready after the edit');
    const born = await eventually(async () => {
      const r = await call(signingPort, `/authservers/${ns.name}/born-exportable/keyset`, { token: exporter });
      return r.status === 200 ? r : undefined;
    }, { what: 'export of born-exportable' });
    expect(JSON.stringify(born.body)).toContain('"d"');
    expect((await secret('born-exportable-key')).metadata?.annotations?.['signet.dev/exportable']).toBe('true');
    expect((await secret('late-export-key')).metadata?.annotations?.['signet.dev/exportable']).toBeUndefined();
    const late = await call(signingPort, `/authservers/${ns.name}/late-export/keyset`, { token: exporter });
    expect(late.status).toBe(404);
    expect(JSON.stringify(late.body)).not.toContain('"d"');
  });
});

describe('status written by someone other than Signet', () => {
  const forged = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let forgedJwk: Record<string, unknown> = {};
  beforeAll(async () => {
    const jwk = await exportJWK(forged.publicKey);
    forgedJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
    await createAuthServer(ns.name, 'sealed', { issuerURI: issuer('sealed'), tokenSignature: { signAndVerifyKeyRef: { name: 'sealed-key' }, keyGeneration: { algorithm: 'ES256' } } });
    await waitForStatus(ns.name, 'sealed', isReady, 'Ready');
  });

  // Before the fix: the forged key was served in the JWKS until 9999.
  it.each(['a new kid', 'the active kid'])('a retired key added by hand under %s is not served, and the leader removes it', async (which) => {
    const active = (await getAuthServer(ns.name, 'sealed')).status?.signingKeyID ?? '';
    const kid = which === 'a new kid' ? String(forgedJwk.kid) : active;
    await patchStatus('sealed', (as) => ({
      ...as.status,
      retiredKeys: [{ kid, secretName: 'sealed-key', retiresAt: '9999-12-31T00:00:00Z', jwk: { ...forgedJwk, kid } as never }],
    }));
    await eventually(async () => ((await getAuthServer(ns.name, 'sealed')).status?.retiredKeys ?? []).length === 0, { what: 'the leader removes the forged entry' });
    expect(await served('sealed')).toEqual([active]);
    const jwks = await getJwks(op.jwksPort, `/authservers/${ns.name}/sealed/oauth2/jwks`);
    expect(JSON.stringify(jwks.keys)).not.toContain(String(forgedJwk.x));
  });

  // status.attestedSecrets (issue 21) lets a replica serve without reading the Secret: only with Signet's seal.
  it('an attested Secret edited by hand to hold another key is not served, and the leader writes it back', async () => {
    const before = await eventually(async () => {
      const as = await getAuthServer(ns.name, 'sealed');
      return as.status?.attestedSecrets?.find((e) => e.secretName === 'sealed-key') ? as : undefined;
    }, { what: 'sealed-key attested in status' });
    const entry = before.status!.attestedSecrets!.find((e) => e.secretName === 'sealed-key')!;
    const facts = JSON.parse(entry.facts) as { result: { value: { kid: string; publicJwk: Record<string, unknown> } } };
    facts.result.value = { ...facts.result.value, kid: String(forgedJwk.kid), publicJwk: forgedJwk };
    const forgedFacts = JSON.stringify(facts);
    await patchStatus('sealed', (as) => ({ ...as.status, attestedSecrets: [{ ...entry, facts: forgedFacts }] }));
    await eventually(async () => {
      const e = (await getAuthServer(ns.name, 'sealed')).status?.attestedSecrets?.find((x) => x.secretName === 'sealed-key');
      return e?.facts === entry.facts;
    }, { what: 'the leader writes the attestation back' });
    expect(await served('sealed')).toEqual([before.status?.signingKeyID]);
    const jwks = await getJwks(op.jwksPort, `/authservers/${ns.name}/sealed/oauth2/jwks`);
    expect(JSON.stringify(jwks.keys)).not.toContain(String(forgedJwk.x));
  });

  // Before the fix: an earlier publishedSince made the next key sign at once, before verifiers had it.
  it('an earlier publishedSince on the next key does not make it sign early', async () => {
    await createAuthServer(ns.name, 'early', {
      issuerURI: issuer('early'), jwks: { cacheMaxAgeSeconds: 30 },
      tokenSignature: { signAndVerifyKeyRef: { name: 'early-key' }, keyGeneration: { algorithm: 'ES256' }, rotation: { publishAhead: '1h' } },
    });
    const before = await waitForStatus(ns.name, 'early', isReady, 'Ready');
    await c.custom.patchNamespacedCustomObject({ ...api, namespace: ns.name, name: 'early', body: { metadata: { annotations: { 'signet.dev/rotate': 'r1' } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
    const withNext = await waitForStatus(ns.name, 'early', (a) => (a.status?.keys ?? []).some((k) => k.state === 'Next'), 'a Next key');
    const next = withNext.status?.keys?.find((k) => k.state === 'Next');
    await patchStatus('early', (as) => ({
      ...as.status,
      keys: as.status?.keys?.map((k) => (k.state === 'Next' ? { ...k, publishedSince: '2000-01-01T00:00:00Z', activatesAt: '2000-01-01T01:00:00Z' } : k)),
    }));
    // The leader puts the Secret's record back; the next key stays Next, the old one signs.
    const corrected = await eventually(async () => {
      const as = await getAuthServer(ns.name, 'early');
      const k = as.status?.keys?.find((x) => x.kid === next?.kid);
      return k && k.publishedSince !== '2000-01-01T00:00:00Z' ? as : undefined;
    }, { what: 'the leader corrects publishedSince' });
    expect(corrected.status?.signingKeyID).toBe(before.status?.signingKeyID);
    expect(corrected.status?.keys?.find((k) => k.kid === next?.kid)?.state).toBe('Next');
    expect(Date.parse(corrected.status?.keys?.find((k) => k.kid === next?.kid)?.activatesAt ?? '')).toBeGreaterThan(Date.now() + 50 * 60_000);
  });
});

describe('a shared secret (HS256) generated by Signet', () => {
  // Before the fix: the kid was the unsalted SHA-256 of the secret, in status, events and metrics.
  it('has a random kid stored on the Secret, not a hash of the secret', async () => {
    await createAuthServer(ns.name, 'hs', { issuerURI: issuer('hs'), tokenSignature: { signAndVerifyKeyRef: { name: 'hs-key' }, keyGeneration: { algorithm: 'HS256' } }, signing: { enabled: true } });
    const as = await waitForStatus(ns.name, 'hs', isReady, 'Ready');
    const s = await secret('hs-key');
    const raw = Buffer.from(s.data?.secret ?? '', 'base64');
    const kid = as.status?.signingKeyID ?? '';
    expect(kid).toBe(s.metadata?.annotations?.['signet.dev/kid']);
    for (const digest of ['sha256', 'sha384', 'sha512']) {
      const h = createHash(digest).update(raw).digest();
      expect(kid).not.toContain(h.toString('base64url').slice(0, 16));
      expect(kid).not.toContain(h.toString('hex').slice(0, 16));
    }
  });
});

describe('retainFor against the longest token the signing service signs', () => {
  // Before the fix: accepted, and tokens signed just before a promotion stopped verifying while valid.
  it('is refused by the API server when shorter than maxTokenLifetime + 60s', async () => {
    const body = (retainFor: string) => ({
      apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name: `short-retain-${retainFor}` },
      spec: { issuerURI: issuer('short'), tokenSignature: { signAndVerifyKeyRef: { name: 'short-key' }, rotation: { retainFor } }, signing: { enabled: true, maxTokenLifetime: '1h' } },
    });
    const err = await c.custom.createNamespacedCustomObject({ ...api, namespace: ns.name, body: body('30s') }).then(() => undefined, (e: { code?: number; body?: string }) => e);
    expect(err?.code).toBe(422);
    expect(String(err?.body)).toContain('retainFor must be at least signing.maxTokenLifetime + 60s');
    await expect(c.custom.createNamespacedCustomObject({ ...api, namespace: ns.name, body: body('61m') })).resolves.toBeTruthy();
  });
});
