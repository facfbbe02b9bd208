// What the benchmarks that run the real operator share: a control plane of their own (one per
// benchmark module, torn down at the end and by a reaper if this process dies), the operator as a
// child process that cannot outlive this one, bounded-concurrency creates, RSA key pools with
// their RFC 7638 kids, and reading the operator's memory from its metrics. Loopback only.
import { spawn } from 'node:child_process';
import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { V1Secret } from '@kubernetes/client-node';
import { spawnReaper, startControlPlane, stopControlPlane, type ControlPlane } from '../../controlplane/controlplane.js';
import { clients, installCrd, type Clients } from '../../support/kube.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { imageEnv, imageNodeOptions } from '../../support/image-entrypoint.js';
import { startOperator, type OperatorLaunch, type RunningOperator } from '../../support/operator.js';
import { toPublicJwk } from './keys.js';

const generateKeyPair = promisify(generateKeyPairCb);

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface BenchCluster {
  cp: ControlPlane;
  clients: Clients;
}

/**
 * Starts etcd + kube-apiserver + kube-controller-manager, points KUBECONFIG at them (the test
 * support modules read it) and installs the CRD. Stop it with stopBenchCluster in a finally.
 */
export async function startBenchCluster(): Promise<BenchCluster> {
  const started = Date.now();
  const cp = await startControlPlane();
  spawnReaper(cp, process.pid);
  process.env.KUBECONFIG = cp.kubeconfigPath;
  const c = clients();
  await installCrd(c);
  console.log(`control plane up (${cp.server}) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { cp, clients: c };
}

export async function stopBenchCluster(cluster: BenchCluster | undefined): Promise<void> {
  if (cluster) await stopControlPlane(cluster.cp, { removeData: true });
}

export interface BenchOperator extends RunningOperator {
  /** Wall time from spawn to /readyz 200. */
  startMs: number;
}

const reapers = new Map<RunningOperator, number>();

/**
 * startOperator, plus a detached watchdog that SIGKILLs the operator if this process dies without
 * stopping it (a SIGKILLed benchmark would otherwise leave it running against a dead API server).
 */
export async function startBenchOperator(args: string[], launch: Omit<OperatorLaunch, 'entry'> & BenchNodeOptions = {}): Promise<BenchOperator> {
  const t0 = Date.now();
  const compiled = process.env.SIGNET_BENCH_OPERATOR_JS;
  const { nodeOptions: benchDefault, ...rest } = launch;
  const nodeOptions = operatorNodeOptions(benchDefault);
  const withEnv = nodeOptions === undefined ? rest : { ...rest, env: { ...(rest.env ?? process.env), NODE_OPTIONS: [rest.env?.NODE_OPTIONS, nodeOptions].filter(Boolean).join(' ') } };
  const op = await startOperator(args, compiled ? { ...withEnv, entry: path.resolve(compiled) } : withEnv);
  const startMs = Date.now() - t0;
  const pid = op.process.pid;
  if (pid !== undefined) {
    const reaper = spawn('bash', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -KILL ${pid} 2>/dev/null`], { detached: true, stdio: 'ignore' });
    reaper.unref();
    if (reaper.pid !== undefined) reapers.set(op, reaper.pid);
  }
  return Object.assign(op, { startMs });
}

export interface BenchNodeOptions {
  /** NODE_OPTIONS for the operator alone (as a pod's limit sets V8's heap), unless SIGNET_BENCH_OPERATOR_NODE_OPTIONS is set. */
  nodeOptions?: string;
}

/** SIGNET_BENCH_OPERATOR_NODE_OPTIONS: the operator's Node options for an experiment, over a benchmark's own. */
function operatorNodeOptions(benchDefault: string | undefined): string | undefined {
  return process.env.SIGNET_BENCH_OPERATOR_NODE_OPTIONS ?? benchDefault;
}

/** How the operator runs: src/main.ts through tsx (test/support/operator.ts), or a compiled entry point, with the image's Node options. */
export function operatorCommand(benchDefault?: string): string {
  const compiled = process.env.SIGNET_BENCH_OPERATOR_JS;
  const nodeOptions = operatorNodeOptions(benchDefault);
  const env = Object.entries(imageEnv()).map(([k, v]) => `${k}=${v} `).join('');
  return `${env}node ${imageNodeOptions().join(' ')} ${compiled ? `${compiled} (SIGNET_BENCH_OPERATOR_JS)` : '--import tsx src/main.ts'}${nodeOptions ? `, NODE_OPTIONS=${nodeOptions}` : ''}`;
}

