// Scheduled rotation under load: 100 AuthServers on the same short schedule (created together, so
// they rotate at about the same moment), the real operator (one namespace), and a watch on their
// Secrets and AuthServers opened by this process. Each Secret write of a rotation (generate the
// next key, promote it) is timed against the due time that status.nextRotationTime announced for
// it: lateness = MODIFIED seen on the watch − nextRotationTime. Target: max < 1 s (docs/architecture.md#rotation).
// Meanwhile four loops fetch the host-independent JWKS of random AuthServers: the JWKS p99 during
// the transitions. ES256 keys, so the figure is the scheduling, not RSA key generation.
// SIGNET_BENCH_CONCURRENCY=N runs the operator with --concurrency N (default: the operator's, 16).
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { Watch, type KubernetesObject } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import { heading, machine, ms, percentile, verdict, type Bench } from './support/bench.js';
import { logSummary, mapLimit, operatorCommand, operatorMetrics, sleep, startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator, type BenchCluster, type BenchOperator } from './support/cluster.js';

const NS = 'bench-rotation-schedule';
const COUNT = 100;
const PERIOD_S = 24;
const PUBLISH_AHEAD_S = 8;
const WANTED_TRANSITIONS = 2 * COUNT; // one GenerateNext and one Promote each
const DEADLINE_MS = 120_000;
const TARGET_MAX_MS = 1000;

const name = (i: number): string => `rot-${String(i).padStart(3, '0')}`;

function stats(label: string, xs: number[]): string {
  return `  ${label}: n=${xs.length}  p50 ${ms(percentile(xs, 50))}  p99 ${ms(percentile(xs, 99))}  max ${ms(Math.max(...xs))}`;
}

/** Fetches JWKS documents in `loops` concurrent loops until stopped; returns the latencies. */
function jwksLoad(port: number, loops: number): { stop: () => Promise<number[]> } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: loops });
  const samples: number[] = [];
  let running = true;
  const one = (): Promise<void> => new Promise((resolve) => {
    const t0 = performance.now();
    http.get({ host: '127.0.0.1', port, agent, path: `/authservers/${NS}/${name(Math.floor(Math.random() * COUNT))}/oauth2/jwks` }, (res) => {
      res.resume();
      res.on('end', () => { samples.push(performance.now() - t0); resolve(); });
    }).on('error', () => resolve());
  });
  const runs = Array.from({ length: loops }, async () => {
    while (running) await one();
  });
  return { stop: async () => { running = false; await Promise.all(runs); agent.destroy(); return samples; } };
}

