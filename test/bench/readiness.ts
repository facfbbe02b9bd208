// Readiness means serving (issue 9 point 6): a replica that joins a running deployment, as in a
// rolling update, must answer /readyz 200 only once it serves every AuthServer's documents.
//
// A control plane of its own, N AuthServers (60, then 1,000) across a few namespaces, each with
// one user-provided RSA-2048 key from a pool (no key generation), all Ready under a first
// operator replica (--leader-elect, the leader). Then a second replica starts (--leader-elect, a
// follower), and this measures: the time from its spawn to the first 200 of its
// /readyz (polled every 50 ms), its CPU seconds and event-loop delay at that moment (from its
// metrics), and, right at that first 200, the host-independent JWKS of every AuthServer fetched
// from it: any answer but 200 is a miss (target: none). The second replica is stopped after each
// size. Bounded: each growth step stops creating and waiting at its deadline; the wait for the
// second replica's readiness has a deadline too. Loopback only.
import { performance } from 'node:perf_hooks';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import { metricValue, scrape } from '../support/metrics.js';
import { getJwks, type RunningOperator } from '../support/operator.js';
import { heading, machine, verdict, type Bench } from './support/bench.js';
import {
  createIdempotent, keySecret, logSummary, loopDelayMs, mapLimit, operatorCommand, rsaKeyPool, sleep, startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator,
  type BenchCluster, type BenchOperator, type PoolKey,
} from './support/cluster.js';

const NAMESPACES = 4;
const KEY_POOL = 20;
const SIZES = [60, 1_000];
const CONCURRENCY = 16;
const READY_LIST_MS = 500;
const READYZ_POLL_MS = 50;
const READYZ_REQUEST_TIMEOUT_MS = 1_000;
const JWKS_CONCURRENCY = 16;
/** Per growth step, creates and waiting for Ready together. */
const STEP_DEADLINE_MS = 8 * 60_000;
/** For the second replica's /readyz; startOperator itself gives up (and kills it) after 30 s. */
const READYZ_DEADLINE_MS = 35_000;
/** Both replicas as the chart runs more than one: leader election on, logs at the chart's level. */
const OPERATOR_ARGS = ['--leader-elect', '--log-level', 'info'];

const api = { group: GROUP, version: VERSION, plural: PLURAL };
const ns = (i: number): string => `bench-readiness-${i % NAMESPACES}`;
const asName = (i: number): string => `issuer-${i}`;
const jwksPath = (i: number): string => `/authservers/${ns(i)}/${asName(i)}/oauth2/jwks`;

interface JoinResult {
  issuers: number;
  /** From just before the spawn to the first /readyz 200; undefined if none before the deadline. */
  readyMs: number | undefined;
  /** The last non-200 /readyz body seen before it, what the replica was waiting for. */
  lastWaiting: string;
  readyzPolls: number;
  /** JWKS answers at the first 200, by status (0: no answer). */
  statuses: Map<number, number>;
  misses: number;
  sweepMs: number;
  cpuS: number;
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  error?: string;
}

function isReadyForGeneration(as: AuthServer): boolean {
  const ready = as.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && as.status?.observedGeneration === as.metadata.generation;
}