/** SIGTERM, SIGKILL after graceMs; then ends the operator's watchdog. */
export async function stopBenchOperator(op: RunningOperator | undefined, graceMs = 15_000): Promise<void> {
  if (!op) return;
  const stopped = await Promise.race([op.stop().then(() => true), sleep(graceMs).then(() => false)]);
  if (!stopped) await op.kill();
  const reaper = reapers.get(op);
  reapers.delete(op);
  if (reaper !== undefined) {
    try {
      process.kill(-reaper, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Runs fn over items with at most `limit` in flight; stops launching new ones once shouldStop() is true. Resolves to how many completed. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>, shouldStop: () => boolean = () => false): Promise<number> {
  let next = 0;
  let done = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !shouldStop()) {
      const i = next++;
      await fn(items[i] as T, i);
      done++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return done;
}

/** A create that treats 409 AlreadyExists as done and retries transient failures a few times. */
export async function createIdempotent(create: () => Promise<unknown>, attempts = 5): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await create();
      return;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 409) return;
      if (i >= attempts || (code !== undefined && code >= 400 && code < 500 && code !== 429)) throw err;
      await sleep(200 * i);
    }
  }
}

export interface PoolKey {
  /** PEM `PRIVATE KEY` (PKCS#8). */
  pkcs8: string;
  /** RFC 7638 thumbprint, the kid Signet serves by default. */
  kid: string;
}

/** `count` RSA key pairs made with the async crypto.generateKeyPair (OpenSSL, off the event loop). */
export async function rsaKeyPool(count: number, bits = 2048): Promise<PoolKey[]> {
  return Promise.all(Array.from({ length: count }, async () => {
    const { privateKey, publicKey } = await generateKeyPair('rsa', { modulusLength: bits });
    return { pkcs8: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), kid: toPublicJwk(publicKey).kid };
  }));
}

/** An Opaque Secret with a `key.pem`, as a user who brings their own key would create it. */
export function keySecret(namespace: string, name: string, pkcs8: string): V1Secret {
  return { apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: { name, namespace }, stringData: { 'key.pem': pkcs8 } };
}

export const MIB = 2 ** 20;

/** A few operator metrics, NaN when absent. */
/**
 * The operator's event-loop delay (p99 or max over the window since the last scrape), in ms beyond
 * the interval it is sampled at: prom-client's histogram records each whole interval between
 * samples (10 ms by default), so an idle loop shows 10 ms.
 */
export function loopDelayMs(text: string, stat: 'p99' | 'max'): number {
  return Math.max(0, (metricValue(text, `signet_process_nodejs_eventloop_lag_${stat}_seconds`) ?? NaN) * 1000 - LOOP_DELAY_SAMPLE_MS);
}

/**
 * The event-loop delay of the thread that answers JWKS requests, as loopDelayMs: Signet's JWKS
 * listener thread (sampled at the same interval), or the only thread of a reference that has no such metric.
 */
export function servingLoopDelayMs(text: string, stat: 'p99' | 'max'): number {
  const thread = metricValue(text, `signet_jwks_eventloop_lag_${stat}_seconds`);
  return thread === undefined ? loopDelayMs(text, stat) : Math.max(0, thread * 1000 - LOOP_DELAY_SAMPLE_MS);
}
const LOOP_DELAY_SAMPLE_MS = 10;

export async function operatorMetrics(metricsPort: number): Promise<OperatorMemory & { loopDelayP99Ms: number; text: string }> {
  const text = await scrape(metricsPort);
  const v = (name: string): number => metricValue(text, name) ?? NaN;
  return {
    // prom-client's default metrics with the prefix signet_process_ come out as
    // signet_process_process_resident_memory_bytes; take the single-"process" name should it be renamed.
    rss: metricValue(text, 'signet_process_resident_memory_bytes') ?? v('signet_process_process_resident_memory_bytes'),
    heapUsed: v('signet_process_nodejs_heap_size_used_bytes'),
    heapTotal: v('signet_process_nodejs_heap_size_total_bytes'),
    external: v('signet_process_nodejs_external_memory_bytes'),
    spaces: heapSpaces(text),
    loopDelayP99Ms: loopDelayMs(text, 'p99'),
    text,
  };
}

export interface OperatorMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  /** C++ objects bound to JavaScript ones, Buffers included. */
  external: number;
  /** Bytes V8 holds (committed) for each heap space: where heap total is. */
  spaces: Record<string, number>;
}

const HEAP_SPACE = /^signet_process_nodejs_heap_space_size_total_bytes\{space="([a-z_]+)"\}\s+(\S+)$/gm;

