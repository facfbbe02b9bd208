// Every replica signs (docs/architecture.md#the-signing-service), not only the leader: with two replicas, SIGKILL the leader in the
// middle of steady signing traffic to the other one, and no request to the survivor fails.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { freePort } from '../../controlplane/controlplane.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { installCrd, useNamespace } from '../../support/kube.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { call, grant, serviceAccountToken } from './helpers.js';

const ns = useNamespace('signing-replicas');
const replicas: Array<{ op: RunningOperator; port: number }> = [];

afterAll(async () => {
  for (const r of replicas) await r.op.kill();
});

it('the survivor answers every request while the leader is SIGKILLed', async () => {
  await installCrd();
  const issuer = `https://issuer.test/${ns.name}/ha`;
  await createAuthServer(ns.name, 'ha', { issuerURI: issuer, tokenSignature: { signAndVerifyKeyRef: { name: 'ha-key' }, keyGeneration: { algorithm: 'ES256' } }, signing: { enabled: true } });
  const token = await serviceAccountToken(ns.name, 'gateway');
  await grant(ns.name, 'gateway', ['ha']);
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const op = await startOperator(['--namespace', ns.name, '--leader-elect', '--leader-elect-namespace', ns.name, '--leader-elect-lease-name', 'signing-ha',
      '--signing-bind-address', `127.0.0.1:${port}`, '--signing-insecure']);
    replicas.push({ op, port });
  }
  await waitForStatus(ns.name, 'ha', isReady, 'Ready');
  const sign = (port: number) => call(port, `/authservers/${ns.name}/ha/sign`, { token, body: { sub: 'gateway' } });
  for (const r of replicas) await eventually(async () => (await sign(r.port)).status === 200, { what: `replica on ${r.port} signs` });

  const leaderIndex = await eventually(async () => {
    const values = await Promise.all(replicas.map(async (r) => metricValue(await scrape(r.op.metricsPort), 'signet_leader')));
    const i = values.indexOf(1);
    return i >= 0 && values.filter((v) => v === 1).length === 1 ? i + 1 : undefined;
  }, { what: 'one leader' }) - 1;
  const victim = replicas[leaderIndex]!;
  const survivor = replicas[1 - leaderIndex]!;

  const statuses: number[] = [];
  const tokens: string[] = [];
  let killed = false;
  const traffic = (async () => {
    const until = Date.now() + 4_000;
    while (Date.now() < until) {
      const res = await Promise.all(Array.from({ length: 4 }, () => sign(survivor.port)));
      for (const r of res) {
        statuses.push(r.status);
        if (r.status === 200 && killed) tokens.push(r.body.token as string);
      }
    }
  })();
  await eventually(() => statuses.length >= 40, { what: 'traffic before the kill' });
  await victim.op.kill();
  killed = true;
  await traffic;

  expect(statuses.filter((s) => s !== 200)).toEqual([]);
  expect(tokens.length).toBeGreaterThan(0);
  const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${survivor.op.jwksPort}/authservers/${ns.name}/ha/oauth2/jwks`));
  await jwtVerify(tokens[tokens.length - 1]!, jwks, { issuer });
});
