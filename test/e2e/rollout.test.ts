// Rollouts and a forced leader loss under continuous JWKS polling through the Service's ClusterIP
// (docs/architecture.md#tests-on-a-real-node): `helm upgrade` that rolls the pods with 1 and with 2 replicas answers every request,
// and no pod is sent a request before /readyz (none of them ever answers 404 for an issuer that
// exists); the leader pod deleted with --grace-period=0 --force is replaced as leader by the other
// replica within the lease duration, the JWKS stays served (only requests the killed process had
// accepted may fail), and a change made after that is published.
import { eventually } from '../support/eventually.js';
import { getAuthServer, isReady, waitForStatus } from '../support/authservers.js';
import { run, tool } from '../support/helm.js';
import { applyYaml, c, helmInstall, kubectl, metric, pollJwks, readyPods, serviceWithPort, viaPodProxy, type PollResult } from './support/cluster.js';

const NS = 'e2e-rollout';
const ISSUERS = 'e2e-rollout-issuers';
const RELEASE = 'rollout';
const NAMES = ['alpha', 'beta', 'gamma'];
const LEASE = 'signet-leader';
const log = (l: string): void => void process.stderr.write(`  e2e rollout: ${l}\n`);
/** What a client sees of a process killed under its connection. */
const CONNECTION_ERROR = /ECONNRESET|ECONNREFUSED|socket hang up/;
const KILL_WINDOW_MS = 5_000;

let urls: string[] = [];
const signingKids = new Map<string, string>();

/** Every answer carries the issuer's signing key: anything else (404, 5xx, refused, timeout) fails. */
const servesSigningKey = (keys: Array<{ kid?: string }>, url: string): boolean => {
  const name = NAMES.find((n) => url.includes(`/${n}/oauth2/jwks`)) ?? '';
  return keys.some((k) => k.kid === signingKids.get(name));
};

beforeAll(async () => {
  await c.core.createNamespace({ body: { metadata: { name: ISSUERS } } });
  await helmInstall(RELEASE, NS, { replicaCount: 1 });
  await applyYaml(NAMES.map((n) => [
    'apiVersion: signet.dev/v1alpha1', 'kind: AuthServer', `metadata: {name: ${n}}`,
    `spec: {issuerURI: "https://${n}.rollout.e2e/", tokenSignature: {signAndVerifyKeyRef: {name: ${n}-signing}, keyGeneration: {algorithm: ES256}}}`,
  ].join('\n')).join('\n---\n'), ISSUERS);
  for (const n of NAMES) signingKids.set(n, (await waitForStatus(ISSUERS, n, isReady, 'Ready', 60_000)).status!.signingKeyID!);
  const { svc, port } = await serviceWithPort(NS, 'http');
  urls = NAMES.map((n) => `http://${svc.spec!.clusterIP}:${port}/authservers/${ISSUERS}/${n}/oauth2/jwks`);
});

afterAll(async () => {
  await run(tool('helm'), ['uninstall', RELEASE, '--namespace', NS, '--wait']);
  await c.core.deleteNamespace({ name: ISSUERS }).catch(() => undefined);
});

/** No pod of the release has answered a JWKS request 404: none got traffic before it served every issuer. */
async function noPodAnswered404(): Promise<number> {
  const pods = await readyPods(NS, RELEASE, (await c.core.listNamespacedPod({ namespace: NS })).items.filter((p) => !p.metadata?.deletionTimestamp).length);
  let served = 0;
  for (const p of pods) {
    const text = await viaPodProxy(NS, p.metadata!.name!, 9090, 'metrics');
    expect([p.metadata!.name, metric(text, 'signet_jwks_requests_total', { code: '404' })]).toEqual([p.metadata!.name, 0]);
    served += metric(text, 'signet_jwks_requests_total', { code: '200' });
  }
  return served;
}

async function rollUnderPolling(replicas: number, mark: string): Promise<PollResult> {
  const before = (await readyPods(NS, RELEASE, replicas)).map((p) => p.metadata!.name!);
  const poll = pollJwks(urls, servesSigningKey);
  const t0 = Date.now();
  await helmInstall(RELEASE, NS, { replicaCount: replicas, podAnnotations: { 'e2e.signet.dev/roll': mark } });
  const after = await readyPods(NS, RELEASE, replicas);
  const rolled = Date.now() - t0;
  // Keep polling a little after the last old pod is gone, so its removal is covered too.
  await eventually(async () => (await c.core.listNamespacedPod({ namespace: NS })).items.every((p) => !before.includes(p.metadata!.name!)),
    { what: 'the old pods gone', timeoutMs: 60_000, intervalMs: 250 });
  await new Promise((r) => setTimeout(r, 2000));
  const result = await poll.stop();
  log(`${replicas} replica(s): rollout ${rolled} ms; ${result.sent} requests, ${result.failed} failed${result.failures.length ? `: ${result.failures.join(' | ')}` : ''}`);
  expect(after.map((p) => p.metadata!.name).some((n) => before.includes(n!))).toBe(false);
  return result;
}