function heapSpaces(text: string): Record<string, number> {
  const spaces: Record<string, number> = {};
  for (const [, space, bytes] of text.matchAll(HEAP_SPACE)) if (space !== undefined) spaces[space] = Number(bytes);
  return spaces;
}

export interface SettledMemory extends OperatorMemory {
  /** RSS at the first reading, and seconds until the readings settled (undefined: not within the deadline). */
  firstRss: number;
  settledS: number | undefined;
}

/**
 * The operator's memory once its RSS has settled: its RSS read from /proc every `intervalMs` until
 * the readings of the last `windowMs` stay within `toleranceBytes` of each other, or `deadlineMs`
 * passes; then one scrape of /metrics gives the figures. The window is longer than V8's memory
 * reducer waits after a burst (about 8 s), so garbage a burst left behind is collected before the
 * figure is taken, as it is in a pod. The readings do not scrape: a scrape renders every issuer's
 * series (about 1 MB at 1,000, observability/issuer-series.ts), and one every 2 s kept V8's young
 * generation at its largest (8 MiB at 1,000), which V8 shrinks again once little is allocated.
 */
export async function settledRss(op: RunningOperator, { intervalMs = 2000, windowMs = 20_000, toleranceBytes = MIB, deadlineMs = 120_000 } = {}): Promise<SettledMemory> {
  const pid = op.process.pid;
  if (pid === undefined) throw new Error('the operator has no pid to read its RSS from');
  const start = performance.now();
  const readings: { at: number; rss: number }[] = [];
  let firstRss: number | undefined;
  for (;;) {
    const at = performance.now();
    const reading = processRss(pid);
    firstRss ??= reading;
    readings.push({ at, rss: reading });
    const rss = readings.filter((r) => r.at >= at - windowMs).map((r) => r.rss);
    const settled = at - start >= windowMs && Math.max(...rss) - Math.min(...rss) <= toleranceBytes;
    if (settled || at - start > deadlineMs) {
      const m = await operatorMetrics(op.metricsPort);
      return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, spaces: m.spaces, firstRss, settledS: settled ? (at - start) / 1000 : undefined };
    }
    await sleep(intervalMs);
  }
}

/** VmRSS of a local process from /proc, in bytes; NaN when unreadable. */
export function processRss(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${(bytes / MIB).toFixed(1)} MiB` : 'n/a';
}

/** Operator log lines by level, and the first few distinct warning and error messages. */
export function logSummary(logs: readonly string[]): string {
  const levels = new Map<string, number>();
  const problems = new Set<string>();
  for (const line of logs) {
    let level = 'unparsed';
    let message = line;
    try {
      const entry = JSON.parse(line) as { level?: unknown; message?: unknown };
      level = typeof entry.level === 'string' ? entry.level : 'unknown';
      message = typeof entry.message === 'string' ? entry.message : line;
    } catch {
      // not a JSON line
    }
    levels.set(level, (levels.get(level) ?? 0) + 1);
    if ((level === 'warn' || level === 'error' || level === 'unparsed') && problems.size < 3) problems.add(`${level}: ${message.slice(0, 200)}`);
  }
  const counts = [...levels].map(([l, n]) => `${l} ${n}`).join(', ');
  return `${logs.length} log lines (${counts || 'none'})${[...problems].map((p) => `\n    ${p}`).join('')}`;
}

/** Operator-side view of a load window: scrape once before (prom-client resets its event-loop histogram on each scrape) and once after. */
export async function loadWindow(metricsPort: number): Promise<() => Promise<string>> {
  const gcs = await gcWindow(metricsPort);
  return async () => {
    const after = await scrape(metricsPort);
    const lag = (stat: 'p99' | 'max'): string => `${loopDelayMs(after, stat).toFixed(1)} ms`;
    return `operator event-loop delay during the load: p99 ${lag('p99')}, max ${lag('max')}; ${gcs(after)}`;
  };
}

/** From now: the operator's garbage collections by kind (count, and time spent) up to the scrape given. */
export async function gcWindow(metricsPort: number): Promise<(after: string) => string> {
  const gc = (text: string, kind: string): { sum: number; count: number } => ({
    sum: metricValue(text, 'signet_process_nodejs_gc_duration_seconds_sum', { kind }) ?? 0,
    count: metricValue(text, 'signet_process_nodejs_gc_duration_seconds_count', { kind }) ?? 0,
  });
  const before = await scrape(metricsPort);
  return (after) => `GC ${['minor', 'major', 'incremental'].map((kind) => {
    const [b, a] = [gc(before, kind), gc(after, kind)];
    return `${kind} ${a.count - b.count} (${((a.sum - b.sum) * 1000).toFixed(0)} ms)`;
  }).join(', ')}`;
}