/** Creates AuthServers `from`..`to`-1 (each with its key Secret) and waits until every one is Ready; resolves to how many exist and how many are Ready. */
async function grow(cluster: BenchCluster, pool: PoolKey[], from: number, to: number, log: (line: string) => void): Promise<{ created: number; ready: number; readyS: number | undefined }> {
  const { core, custom } = cluster.clients;
  const started = performance.now();
  const deadline = started + STEP_DEADLINE_MS;
  const indices = Array.from({ length: to - from }, (_, k) => from + k);
  const created = await mapLimit(indices, CONCURRENCY, async (i) => {
    const namespace = ns(i);
    const secret = `${asName(i)}-key`;
    await createIdempotent(() => core.createNamespacedSecret({ namespace, body: keySecret(namespace, secret, (pool[i % KEY_POOL] as PoolKey).pkcs8) }));
    await createIdempotent(() => custom.createNamespacedCustomObject({
      ...api, namespace,
      body: {
        apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name: asName(i), namespace },
        spec: {
          issuerURI: `https://issuer-${i}.bench.example.com/${namespace}`,
          tokenSignature: { signAndVerifyKeyRef: { name: secret }, keyGeneration: { mode: 'Never' } },
        },
      },
    }));
  }, () => performance.now() > deadline);
  const total = from + created;
  log(`${total} AuthServers created (${created} new) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  let ready = 0;
  for (;;) {
    const listed = (await custom.listClusterCustomObject({ ...api }).catch(() => undefined)) as { items?: AuthServer[] } | undefined;
    if (listed) ready = (listed.items ?? []).filter(isReadyForGeneration).length;
    if (ready >= total) return { created: total, ready, readyS: (performance.now() - started) / 1000 };
    if (performance.now() > deadline) return { created: total, ready, readyS: undefined };
    await sleep(READY_LIST_MS);
  }
}

/** Every AuthServer's host-independent JWKS from the replica, counted by status. */
async function sweepJwks(jwksPort: number, issuers: number): Promise<Map<number, number>> {
  const statuses = new Map<number, number>();
  await mapLimit(Array.from({ length: issuers }, (_, i) => i), JWKS_CONCURRENCY, async (i) => {
    const status = (await getJwks(jwksPort, jwksPath(i)).catch(() => undefined))?.status ?? 0;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  });
  return statuses;
}

/**
 * Starts a second replica, polls its /readyz every READYZ_POLL_MS from its spawn, and at the first
 * 200 sweeps every JWKS and reads its metrics.
 */
async function joinSecondReplica(issuers: number): Promise<{ result: JoinResult; replica: BenchOperator | undefined }> {
  const result: JoinResult = { issuers, readyMs: undefined, lastWaiting: '', readyzPolls: 0, statuses: new Map(), misses: 0, sweepMs: NaN, cpuS: NaN, loopLagP99Ms: NaN, loopLagMaxMs: NaN };
  let spawned: { op: RunningOperator; at: number } | undefined;
  let startFailed = false;
  const starting = startBenchOperator(OPERATOR_ARGS, { onSpawn: (op) => { spawned = { op, at: performance.now() }; } })
    .catch((err: unknown) => {
      startFailed = true;
      result.error = (err as Error).message.split('\n')[0];
      return undefined;
    });
  const called = performance.now();
  for (;;) {
    const polled = performance.now();
    if (spawned) {
      result.readyzPolls++;
      const res = await fetch(`http://127.0.0.1:${spawned.op.metricsPort}/readyz`, { signal: AbortSignal.timeout(READYZ_REQUEST_TIMEOUT_MS) })
        .then(async (r) => ({ status: r.status, body: (await r.text()).trim() }), () => undefined);
      if (res?.status === 200) {
        result.readyMs = performance.now() - spawned.at;
        break;
      }
      if (res) result.lastWaiting = `${res.status} ${res.body}`;
    }
    if (startFailed || performance.now() - called > READYZ_DEADLINE_MS) break;
    await sleep(Math.max(0, READYZ_POLL_MS - (performance.now() - polled)));
  }
  if (spawned && result.readyMs !== undefined) {
    const { jwksPort, metricsPort } = spawned.op;
    // The metrics request goes out first so that CPU and event-loop delay are read at readiness, not after the sweep.
    const metrics = scrape(metricsPort).catch(() => '');
    const sweepStart = performance.now();
    result.statuses = await sweepJwks(jwksPort, issuers);
    result.sweepMs = performance.now() - sweepStart;
    result.misses = issuers - (result.statuses.get(200) ?? 0);
    const text = await metrics;
    result.cpuS = metricValue(text, 'signet_process_process_cpu_seconds_total') ?? NaN;
    result.loopLagP99Ms = loopDelayMs(text, 'p99');
    result.loopLagMaxMs = loopDelayMs(text, 'max');
  }
  return { result, replica: await starting };
}

