// Two replicas with --leader-elect: both serve, only the leader writes, and when the leader
// dies the other takes over within one lease duration without generating any key twice.
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, getJwks, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus, events } from '../../support/authservers.js';
import { metricValue, scrape } from '../../support/metrics.js';

const c = clients();
const ns = useNamespace('leader');
const LEASE_SECONDS = 4;
let replicas: RunningOperator[] = [];

beforeAll(async () => {
  await installCrd();
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
});

const leaderFlags = (): string[] => ['--namespace', ns.name, '--leader-elect', '--leader-elect-namespace', ns.name,
  '--leader-elect-lease-duration', String(LEASE_SECONDS), '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '0.5'];
const leads = async (r: RunningOperator): Promise<boolean> => metricValue(await scrape(r.metricsPort), 'signet_leader') === 1;

it('elects one writer, serves from every replica, and fails over without a second key', async () => {
  replicas = [await startOperator(leaderFlags()), await startOperator(leaderFlags())];
  const leader = await eventually(async () => {
    const states = await Promise.all(replicas.map(leads));
    return states.filter(Boolean).length === 1 ? replicas[states.indexOf(true)] : undefined;
  }, { what: 'exactly one leader' });
  const follower = replicas.find((r) => r !== leader)!;

  await createAuthServer(ns.name, 'ha', { issuerURI: 'https://ha.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'ha-key' } } });
  const as = await waitForStatus(ns.name, 'ha', isReady, 'Ready');
  for (const r of replicas) {
    await eventually(async () => (await getJwks(r.jwksPort, '/oauth2/jwks', 'ha.example.com')).keys[0]?.kid === as.status?.signingKeyID, { what: 'every replica serves the key' });
  }
  expect(await leads(follower)).toBe(false);
  expect(metricValue(await scrape(follower.metricsPort), 'signet_keys_generated_total', { algorithm: 'RS256' }) ?? 0).toBe(0);
  expect(metricValue(await scrape(leader.metricsPort), 'signet_keys_generated_total', { algorithm: 'RS256' })).toBe(1);

  const before = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'ha-key' });

  // The leader dies without releasing its Lease; the follower must wait for it to expire, no longer.
  const killedAt = Date.now();
  await leader.kill();
  await eventually(() => leads(follower), { what: 'follower takes over', timeoutMs: (LEASE_SECONDS + 5) * 1000, intervalMs: 100 });
  const takeoverMs = Date.now() - killedAt;
  process.stderr.write(`  leader takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_SECONDS} s)\n`);
  expect(takeoverMs).toBeLessThan((LEASE_SECONDS + 2) * 1000);

  // The new leader writes: a new AuthServer gets its key and status, and the old key was not regenerated.
  await createAuthServer(ns.name, 'ha2', { issuerURI: 'https://ha2.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'ha2-key' } } });
  await waitForStatus(ns.name, 'ha2', isReady, 'Ready under the new leader');
  // The new leader kept the Secret generated before the failover: the same object, the same key.
  const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'ha-key' });
  expect(before.metadata?.uid).toEqual(expect.any(String));
  expect(secret.metadata?.uid).toBe(before.metadata?.uid);
  expect(secret.data?.['key.pem']).toBe(before.data?.['key.pem']);
  expect((await waitForStatus(ns.name, 'ha', isReady, 'still Ready')).status?.signingKeyID).toBe(as.status?.signingKeyID);
  expect((await events(ns.name, 'ha')).filter((e) => e.reason === 'KeyGenerated')).toHaveLength(1);
});

it('hands over at once when the leader stops gracefully (the Lease is released)', async () => {
  const running = replicas.filter((r) => r.process.exitCode === null && r.process.signalCode === null);
  const leader = (await Promise.all(running.map(leads))).indexOf(true);
  expect(leader).toBeGreaterThanOrEqual(0);
  const next = await startOperator(leaderFlags());
  replicas.push(next);
  // Timed from SIGTERM to the new leader, whatever else the old process still does before it exits.
  const stoppedAt = Date.now();
  const exited = running[leader]!.stop();
  await eventually(() => leads(next), { what: 'new replica takes over', timeoutMs: 10_000, intervalMs: 100 });
  const ms = Date.now() - stoppedAt;
  expect(await exited).toBe(0);
  process.stderr.write(`  leader hand-over after SIGTERM: ${ms} ms\n`);
  expect(ms).toBeLessThan(LEASE_SECONDS * 1000);
});
