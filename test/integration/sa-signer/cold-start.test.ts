// Cold start of the cluster's service-account issuer (docs/architecture.md#the-service-account-issuer): the kube-apiserver asks Signet
// for keys before it serves, and Signet reads its AuthServer from that same API server. Signet
// started while that API server is down serves from its state file, the API server comes up and
// issues, and Signet catches up once the API answers; the API server restarted under a running
// Signet comes up and issues.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { annotateAuthServer, createAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { run } from '../../support/helm.js';
import { clients, installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';

const ns = useNamespace('sa-cold');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-cold-'));
const socket = join(dir, 'signer.sock');
const stateFile = join(dir, 'state.json');
let issuer = '';
let op: RunningOperator | undefined;
let api: SignerApiServer;

const signetArgs = (): string[] => ['--namespace', ns.name, '--service-account-signer-socket', socket,
  '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', stateFile];
const username = (): string => `system:serviceaccount:${ns.name}:app`;

beforeAll(async () => {
  issuer = `https://sa-cold.signet.test/${ns.name}`;
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  op = await startOperator(signetArgs());
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: issuer, tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' }, rotation: { publishAhead: '1h', retainFor: '1h' } }, jwks: { cacheMaxAgeSeconds: 5 } });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  api = await startSignerApiServer({ issuer, mode: { socket } });
}, 150_000);

afterAll(async () => {
  await op?.stop();
  await api?.stop();
});

it('Signet started while the API server it reads from is down serves from the state file: the API server comes up and issues, and Signet catches up', async () => {
  const before = (await api.tokenRequest(ns.name, 'app')).token!;
  const kid = decodeJwt(before).header.kid;
  await op!.stop();
  await api.down();

  // Signet reads its AuthServer through the very API server it signs for, which is down.
  // The signer serves before the health listener listens (main.ts): both, before /readyz is asked.
  op = await startOperator([...signetArgs(), '--kubeconfig', api.kubeconfig], {
    until: async (o) => existsSync(socket) && o.logs.some((l) => l.includes('serving the keyring of the state file')) &&
      await fetch(`http://127.0.0.1:${o.metricsPort}/healthz`).then(() => true, () => false),
  });
  expect((await fetch(`http://127.0.0.1:${op.metricsPort}/readyz`)).status).not.toBe(200);

  await api.up();
  const after = await api.tokenRequest(ns.name, 'app');
  expect(after.status).toBe(201);
  expect(decodeJwt(after.token!).header.kid).toBe(kid);
  expect(await api.tokenReview(after.token!)).toEqual({ authenticated: true, username: username() });
  expect(await api.tokenReview(before)).toEqual({ authenticated: true, username: username() });

  // Once that API server answers, Signet reads the AuthServer from it and follows its changes.
  await eventually(async () => (await fetch(`http://127.0.0.1:${op!.metricsPort}/readyz`)).status === 200, { what: 'Signet ready through the signer-backed API server', timeoutMs: 60_000, intervalMs: 500 });
  await annotateAuthServer(ns.name, 'cluster-issuer', { 'signet.dev/rotate': 'after-cold-start' });
  const nextKid = await eventually(async () => (await getAuthServer(ns.name, 'cluster-issuer')).status?.keys?.find((k) => k.state === 'Next')?.kid, { what: 'a Next key', timeoutMs: 30_000, intervalMs: 250 });
  await eventually(async () => (await api.jwks()).keys.some((k) => k.kid === nextKid), { what: 'the Next key in the API server\'s /openid/v1/jwks', timeoutMs: 30_000, intervalMs: 250 });
}, 180_000);

it('the API server restarted while Signet runs comes up and issues', async () => {
  const before = (await api.tokenRequest(ns.name, 'app')).token!;
  await api.restart();
  const after = await api.tokenRequest(ns.name, 'app');
  expect(after.status).toBe(201);
  expect(await api.tokenReview(after.token!)).toEqual({ authenticated: true, username: username() });
  expect(await api.tokenReview(before)).toEqual({ authenticated: true, username: username() });
}, 150_000);

it('kubectl signet status shows the cluster issuer like any AuthServer; the metrics count Sign calls, their latency and FetchKeys calls', async () => {
  const as = await getAuthServer(ns.name, 'cluster-issuer');
  const r = await run(join(repoRoot, 'bin/kubectl-signet'), ['--kubeconfig', process.env.KUBECONFIG ?? '', 'status', '-n', ns.name]);
  expect(r.stderr).toBe('');
  const row = r.stdout.trim().split('\n').find((l) => l.startsWith('cluster-issuer')) ?? '';
  expect(row.split(/\s{3,}/).slice(0, 4)).toEqual(['cluster-issuer', issuer, 'True', 'Resolved']);
  expect(row).toContain(as.status?.signingKeyID);
  expect(row).toMatch(/1 Active, 1 Next/);

  await api.tokenRequest(ns.name, 'app');
  const metrics = await (await fetch(`http://127.0.0.1:${op!.metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/^signet_sa_signer_sign_total\{result="ok"\} [1-9]/m);
  expect(metrics).toMatch(/^signet_sa_signer_sign_duration_seconds_count [1-9]/m);
  expect(metrics).toMatch(/^signet_sa_signer_fetch_keys_total\{result="ok"\} [1-9]/m);
  expect(metrics).toMatch(/^signet_sa_signer_listening 1$/m);
}, 60_000);