async function run(): Promise<void> {
  heading('rotation-schedule: lateness of scheduled transitions, 100 AuthServers at once');
  console.log(machine());
  let cluster: BenchCluster | undefined;
  let op: BenchOperator | undefined;
  const aborts: AbortController[] = [];
  try {
    cluster = await startBenchCluster();
    const { core, custom, kc } = cluster.clients;
    await core.createNamespace({ body: { metadata: { name: NS } } });
    op = await startBenchOperator(['--namespace', NS, '--log-level', 'info', ...(process.env.SIGNET_BENCH_CONCURRENCY ? ['--concurrency', process.env.SIGNET_BENCH_CONCURRENCY] : [])]);
    console.log(`operator ready in ${(op.startMs / 1000).toFixed(1)} s (${operatorCommand()} --namespace ${NS})`);

    // What status announced last, per AuthServer; and each Secret write of a rotation against it.
    const announced = new Map<string, number>();
    const lateness: number[] = [];
    const byStep = { next: [] as number[], promote: [] as number[] };
    const lastKeys = new Map<string, { key?: string; next?: string }>();
    const watch = new Watch(kc);
    aborts.push(await watch.watch(`/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`, {}, (_phase: string, obj: AuthServer) => {
      const t = Date.parse(obj.status?.nextRotationTime ?? '');
      if (!Number.isNaN(t)) announced.set(obj.metadata.name ?? '', t);
    }, () => undefined));
    aborts.push(await watch.watch(`/api/v1/namespaces/${NS}/secrets`, {}, (phase: string, obj: KubernetesObject & { data?: Record<string, string> }) => {
      const now = Date.now();
      const as = (obj.metadata?.name ?? '').replace(/-key$/, '');
      const before = lastKeys.get(as);
      const keys = { key: obj.data?.['key.pem'], next: obj.data?.['next.key.pem'] };
      lastKeys.set(as, keys);
      if (phase !== 'MODIFIED' || !before) return;
      const due = announced.get(as);
      if (due === undefined) return;
      const late = now - due;
      if (!before.next && keys.next) byStep.next.push(late);
      else if (before.key !== keys.key) byStep.promote.push(late);
      else return;
      lateness.push(late);
    }, () => undefined));

    const created = performance.now();
    await mapLimit(Array.from({ length: COUNT }, (_, i) => i), 20, async (i) => {
      await custom.createNamespacedCustomObject({
        group: GROUP, version: VERSION, plural: PLURAL, namespace: NS,
        body: {
          apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name: name(i) },
          spec: {
            issuerURI: `https://${name(i)}.bench.example.com`,
            tokenSignature: {
              signAndVerifyKeyRef: { name: `${name(i)}-key` }, keyGeneration: { algorithm: 'ES256' },
              rotation: { period: `${PERIOD_S}s`, publishAhead: `${PUBLISH_AHEAD_S}s`, retainFor: '5s' },
            },
            jwks: { cacheMaxAgeSeconds: 2 },
          },
        },
      });
    });
    console.log(`${COUNT} AuthServers created in ${((performance.now() - created) / 1000).toFixed(1)} s, period ${PERIOD_S} s, publishAhead ${PUBLISH_AHEAD_S} s`);

    const load = jwksLoad(op.jwksPort, 4);
    const until = Date.now() + DEADLINE_MS;
    while (lateness.length < WANTED_TRANSITIONS && Date.now() < until) await sleep(250);
    const jwks = await load.stop();

    console.log(`\n${lateness.length} transitions (Secret writes) timed against status.nextRotationTime, seen on this process's watch:`);
    console.log(stats('all', lateness));
    console.log(stats('generate next', byStep.next));
    console.log(stats('promote', byStep.promote));
    const max = Math.max(...lateness);
    console.log(`  max lateness ${ms(max)}  ${verdict(lateness.length >= WANTED_TRANSITIONS && max < TARGET_MAX_MS, `< ${TARGET_MAX_MS} ms over ${WANTED_TRANSITIONS} transitions`)}`);
    console.log(`JWKS during the transitions (4 keep-alive loops): n=${jwks.length}  p50 ${ms(percentile(jwks, 50))}  p99 ${ms(percentile(jwks, 99))}  max ${ms(jwks.reduce((a, b) => Math.max(a, b), 0))}`);
    const m = await operatorMetrics(op.metricsPort);
    const value = (metric: string): number => Number(m.text.split('\n').find((l) => l.startsWith(`${metric} `))?.split(' ').pop() ?? NaN);
    const reconciles = value('signet_reconcile_duration_seconds_count');
    console.log(`operator: ${reconciles} reconciles, mean ${ms((value('signet_reconcile_duration_seconds_sum') / reconciles) * 1000)}; ` +
      `RSS ${(m.rss / 2 ** 20).toFixed(0)} MiB; event-loop delay p99 ${ms(m.loopDelayP99Ms)}; ${logSummary(op.logs)}`);
  } finally {
    for (const a of aborts) a.abort();
    await stopBenchOperator(op);
    await stopBenchCluster(cluster);
  }
}

const bench: Bench = {
  name: 'rotation-schedule',
  description: `lateness of scheduled rotation transitions, ${COUNT} AuthServers at once; target max < ${TARGET_MAX_MS} ms; JWKS p99 meanwhile`,
  run,
};
export default bench;
