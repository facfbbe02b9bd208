// Two replicas with leader election under a rotation schedule: one rotation, not two (only the
// leader writes), and when the leader dies with a next key published, the new leader promotes that
// same key on time instead of generating another.
import { installCrd, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { jwksPath, readSecretKeys, servedKids } from './support.js';

const ns = useNamespace('rot-ha');
let replicas: RunningOperator[] = [];

beforeAll(async () => {
  await installCrd();
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
});

const flags = (): string[] => ['--namespace', ns.name, '--leader-elect', '--leader-elect-namespace', ns.name,
  '--leader-elect-lease-duration', '3', '--leader-elect-renew-deadline', '2', '--leader-elect-retry-period', '0.5'];
const leads = async (r: RunningOperator): Promise<boolean> => metricValue(await scrape(r.metricsPort), 'signet_leader') === 1;
const rotations = async (r: RunningOperator): Promise<number> => metricValue(await scrape(r.metricsPort), 'signet_rotations_total', { kind: 'scheduled' }) ?? 0;
const generated = async (r: RunningOperator): Promise<number> => metricValue(await scrape(r.metricsPort), 'signet_keys_generated_total', { algorithm: 'ES256' }) ?? 0;

it('rotates once with two replicas, and a leader change mid-rotation resumes the same rotation', async () => {
  replicas = [await startOperator(flags()), await startOperator(flags())];
  const leader = await eventually(async () => {
    const states = await Promise.all(replicas.map(leads));
    return states.filter(Boolean).length === 1 ? replicas[states.indexOf(true)] : undefined;
  }, { what: 'exactly one leader' });
  const follower = replicas.find((r) => r !== leader)!;

  await createAuthServer(ns.name, 'ha', {
    issuerURI: 'https://rot-ha.example.com',
    tokenSignature: { signAndVerifyKeyRef: { name: 'ha-key' }, keyGeneration: { algorithm: 'ES256' }, rotation: { period: '8s', publishAhead: '4s', retainFor: '4s' } },
    jwks: { cacheMaxAgeSeconds: 1 },
  });
  await waitForStatus(ns.name, 'ha', isReady, 'Ready');
  const first = (await readSecretKeys(ns.name, 'ha-key'))!.active;

  // The first rotation, both replicas up: the leader makes it, once; the follower serves it.
  await eventually(async () => (await readSecretKeys(ns.name, 'ha-key'))?.active !== first, { what: 'first promotion', timeoutMs: 15_000, intervalMs: 50 });
  const second = (await readSecretKeys(ns.name, 'ha-key'))!.active;
  await eventually(async () => (await servedKids(follower.jwksPort, jwksPath(ns.name, 'ha')))[0] === second, { what: 'the follower serves the new key' });
  expect(await rotations(leader)).toBe(1);
  expect(await rotations(follower)).toBe(0);
  expect(await generated(follower)).toBe(0);
  expect(await generated(leader)).toBe(2); // the first key and the next one, nothing twice

  // The second rotation's next key is published; the leader dies before promoting it.
  const next = await eventually(async () => (await readSecretKeys(ns.name, 'ha-key'))?.next, { what: 'second next key', timeoutMs: 10_000, intervalMs: 50 });
  await leader.kill();
  await eventually(() => leads(follower), { what: 'follower takes over', timeoutMs: 10_000, intervalMs: 100 });
  await eventually(async () => (await readSecretKeys(ns.name, 'ha-key'))?.active === next, { what: 'the same next key promoted by the new leader', timeoutMs: 15_000, intervalMs: 50 });
  expect(await rotations(follower)).toBe(1);
  // The new leader generated no key of its own for that rotation.
  expect(await generated(follower)).toBe(0);
  // It serves what it promoted: the new key first, the replaced one retired.
  await eventually(async () => JSON.stringify(await servedKids(follower.jwksPort, jwksPath(ns.name, 'ha'))) === JSON.stringify([next, second]), { what: 'new leader serves the promoted key first' });
});
