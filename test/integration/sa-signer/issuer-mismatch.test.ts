// An issuer mismatch (docs/architecture.md#the-service-account-issuer): the kube-apiserver's --service-account-issuer is not the issuer
// AuthServer's issuerURI. Signet refuses to sign tokens for another issuer, and the AuthServer's
// Ready condition says why and what to fix; once the two agree, the API server issues.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { condition, createAuthServer, editAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';

const ns = useNamespace('sa-mismatch');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-mismatch-'));
const socket = join(dir, 'signer.sock');
let op: RunningOperator | undefined;
let api: SignerApiServer | undefined;

afterAll(async () => {
  await api?.stop();
  await op?.stop();
});

it('reports the mismatch in Ready, refuses to sign, and issues once issuerURI is the API server\'s issuer', async () => {
  const apiIssuer = `https://kubernetes.sa-mismatch.signet.test/${ns.name}`;
  const authServerIssuer = `https://elsewhere.signet.test/${ns.name}`;
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  op = await startOperator(['--namespace', ns.name, '--service-account-signer-socket', socket,
    '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')]);
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: authServerIssuer, tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' } } });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready before any API server asked');
  api = await startSignerApiServer({ issuer: apiIssuer, mode: { socket } });

  const refused = await api.tokenRequest(ns.name, 'app');
  expect(refused.status).toBeGreaterThanOrEqual(500);
  expect(refused.token).toBeUndefined();
  const as = await waitForStatus(ns.name, 'cluster-issuer', (a) => condition(a, 'Ready')?.reason === 'ServiceAccountIssuerMismatch', 'Ready=False ServiceAccountIssuerMismatch');
  expect(condition(as, 'Ready')?.status).toBe('False');
  expect(condition(as, 'Ready')?.message).toContain(`for issuer "${apiIssuer}"`);
  expect(condition(as, 'Ready')?.message).toContain(`has issuerURI "${authServerIssuer}": make the two the same`);

  await editAuthServer(ns.name, 'cluster-issuer', (spec) => ({ ...spec, issuerURI: apiIssuer }));
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready once issuerURI is the API server\'s issuer');
  const token = await eventually(async () => (await api!.tokenRequest(ns.name, 'app')).token, { what: 'TokenRequest once the issuers agree', timeoutMs: 60_000, intervalMs: 500 });
  expect(await api.tokenReview(token)).toEqual({ authenticated: true, username: `system:serviceaccount:${ns.name}:app` });
}, 180_000);
