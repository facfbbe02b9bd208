// Signet as the kube-apiserver's service-account token signer (docs/architecture.md#the-service-account-issuer), against a real
// kube-apiserver whose only signer is Signet's socket (--service-account-signing-endpoint, no key
// files): tokens it issues are accepted by it and verifiable from its JWKS; Signet killed and
// restarted.
import { createLocalJWKSet, jwtVerify } from 'jose';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotateAuthServer, createAuthServer, editAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';

const ns = useNamespace('sa-issuance');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-'));
const socket = join(dir, 'signer.sock');
const stateFile = join(dir, 'state.json');
let issuer = '';
let op: RunningOperator | undefined;
let api: SignerApiServer;

const signetArgs = (): string[] => ['--namespace', ns.name, '--service-account-signer-socket', socket,
  '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', stateFile];

beforeAll(async () => {
  issuer = `https://sa-issuer.signet.test/${ns.name}`;
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  op = await startOperator(signetArgs());
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: issuer, tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' } }, jwks: { cacheMaxAgeSeconds: 5 } });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  api = await startSignerApiServer({ issuer, mode: { socket } });
}, 150_000);

afterAll(async () => {
  await api?.stop();
  await op?.stop();
});

it('issues tokens the API server accepts, that its JWKS and discovery describe and jose verifies', async () => {
  const as = await getAuthServer(ns.name, 'cluster-issuer');
  const got = await api.tokenRequest(ns.name, 'app');
  expect(got.status).toBe(201);
  const token = got.token!;
  const { header, claims } = decodeJwt(token);
  expect(header).toEqual({ alg: 'RS256', kid: as.status?.signingKeyID, typ: 'JWT' });
  expect(claims.iss).toBe(issuer);

  const username = `system:serviceaccount:${ns.name}:app`;
  expect(await api.tokenReview(token)).toEqual({ authenticated: true, username });
  expect(await api.whoami(token)).toEqual({ status: 201, username });

  const jwks = await api.jwks();
  expect(jwks.keys.map((k) => k.kid)).toEqual(as.status?.keys?.map((k) => k.kid));
  const discovery = (await api.request('GET', '/.well-known/openid-configuration')).json;
  expect(discovery).toMatchObject({ issuer, jwks_uri: expect.stringMatching(/\/openid\/v1\/jwks$/), id_token_signing_alg_values_supported: ['RS256'] });
  const verified = await jwtVerify(token, createLocalJWKSet(jwks as never), { issuer, audience: issuer });
  expect(verified.payload.sub).toBe(username);

  // The socket is the kube-apiserver's alone, and the state file holds a private key.
  expect(statSync(socket).mode & 0o777).toBe(0o600);
  expect(statSync(stateFile).mode & 0o777).toBe(0o600);
  const metrics = await (await fetch(`http://127.0.0.1:${op!.metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/^signet_sa_signer_sign_total\{result="ok"\} [1-9]/m);
  expect(metrics).toMatch(/^signet_sa_signer_fetch_keys_total\{result="ok"\} [1-9]/m);
});

it('Signet killed: TokenRequest fails, tokens already issued still pass; restarted: issuance resumes', async () => {
  const before = (await api.tokenRequest(ns.name, 'app')).token!;
  await op!.kill();
  // No token while the signer is gone: a 5xx, or (seen once, with the other files running) the
  // connection closed unanswered.
  const failed = await api.tokenRequest(ns.name, 'app').catch((err: Error) => ({ status: 0, message: err.message, token: undefined }));
  expect(failed.status === 0 || failed.status >= 500).toBe(true);
  expect(failed.token).toBeUndefined();
  expect((await api.tokenReview(before)).authenticated).toBe(true);

  // The socket a killed process left behind is reclaimed.
  op = await startOperator(signetArgs());
  const after = await eventually(async () => (await api.tokenRequest(ns.name, 'app')).token, { what: 'TokenRequest through the restarted Signet', timeoutMs: 60_000, intervalMs: 500 });
  expect((await api.tokenReview(after)).authenticated).toBe(true);
  expect((await api.tokenReview(before)).authenticated).toBe(true);
}, 120_000);

it('rotation: the API server publishes the next key before it signs, and tokens of the replaced key still pass', async () => {
  await editAuthServer(ns.name, 'cluster-issuer', (spec) => ({ ...spec, tokenSignature: { ...spec.tokenSignature, rotation: { publishAhead: '20s', retainFor: '1h' } } }));
  const oldKid = (await getAuthServer(ns.name, 'cluster-issuer')).status?.signingKeyID;
  const before = (await api.tokenRequest(ns.name, 'app')).token!;
  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate': 'r1' });
  const nextKid = await eventually(async () => (await api.jwks()).keys.map((k) => k.kid).find((kid) => kid !== oldKid), { what: 'the next key in /openid/v1/jwks', timeoutMs: 30_000, intervalMs: 250 });
  const publishedAt = Date.now();
  // Until the promotion every token is still signed by the old key.
  expect(decodeJwt((await api.tokenRequest(ns.name, 'app')).token!).header.kid).toBe(oldKid);
  const after = await eventually(async () => {
    const t = (await api.tokenRequest(ns.name, 'app')).token!;
    return decodeJwt(t).header.kid === nextKid ? t : undefined;
  }, { what: 'a token signed by the next key', timeoutMs: 60_000, intervalMs: 250 });
  const aheadMs = Date.now() - publishedAt;
  process.stdout.write(`sa-signer rotation: next key in the kube-apiserver's JWKS ${aheadMs} ms before its first token (publishAhead 20 s)\n`);
  expect(aheadMs).toBeGreaterThan(0);
  expect(await api.tokenReview(after)).toMatchObject({ authenticated: true });
  expect(await api.tokenReview(before)).toMatchObject({ authenticated: true });
  expect((await api.jwks()).keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, nextKid]));
}, 120_000);

it('emergency rotation: the API server refuses tokens of the compromised key within its refresh interval, and issues with the new one', async () => {
  const compromisedKid = (await getAuthServer(ns.name, 'cluster-issuer')).status?.signingKeyID;
  const leaked = (await api.tokenRequest(ns.name, 'app')).token!;
  expect((await api.tokenReview(leaked)).authenticated).toBe(true);
  const started = Date.now();
  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate-emergency': 'leaked' });
  // refresh_hint_seconds follows jwks.cacheMaxAgeSeconds (5 s here); the API server refetches on that hint.
  await eventually(async () => !(await api.tokenReview(leaked)).authenticated, { what: 'the leaked token refused', timeoutMs: 60_000, intervalMs: 250 });
  const refusedAfterMs = Date.now() - started;
  process.stdout.write(`sa-signer emergency rotation: leaked token refused by the kube-apiserver after ${refusedAfterMs} ms\n`);
  expect((await api.jwks()).keys.map((k) => k.kid)).not.toContain(compromisedKid);
  const fresh = (await api.tokenRequest(ns.name, 'app')).token!;
  expect(decodeJwt(fresh).header.kid).not.toBe(compromisedKid);
  expect(await api.tokenReview(fresh)).toEqual({ authenticated: true, username: `system:serviceaccount:${ns.name}:app` });
}, 90_000);