test('helm upgrade rolls the single pod under JWKS polling: every request answered, none before /readyz', async () => {
  const result = await rollUnderPolling(1, 'one');
  expect(result.sent).toBeGreaterThan(50);
  expect(result.failures).toEqual([]);
  expect(await noPodAnswered404()).toBeGreaterThan(0);
});

test('helm upgrade rolls two replicas under JWKS polling: every request answered, none before /readyz', async () => {
  await helmInstall(RELEASE, NS, { replicaCount: 2 });
  await readyPods(NS, RELEASE, 2);
  const result = await rollUnderPolling(2, 'two');
  expect(result.sent).toBeGreaterThan(50);
  expect(result.failures).toEqual([]);
  expect(await noPodAnswered404()).toBeGreaterThan(0);
});

test('the leader pod force-deleted: another pod leads within the lease duration, only connections to the killed pod fail, a later change is published', async () => {
  const lease = async (): Promise<{ holder: string; durationS: number }> => {
    const l = JSON.parse(await kubectl(['get', 'lease', '-n', NS, LEASE, '-o', 'json'])) as { spec: { holderIdentity?: string; leaseDurationSeconds: number } };
    return { holder: l.spec.holderIdentity ?? '', durationS: l.spec.leaseDurationSeconds };
  };
  const pods = (await readyPods(NS, RELEASE, 2)).map((p) => p.metadata!.name!);
  const owner = (holder: string): string | undefined => pods.find((n) => holder === n || holder.startsWith(`${n}_`) || holder.startsWith(`${n}-`));
  const first = await eventually(async () => { const l = await lease(); return owner(l.holder) ? l : undefined; }, { what: 'a pod holding the Lease', timeoutMs: 60_000, intervalMs: 250 });
  const leader = owner(first.holder)!;
  const other = pods.find((p) => p !== leader)!;
  const poll = pollJwks(urls, servesSigningKey);
  const t0 = Date.now();
  await kubectl(['delete', 'pod', '-n', NS, leader, '--grace-period=0', '--force']);
  // The other replica, or the pod that replaces the deleted one, whichever takes the free Lease first.
  const successor = await eventually(async () => {
    const holder = (await lease()).holder;
    return holder !== '' && !holder.startsWith(leader) ? holder : undefined;
  }, { what: `a pod other than ${leader} holding the Lease`, timeoutMs: 60_000, intervalMs: 100 });
  const takeover = Date.now() - t0;
  log(`leader ${leader} force-deleted; ${successor} leads after ${takeover} ms (lease duration ${first.durationS} s; the other replica was ${other})`);
  // Polled for up to the lease duration: a candidate takes an unrenewed Lease once it has seen it
  // unchanged that long, and tries every retry period (2 s).
  expect(takeover).toBeLessThanOrEqual(first.durationS * 1000 + 2000);

  // A change only the leader makes: a rotation publishes a next key, served through the Service.
  await kubectl(['annotate', 'authserver', '-n', ISSUERS, 'alpha', 'signet.dev/rotate=e2e-takeover', '--overwrite']);
  const rotated = await eventually(async () => {
    const as = await getAuthServer(ISSUERS, 'alpha');
    return (as.status?.keys ?? []).some((k) => k.state === 'Next') ? as : undefined;
  }, { what: 'alpha with a Next key after the takeover', timeoutMs: 30_000, intervalMs: 250 });
  const next = rotated.status!.keys!.find((k) => k.state === 'Next')!.kid;
  await eventually(async () => {
    const text = await kubectl(['get', '--raw', `/api/v1/namespaces/${NS}/services/${(await serviceWithPort(NS, 'http')).svc.metadata!.name}:http/proxy/authservers/${ISSUERS}/alpha/oauth2/jwks`]);
    return (JSON.parse(text) as { keys: Array<{ kid: string }> }).keys.some((k) => k.kid === next);
  }, { what: `the next key ${next} in alpha's JWKS`, timeoutMs: 30_000, intervalMs: 250 });
  await readyPods(NS, RELEASE, 2);
  const result = await poll.stop();
  log(`during the takeover: ${result.sent} requests, ${result.failed} failed${result.failures.length ? `: ${result.failures.join(' | ')}` : ''}`);
  expect(result.sent).toBeGreaterThan(50);
  // A forced delete kills the leader's process without its preStop wait or drain: a request on a
  // connection it had accepted is reset, and the Service routes new connections to the dead pod
  // until kube-proxy drops its endpoint (seen: 1 reset, then 3 refused within 50 ms). Only such
  // connection errors may fail, started within KILL_WINDOW_MS of the delete; never an HTTP error or
  // a JWKS without the signing key, and nothing later.
  const unexpected = result.details.filter((f) => !(CONNECTION_ERROR.test(f.message) && f.at - t0 <= KILL_WINDOW_MS));
  expect(unexpected).toEqual([]);
  expect(result.failed).toBe(result.details.length);
});
