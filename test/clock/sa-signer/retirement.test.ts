// Retired keys of the cluster's service-account issuer (docs/architecture.md#the-service-account-issuer, #rotation): a key replaced by a
// promotion stays in FetchKeys, so the kube-apiserver keeps accepting the tokens it signed, until
// its retiresAt, and leaves then. The shortest retention the kube-apiserver allows is 10 minutes
// (Metadata's max_token_expiration_seconds ≥ 600 and retainFor ≥ maxTokenLifetime), so this file
// runs about 11 minutes, in the clock suite (test/clock/, beside the others in `make test`).
//
// A token the API server issues lives at most maxTokenLifetime, so it expires before its key
// retires; to see the key leave, the test signs, through the socket and before the promotion, the
// claims of a real token with a later exp (what the API server does for the kubelet's extended
// tokens): TokenReview accepts it until the key leaves.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotateAuthServer, createAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { externalJwtClient, type ExternalJwtClient } from '../../support/externaljwt-client.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';

const ns = useNamespace('sa-retire');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-retire-'));
const socket = join(dir, 'signer.sock');
let op: RunningOperator | undefined;
let api: SignerApiServer | undefined;
let socketClient: ExternalJwtClient | undefined;

afterAll(async () => {
  socketClient?.close();
  await api?.stop();
  await op?.stop();
});

it('tokens signed before a promotion pass TokenReview until the old key\'s retiresAt, and fail after it', async () => {
  const issuer = `https://sa-retire.signet.test/${ns.name}`;
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  op = await startOperator(['--namespace', ns.name, '--service-account-signer-socket', socket,
    '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')]);
  await createAuthServer(ns.name, 'cluster-issuer', {
    issuerURI: issuer,
    tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' }, rotation: { publishAhead: '5s', retainFor: '10m' } },
    signing: { maxTokenLifetime: '10m' },
    jwks: { cacheMaxAgeSeconds: 5 },
  });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  api = await startSignerApiServer({ issuer, mode: { socket } });
  socketClient = externalJwtClient(socket);

  const issued = (await api.tokenRequest(ns.name, 'app')).token!;
  const oldKid = decodeJwt(issued).header.kid;
  const claims = { ...decodeJwt(issued).claims, exp: Math.floor(Date.now() / 1000) + 3600 };
  const signed = await socketClient.sign(claims);
  const longLived = `${signed.header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signed.signature}`;
  expect(decodeJwt(longLived).header.kid).toBe(oldKid);
  expect((await api.tokenReview(longLived)).authenticated).toBe(true);

  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate': 'retire-me' });
  const retired = await eventually(async () => (await getAuthServer(ns.name, 'cluster-issuer')).status?.keys?.find((k) => k.kid === oldKid && k.state === 'Retired'), { what: 'the old key Retired', timeoutMs: 60_000, intervalMs: 250 });
  const retiresAt = Date.parse(retired.retiresAt ?? '');
  expect(retiresAt - Date.now()).toBeGreaterThan(9 * 60_000);
  const newToken = await eventually(async () => {
    const t = (await api!.tokenRequest(ns.name, 'app')).token;
    return t && decodeJwt(t).header.kid !== oldKid ? t : undefined;
  }, { what: 'a token signed by the promoted key', timeoutMs: 60_000, intervalMs: 250 });
  expect((await api.tokenReview(newToken)).authenticated).toBe(true);

  // Until retiresAt: the old key is in FetchKeys and /openid/v1/jwks, and its token passes.
  const before: Array<{ at: number; review: boolean; fetchKeys: boolean; jwks: boolean }> = [];
  await eventually(async () => {
    if (Date.now() >= retiresAt - 3000) return true;
    const [review, keys, jwks] = await Promise.all([api!.tokenReview(longLived), socketClient!.fetchKeys(), api!.jwks()]);
    before.push({ at: Date.now(), review: review.authenticated, fetchKeys: keys.keys.some((k) => k.keyId === oldKid), jwks: jwks.keys.some((k) => k.kid === oldKid) });
    return false;
  }, { what: 'the old key\'s retiresAt', timeoutMs: retiresAt - Date.now() + 10_000, intervalMs: 10_000 });
  expect(before.length).toBeGreaterThan(30);
  expect(before.filter((o) => !(o.review && o.fetchKeys && o.jwks))).toEqual([]);

  // After it: gone from FetchKeys at once, then from the API server, whose TokenReview refuses the token.
  const leftFetchKeysMs = await eventually(async () => ((await socketClient!.fetchKeys()).keys.some((k) => k.keyId === oldKid) ? undefined : Date.now() - retiresAt), { what: 'the old key gone from FetchKeys', timeoutMs: 30_000, intervalMs: 100 });
  const refusedMs = await eventually(async () => ((await api!.tokenReview(longLived)).authenticated ? undefined : Date.now() - retiresAt), { what: 'the old key\'s token refused', timeoutMs: 60_000, intervalMs: 250 });
  process.stdout.write(`sa-signer retirement: old key left FetchKeys ${leftFetchKeysMs} ms and its token was refused by TokenReview ${refusedMs} ms after retiresAt (cacheMaxAgeSeconds 5)\n`);
  expect(leftFetchKeysMs).toBeLessThan(10_000);
  expect((await api.jwks()).keys.map((k) => k.kid)).not.toContain(oldKid);
  expect((await api.tokenReview(newToken)).authenticated).toBe(true);
}, 900_000);