async function run(): Promise<void> {
  heading(`Readiness means serving: a second replica joining ${SIZES.join(' then ')} AuthServers; JWKS misses at its first /readyz 200`);
  console.log(`machine: ${machine()}`);
  console.log(`operator: ${operatorCommand()} ${OPERATOR_ARGS.join(' ')}`);
  const t0 = performance.now();
  const log = (line: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${line}`);
  const poolReady = rsaKeyPool(KEY_POOL);
  let cluster: BenchCluster | undefined;
  let leader: BenchOperator | undefined;
  let second: BenchOperator | undefined;
  const results: JoinResult[] = [];
  const notes: string[] = [];
  try {
    cluster = await startBenchCluster();
    for (let i = 0; i < NAMESPACES; i++) await cluster.clients.core.createNamespace({ body: { metadata: { name: ns(i) } } });
    leader = await startBenchOperator(OPERATOR_ARGS);
    log(`first replica ready ${(leader.startMs / 1000).toFixed(1)} s after spawn`);
    const pool = await poolReady;

    let existing = 0;
    for (const size of SIZES) {
      const step = await grow(cluster, pool, existing, size, log);
      existing = step.created;
      if (step.readyS === undefined) {
        notes.push(`${size} step: stopped at the ${STEP_DEADLINE_MS / 60_000} min deadline with ${step.created} created and ${step.ready} Ready`);
        log(`only ${step.ready} of ${step.created} Ready at the deadline; no second replica at this size`);
        break;
      }
      log(`all ${existing} Ready ${step.readyS.toFixed(1)} s after the first create; starting the second replica`);
      const joined = await joinSecondReplica(existing);
      second = joined.replica;
      const r = joined.result;
      results.push(r);
      if (r.readyMs === undefined) {
        log(`second replica: no /readyz 200 within ${READYZ_DEADLINE_MS / 1000} s (last: ${r.lastWaiting || 'no answer'})`);
      } else {
        log(`second replica: first /readyz 200 at ${r.readyMs.toFixed(0)} ms (${r.readyzPolls} polls; last before it: ${r.lastWaiting || 'no answer'}); ` +
          `JWKS sweep of ${existing} in ${r.sweepMs.toFixed(0)} ms: ${[...r.statuses].map(([s, n]) => `${s === 0 ? 'no answer' : s} ×${n}`).join(', ')}; ` +
          `CPU ${r.cpuS.toFixed(2)} s, event-loop delay p99 ${r.loopLagP99Ms.toFixed(1)} ms, max ${r.loopLagMaxMs.toFixed(1)} ms`);
      }
      if (r.error) log(`second replica did not start: ${r.error}`);
      if (second) log(`second replica: ${logSummary(second.logs)}`);
      await stopBenchOperator(second);
      second = undefined;
    }
    log(`first replica: ${logSummary(leader.logs)}`);
  } finally {
    await stopBenchOperator(second);
    await stopBenchOperator(leader);
    await stopBenchCluster(cluster);
  }

  console.log(`\nSecond replica joining (${operatorCommand()}), /readyz polled every ${READYZ_POLL_MS} ms:`);
  console.log('  issuers  spawn→first 200  CPU s at 200  loop p99/max ms  JWKS misses at 200  sweep ms');
  for (const r of results) {
    console.log(`  ${String(r.issuers).padStart(7)}  ${(r.readyMs === undefined ? `>${READYZ_DEADLINE_MS / 1000} s` : `${r.readyMs.toFixed(0)} ms`).padStart(15)}  ${r.cpuS.toFixed(2).padStart(12)}  ` +
      `${`${r.loopLagP99Ms.toFixed(1)}/${r.loopLagMaxMs.toFixed(1)}`.padStart(15)}  ${(r.readyMs === undefined ? 'n/a' : `${r.misses} of ${r.issuers}`).padStart(18)}  ${r.sweepMs.toFixed(0).padStart(8)}`);
    if (r.readyMs !== undefined) console.log(`    ${verdict(r.misses === 0, 'no JWKS miss at the first /readyz 200')}`);
  }
  for (const n of notes) console.log(`  note: ${n}`);
}

const bench: Bench = {
  name: 'readiness',
  description: 'a second replica joining 60 and 1,000 AuthServers: time to /readyz 200, and JWKS misses at that moment (target: none)',
  run,
};
export default bench;
