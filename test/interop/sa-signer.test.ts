// The cluster's service-account issuer signed by Signet (docs/architecture.md#the-service-account-issuer), checked by verifiers nobody
// here wrote: go-oidc, PyJWT, jose and jwks-rsa find the kube-apiserver's keys through
// its own discovery (/.well-known/openid-configuration → /openid/v1/jwks, readable anonymously once
// system:service-account-issuer-discovery is bound, as the Kubernetes docs advise), and accept the
// tokens TokenRequest issued, before and after a rotation. openid-client is not among them: it
// checks OpenID Connect ID tokens that arrive in an authorization response (test/interop/node/
// verify.ts feeds it one as an implicit-flow answer, nonce included), which service-account tokens
// are not.
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../controlplane/controlplane.js';
import { annotateAuthServer, createAuthServer, getAuthServer, isReady, waitForStatus } from '../support/authservers.js';
import { eventually } from '../support/eventually.js';
import { clients, installCrd, useNamespace } from '../support/kube.js';
import { startOperator, type RunningOperator } from '../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../support/sa-signer.js';
import { LIBRARY_VERIFIERS, runLibraryVerifiers, type LibraryVerifier } from './support/verifier-protocol.js';

const VERIFIERS: readonly LibraryVerifier[] = LIBRARY_VERIFIERS.filter((v) => v !== 'openid-client');
const ns = useNamespace('interop-sa');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-interop-'));
const socket = join(dir, 'signer.sock');
const discoveryBinding = `signet-interop-sa-discovery-${process.pid}`;
let issuer = '';
let op: RunningOperator | undefined;
let api: SignerApiServer | undefined;

beforeAll(async () => {
  // The issuer is the API server's own URL: discovery is served where the issuer says.
  const port = await freePort();
  issuer = `https://127.0.0.1:${port}`;
  await installCrd();
  const { core, kc } = clients();
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: discoveryBinding },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:service-account-issuer-discovery' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:unauthenticated' }],
    },
  });
  op = await startOperator(['--namespace', ns.name, '--service-account-signer-socket', socket,
    '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')]);
  await createAuthServer(ns.name, 'cluster-issuer', {
    issuerURI: issuer,
    tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' }, rotation: { publishAhead: '10s', retainFor: '1h' } },
    jwks: { cacheMaxAgeSeconds: 5 },
  });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  api = await startSignerApiServer({ issuer, mode: { socket }, port });
}, 150_000);

afterAll(async () => {
  await api?.stop();
  await op?.stop();
  await clients().kc.makeApiClient(RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: discoveryBinding }).catch(() => undefined);
});

async function verifyAll(tokens: Record<string, string>): Promise<Record<string, Record<string, string>>> {
  const results = await runLibraryVerifiers(api!.caFile, {
    audience: issuer,
    issuers: [{ issuer, tokens: Object.entries(tokens).map(([id, token]) => ({ id, token })) }],
  });
  // verifier → token id → "ok" or the verifier's error, so a failure says which and why.
  return Object.fromEntries(VERIFIERS.map((v) => [v, Object.fromEntries(Object.keys(tokens).map((id) => {
    const r = results[v].get(id);
    return [id, r?.ok ? `ok ${r.subject}` : `refused: ${r?.error ?? 'no result'}`];
  }))]));
}

const everyVerifier = (tokens: Record<string, string>): Record<string, Record<string, string>> =>
  Object.fromEntries(VERIFIERS.map((v) => [v, tokens]));

it('every verifier accepts the tokens Signet signed for the kube-apiserver, through its discovery, before and after a rotation; a foreign-signed token is refused', async () => {
  const subject = `ok system:serviceaccount:${ns.name}:app`;
  const oldKid = (await getAuthServer(ns.name, 'cluster-issuer')).status?.signingKeyID;
  const before = (await api!.tokenRequest(ns.name, 'app')).token!;
  expect(decodeJwt(before).header.kid).toBe(oldKid);

  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate': 'interop' });
  const after = await eventually(async () => {
    const t = (await api!.tokenRequest(ns.name, 'app')).token;
    return t !== undefined && decodeJwt(t).header.kid !== oldKid ? t : undefined;
  }, { what: 'a token signed by the promoted key', timeoutMs: 60_000, intervalMs: 500 });

  // A token whose signature is not the issuer's: every verifier must refuse it.
  const [h, p] = after.split('.');
  const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
  const got = await verifyAll({ before, after, forged });
  for (const v of VERIFIERS) expect(got[v]!.forged).toMatch(/^refused/);
  for (const v of VERIFIERS) delete got[v]!.forged;
  expect(got).toEqual(everyVerifier({ before: subject, after: subject }));
}, 150_000);

it('a verifier that trusts the issuer stops accepting a key Signet retired early (emergency rotation)', async () => {
  const leaked = (await api!.tokenRequest(ns.name, 'app')).token!;
  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate-emergency': 'interop' });
  const leakedKid = decodeJwt(leaked).header.kid;
  await eventually(async () => !(await api!.jwks()).keys.some((k) => k.kid === leakedKid), { what: 'the leaked key gone from /openid/v1/jwks', timeoutMs: 60_000, intervalMs: 250 });
  const fresh = await eventually(async () => (await api!.tokenRequest(ns.name, 'app')).token, { what: 'a token after the emergency rotation', timeoutMs: 30_000, intervalMs: 250 });
  const got = await verifyAll({ leaked, fresh });
  for (const v of VERIFIERS) {
    expect(got[v]!.leaked).toMatch(/^refused/);
    expect(got[v]!.fresh).toBe(`ok system:serviceaccount:${ns.name}:app`);
  }
}, 150_000);
