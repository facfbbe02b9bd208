// Scale (issue 21): 0 → 1,000 → 5,000 → 10,000 AuthServers across 10 namespaces, each with 3
// user-provided RSA-2048 keys (its own 3 Secrets, signing disabled: public keys only), in a cluster
// that also holds 2,000 unrelated 100 KiB Opaque Secrets (like Helm release Secrets).
//
// A control plane of its own. The unrelated Secrets are created first (16 at a time); then the
// operator starts cluster-wide with leader election (the leader) and its memory is read once
// settled: the 0 row. Each growth step creates the missing Secrets and AuthServers (CONCURRENCY at
// a time, as fast as the API server takes them: a cold start of many) and measures
//   - time from its first create until every AuthServer is Ready for its generation (a
//     cluster-wide list every 250 ms), the operator's reconciles during the step and their rate,
//     and reconciles per new AuthServer (1.0 when no AuthServer reconciles again for its own
//     status write; every extra one is counted);
//   - the operator's RSS, V8 heap used and external memory once its RSS has been steady for 20 s
//     (support/cluster.ts settledRss; a global GC is not forced), and the marginal cost per issuer
//     against the 0 row;
//   - JWKS throughput for one issuer (test/bench/support/load.ts, 50 connections, 5 s);
//   - a joining replica (--leader-elect, a follower): spawn to its first /readyz 200 (readiness =
//     every issuer served), against the reference a bare LIST gives in the same run: every
//     AuthServer (JSON) plus every Secret's metadata (PartialObjectMetadataList), 500 a page, timed
//     just before and just after the join (target: join ≤ 2 × LIST + 1 s).
// After the last step, serving under churn, in two phases against a replica that joins: the leader
// is stopped and the joiner takes over (it reconciles only what it held back as a follower); then
// every AuthServer's signing Secret is touched (an annotation), and the new leader reads each again,
// attests it and writes status. A fixed-rate JWKS load (autocannon, open loop) runs against it in
// windows of 5 s, back to back, until the phase's reconciles are done; the worst window's p99 and
// the event-loop delay are the figures, beside the same load against nginx serving the same JWKS in
// the same windows (the contention of the API server, etcd and the resync on 2 cores, without
// Signet's own work). Then Signet is stopped and the touch runs once more against the bare reference
// in its place (support/bare-attester.ts: the same JWKS body from node:http, and per touched Secret
// only the GET and the status write no leader can avoid), beside the same nginx: what Node and the
// API server's work leave on this machine.
// Then how each figure grows from 1,000 to 10,000 (10× is linear). Bounded: each step stops
// creating and waiting at its deadline and prints what it reached; the join has a deadline too.
// SIGNET_BENCH_SCALE_SIZES=1000,5000 runs fewer steps. SIGNET_BENCH_OPERATOR_JS=dist/main.js runs
// the operator as the image does. SIGNET_BENCH_HEAP_SNAPSHOT=DIR writes a V8 heap snapshot of the
// operator into DIR at 0 issuers and after the last step (support/heap-diff.ts compares them).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import { ACCEPT_JSON, ACCEPT_METADATA, getJson } from '../../src/kube/stream.js';
import { eventually } from '../support/eventually.js';
import { kubeConfig } from '../support/kube.js';
import { metricValue, scrape } from '../support/metrics.js';
import type { RunningOperator } from '../support/operator.js';
import { heading, machine, verdict, type Bench } from './support/bench.js';
import {
  MIB, createIdempotent, gcWindow, keySecret, loadWindow, logSummary, loopDelayMs, mapLimit, mib, operatorCommand, operatorMetrics, processRss, rsaKeyPool, servingLoopDelayMs, settledRss, sleep,
  startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator, type BenchCluster, type BenchOperator, type PoolKey, type SettledMemory,
} from './support/cluster.js';
import { chooseLoadTool, runLoad, type LoadResult } from './support/load.js';
import { startBareAttester, type BareAttester } from './support/bare-reference.js';
import { NGINX_MISSING, nginxBinary, startNginx, type NginxServer } from './support/nginx.js';
import { processCpuSeconds } from './support/tools.js';

const NAMESPACES = 10;
const UNRELATED_SECRETS = 2_000;
const UNRELATED_BYTES = 100 * 1024;
const KEY_POOL = 60;
const KEYS_PER_AUTHSERVER = 3;
const SIZES = (process.env.SIGNET_BENCH_SCALE_SIZES ?? '1000,5000,10000').split(',').map(Number);
const CONCURRENCY = 16;
const READY_POLL_MS = 250;
const LOAD_CONNECTIONS = 50;
const LOAD_SECONDS = 5;
/** Per growth step, creates and waiting for Ready together. */
const STEP_DEADLINE_MS = 12 * 60_000;
const UNRELATED_DEADLINE_MS = 10 * 60_000;
const JOIN_DEADLINE_MS = 4 * 60_000;
/** SIGNET_BENCH_SCALE_LOG=FILE: the leader logs at debug level (why each reconcile was queued) into FILE. */
const LOG_FILE = process.env.SIGNET_BENCH_SCALE_LOG;
const OPERATOR_ARGS = ['--leader-elect', '--log-level', 'info'];
const TARGET_MARGINAL_KIB = 20;
const SNAPSHOT_DIR = process.env.SIGNET_BENCH_HEAP_SNAPSHOT;
/**
 * V8's old generation as Node sizes it in a pod with the 1Gi limit docs/install.md gives for 10,000
 * AuthServers (a quarter of the limit, 256 MiB at 512Mi and below): a process outside a cgroup gets
 * a quarter of the machine's memory instead, and collects far later (4 GiB here).
 */
const POD_HEAP = '--max-old-space-size=512';
const SNAPSHOT_DEADLINE_MS = 3 * 60_000;
/** Serving under churn: a fixed JWKS request rate (open loop, as verifiers refetch) against a replica taking over. */
const CHURN_RATE = 2_000;
const CHURN_CONNECTIONS = 20;
/** The load runs in windows of this length, back to back, until a phase's change has been reconciled; the worst window counts. */
const CHURN_WINDOW_S = 5;
/** Load before the change starts, so that the first window sees it. */
const CHURN_LEAD_IN_MS = 2_000;
/** For a phase's change to be reconciled, and for the queue to be empty for a second after. */
const PHASE_DEADLINE_MS = 5 * 60_000;
const TARGET_CHURN_P99_MS = 5;
const TOUCH = 'every signing Secret touched';
const TOUCH_BARE = `${TOUCH}, bare reference in Signet's place`;
const TARGET_CHURN_LAG_P99_MS = 10;

const api = { group: GROUP, version: VERSION, plural: PLURAL };
const ns = (i: number): string => `bench-scale-${i % NAMESPACES}`;
const asName = (i: number): string => `issuer-${i}`;
const secretName = (i: number, k: number): string => `issuer-${i}-key-${k}`;

interface Row {
  issuers: number;
  mem: SettledMemory;
  readyS?: number;
  createS?: number;
  ready?: number;
  reconciles?: number;
  extraReconciles?: number;
  operatorCpuS?: number;
  load?: LoadResult;
  listS?: number;
  joinS?: number;
  joinRss?: number;
  joinNote?: string;
}

/** One phase of serving under churn (after the last step): a change, and the new leader serving while it reconciles it. */
interface Churn {
  name: string;
  issuers: number;
  /** The window with the highest p99 (windows of CHURN_WINDOW_S, back to back, from before the change until it was reconciled). */
  load: LoadResult;
  /** nginx's window with the highest p99, same load, same time. */
  reference?: LoadResult;
  windows: number;
  /** Failed requests over every window. */
  failed: number;
  referenceFailed: number;
  /** Reconciles the new leader ran during the phase, and how long the change took until its queue was empty. */
  reconciles: number;
  doneS: number;
  /** What the change reported (e.g. how long the patches took). */
  detail?: string;
  /**
   * The largest of the per-second event-loop delay p99s of the thread that answers JWKS requests
   * (each scrape resets the histograms), and the largest delay; then the same for the controller's
   * thread when that is another one (Signet's main thread).
   */
  lagP99Ms: number;
  lagMaxMs: number;
  controllerLag?: { p99Ms: number; maxMs: number };
}

/** What serves the JWKS under load: Signet, or the bare reference (support/bare-attester.ts), with the metrics underLoad reads. */
type Served = Pick<RunningOperator, 'jwksPort' | 'metricsPort'>;

/**
 * What underLoad scrapes once a second, and all the phases read: the whole /metrics is 6.6 MB to
 * render at 10,000 issuers, which a Prometheus scraping every 15 s or more does not ask every second.
 * prom-client reads and resets the event-loop delay histogram when it collects nodejs_eventloop_lag_seconds.
 */
const PHASE_METRICS = ['signet_reconcile_duration_seconds', 'signet_workqueue_depth', 'signet_leader', ...['', '_max', '_p99'].map((s) => `signet_process_nodejs_eventloop_lag${s}_seconds`),
  'signet_jwks_eventloop_lag_p99_seconds', 'signet_jwks_eventloop_lag_max_seconds'];

/** The operator's next /metrics text (PHASE_METRICS only), from the one scrape a second that underLoad makes. */
type NextScrape = () => Promise<string>;

/** Until the operator's work queue has been empty, and no reconcile ran, for a second. */
async function settle(next: NextScrape): Promise<void> {
  let last = NaN;
  await eventually(async () => {
    const text = await next();
    const n = metricValue(text, 'signet_reconcile_duration_seconds_count') ?? NaN;
    const quiet = n === last && metricValue(text, 'signet_workqueue_depth') === 0;
    last = n;
    return quiet;
  }, { timeoutMs: PHASE_DEADLINE_MS, intervalMs: 0, what: 'an empty work queue and no reconcile for a second' });
}

/**
 * Runs `change` while a fixed-rate JWKS load runs against `op` (and the same load against nginx
 * beside it), in windows of CHURN_WINDOW_S back to back until the change has resolved, sampling the
 * operator's event-loop delay every second.
 */
async function underLoad(op: Served, jwksPath: string, referencePort: number | undefined, name: string, issuers: number, change: (next: NextScrape) => Promise<string | void>): Promise<Churn> {
  const load = (port: number): Promise<LoadResult> => runLoad('autocannon', {
    url: `http://127.0.0.1:${port}${jwksPath}`, host: `127.0.0.1:${port}`, connections: CHURN_CONNECTIONS, durationS: CHURN_WINDOW_S, ratePerSecond: CHURN_RATE,
  });
  // A window before the change, not counted: the load generators start (new connections, their own JIT warm-up).
  await Promise.all([load(op.jwksPort), referencePort === undefined ? undefined : load(referencePort)]);
  const reconcilesBefore = await reconcileCount(op);
  const started = performance.now();
  let ended: number | undefined;
  let detail: string | undefined;
  let failure: unknown;
  let waiters: Array<(text: string) => void> = [];
  const next: NextScrape = () => new Promise((resolve) => waiters.push(resolve));
  const changing = change(next).then((d) => { detail = d ?? undefined; }, (err: unknown) => { failure = err; }).finally(() => { ended = performance.now(); });
  const windows: Array<{ signet: LoadResult; reference?: LoadResult }> = [];
  const loading = (async () => {
    do {
      const [signet, reference] = await Promise.all([load(op.jwksPort), referencePort === undefined ? undefined : load(referencePort)]);
      windows.push({ signet, ...(reference && { reference }) });
    } while (ended === undefined);
  })();
  let lagP99Ms = 0;
  let lagMaxMs = 0;
  let controllerLag: Churn['controllerLag'];
  let loaded = false;
  void loading.finally(() => { loaded = true; });
  while (!loaded) {
    await sleep(1000);
    const text = await scrape(op.metricsPort, PHASE_METRICS);
    lagP99Ms = Math.max(lagP99Ms, servingLoopDelayMs(text, 'p99'));
    lagMaxMs = Math.max(lagMaxMs, servingLoopDelayMs(text, 'max'));
    if (metricValue(text, 'signet_jwks_eventloop_lag_p99_seconds') !== undefined) {
      controllerLag = { p99Ms: Math.max(controllerLag?.p99Ms ?? 0, loopDelayMs(text, 'p99')), maxMs: Math.max(controllerLag?.maxMs ?? 0, loopDelayMs(text, 'max')) };
    }
    const waiting = waiters;
    waiters = [];
    for (const w of waiting) w(text);
  }
  await Promise.all([loading, changing]);
  if (failure) throw new Error(`${name}: ${(failure as Error).message}`, { cause: failure });
  const worst = (results: LoadResult[]): LoadResult | undefined => results.reduce<LoadResult | undefined>((w, r) => (!w || r.p99Ms > w.p99Ms ? r : w), undefined);
  const failedOf = (results: LoadResult[]): number => results.reduce((n, r) => n + r.non2xx + r.errors, 0);
  const signet = windows.map((w) => w.signet);
  const reference = windows.flatMap((w) => (w.reference ? [w.reference] : []));
  const worstReference = worst(reference);
  return {
    name, issuers, load: worst(signet) as LoadResult, ...(worstReference && { reference: worstReference }), windows: windows.length,
    failed: failedOf(signet), referenceFailed: failedOf(reference), reconciles: (await reconcileCount(op)) - reconcilesBefore,
    doneS: ((ended ?? NaN) - started - CHURN_LEAD_IN_MS) / 1000, ...(detail && { detail }), lagP99Ms, lagMaxMs,
    ...(controllerLag && { controllerLag }),
  };
}

function phaseLine(c: Churn): string {
  return `${c.name} under ${CHURN_RATE} JWKS req/s: worst of ${c.windows} windows of ${CHURN_WINDOW_S} s p99 ${c.load.p99Ms.toFixed(2)} ms (${c.load.rps.toFixed(0)} req/s), ${c.failed} failed; ` +
    `nginx beside it ${c.reference ? `p99 ${c.reference.p99Ms.toFixed(2)} ms (${c.reference.rps.toFixed(0)} req/s), ${c.referenceFailed} failed` : 'not run'}; ` +
    `${c.name === TOUCH_BARE ? `bare reference wrote ${c.reconciles} statuses` : `new leader ran ${c.reconciles} reconciles`}, done ${f1(c.doneS)} s after the change began${c.detail ? ` (${c.detail})` : ''}; ${c.controllerLag ? 'JWKS thread\'s ' : ''}event-loop delay p99 ≤ ${f1(c.lagP99Ms)} ms (worst second), max ${f1(c.lagMaxMs)} ms` +
    (c.controllerLag ? `; the controller thread's p99 ≤ ${f1(c.controllerLag.p99Ms)} ms, max ${f1(c.controllerLag.maxMs)} ms` : '');
}

function isReadyForGeneration(as: AuthServer): boolean {
  const ready = as.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && as.status?.observedGeneration === as.metadata.generation;
}

async function reconcileCount(op: Served): Promise<number> {
  return metricValue(await scrape(op.metricsPort, PHASE_METRICS), 'signet_reconcile_duration_seconds_count') ?? NaN;
}

/** The reference: what any replica must read at least, one paged LIST of each, timed. */
async function bareList(): Promise<{ seconds: number; authServers: number; secrets: number }> {
  const kc = kubeConfig();
  const started = performance.now();
  const count = async (path: string, accept: string): Promise<number> => {
    let n = 0;
    let cont: string | undefined;
    do {
      const q = new URLSearchParams({ limit: '500', ...(cont && { continue: cont }) });
      const page = await getJson<{ items: unknown[] | null; metadata: { continue?: string } }>(kc, `${path}?${q.toString()}`, accept, AbortSignal.timeout(60_000));
      n += page.items?.length ?? 0;
      cont = page.metadata.continue || undefined;
    } while (cont);
    return n;
  };
  const [authServers, secrets] = await Promise.all([count(`/apis/${GROUP}/${VERSION}/${PLURAL}`, ACCEPT_JSON), count('/api/v1/secrets', ACCEPT_METADATA)]);
  return { seconds: (performance.now() - started) / 1000, authServers, secrets };
}

async function createIssuer(cluster: BenchCluster, pool: PoolKey[], i: number): Promise<void> {
  const { core, custom } = cluster.clients;
  const namespace = ns(i);
  for (let k = 0; k < KEYS_PER_AUTHSERVER; k++) {
    // Three distinct pool keys per AuthServer (KEY_POOL is a multiple of 3), so no duplicate kids.
    const key = pool[(KEYS_PER_AUTHSERVER * i + k) % KEY_POOL] as PoolKey;
    await createIdempotent(() => core.createNamespacedSecret({ namespace, body: keySecret(namespace, secretName(i, k), key.pkcs8) }));
  }
  await createIdempotent(() => custom.createNamespacedCustomObject({
    ...api, namespace,
    body: {
      apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name: asName(i), namespace },
      spec: {
        issuerURI: `https://issuer-${i}.bench.example.com/${namespace}`,
        tokenSignature: {
          signAndVerifyKeyRef: { name: secretName(i, 0) },
          extraVerifyKeyRefs: [{ name: secretName(i, 1) }, { name: secretName(i, 2) }],
          keyGeneration: { mode: 'Never' },
        },
      },
    },
  }));
}

/** A heap snapshot of the operator (it was started with --heapsnapshot-signal); resolves to its file once written. */
async function heapSnapshot(op: RunningOperator, dir: string): Promise<string | undefined> {
  const before = new Set(readdirSync(dir));
  op.process.kill('SIGUSR2');
  const deadline = performance.now() + SNAPSHOT_DEADLINE_MS;
  let size = -1;
  while (performance.now() < deadline) {
    await sleep(1000);
    const file = readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f));
    if (!file) continue;
    const now = statSync(path.join(dir, file)).size;
    if (now === size && now > 0) return path.join(dir, file);
    size = now;
  }
  return undefined;
}

/** The settled figures, and where RSS started (a burst's garbage is collected while it settles). */
function memLine(m: SettledMemory): string {
  return `RSS ${mib(m.rss)} (${mib(m.firstRss)} at the first reading, ${m.settledS === undefined ? 'not settled within the deadline' : `settled after ${m.settledS.toFixed(0)} s`}), ` +
    `heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)} (${Object.entries(m.spaces).filter(([, b]) => b >= MIB).map(([s, b]) => `${s} ${mib(b)}`).join(', ')}), external ${mib(m.external)}`;
}

const f1 = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toFixed(1));
const kib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : 'n/a');

async function run(): Promise<void> {
  heading(`Scale: 0 → ${SIZES.map((s) => s.toLocaleString('en-US')).join(' → ')} AuthServers (3 keys each, public only) beside ${UNRELATED_SECRETS.toLocaleString('en-US')} unrelated 100 KiB Secrets`);
  console.log(`machine: ${machine()}`);
  console.log(`operator: ${operatorCommand(POD_HEAP)} ${OPERATOR_ARGS.join(' ')}`);
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const poolReady = rsaKeyPool(KEY_POOL);
  let cluster: BenchCluster | undefined;
  let op: BenchOperator | undefined;
  let other: BenchOperator | undefined;
  let nginx: NginxServer | undefined;
  let bare: BareAttester | undefined;
  const rows: Row[] = [];
  const notes: string[] = [];
  const churnPhases: Churn[] = [];
  let rssEmpty: number;
  try {
    cluster = await startBenchCluster();
    const { core } = cluster.clients;
    const apiserverPid = cluster.cp.pgids[1] ?? 0;
    for (let i = 0; i < NAMESPACES; i++) await core.createNamespace({ body: { metadata: { name: ns(i) } } });

    other = await startBenchOperator(OPERATOR_ARGS, { nodeOptions: POD_HEAP });
    rssEmpty = (await settledRss(other)).rss;
    await stopBenchOperator(other);
    other = undefined;
    console.log(`[${elapsed()}] operator RSS with no Secrets at all (reference): ${mib(rssEmpty)}`);

    const unrelatedDeadline = performance.now() + UNRELATED_DEADLINE_MS;
    const unrelatedStart = performance.now();
    const unrelated = await mapLimit(Array.from({ length: UNRELATED_SECRETS }, (_, i) => i), CONCURRENCY, async (i) => {
      const namespace = ns(i);
      await createIdempotent(() => core.createNamespacedSecret({
        namespace,
        body: {
          apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
          metadata: { name: `sh.helm.release.v1.app-${i}.v1`, namespace, labels: { owner: 'helm', name: `app-${i}` } },
          data: { release: randomBytes(UNRELATED_BYTES).toString('base64') },
        },
      }));
    }, () => performance.now() > unrelatedDeadline);
    console.log(`[${elapsed()}] created ${unrelated} unrelated Secrets in ${((performance.now() - unrelatedStart) / 1000).toFixed(1)} s`);
    if (unrelated < UNRELATED_SECRETS) notes.push(`only ${unrelated} of ${UNRELATED_SECRETS} unrelated Secrets were created within the deadline`);

    if (SNAPSHOT_DIR) mkdirSync(SNAPSHOT_DIR, { recursive: true });
    op = await startBenchOperator(LOG_FILE ? ['--leader-elect', '--log-level', 'debug'] : OPERATOR_ARGS, { nodeOptions: POD_HEAP, ...(SNAPSHOT_DIR && { env: { ...process.env, NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${SNAPSHOT_DIR}` } }) });
    const opPid = op.process.pid ?? 0;
    const zero: Row = { issuers: 0, mem: await settledRss(op) };
    rows.push(zero);
    console.log(`[${elapsed()}] operator ready in ${(op.startMs / 1000).toFixed(1)} s; ${memLine(zero.mem)}`);
    if (SNAPSHOT_DIR) console.log(`[${elapsed()}] heap snapshot at 0 issuers: ${await heapSnapshot(op, SNAPSHOT_DIR) ?? 'not written within the deadline'}`);

    const pool = await poolReady;
    const load = chooseLoadTool();
    const jwksUrl = `http://127.0.0.1:${op.jwksPort}/authservers/${ns(0)}/${asName(0)}/oauth2/jwks`;
    let existing = 0;
    for (const size of SIZES) {
      const indices = Array.from({ length: size - existing }, (_, k) => existing + k);
      const stepStart = performance.now();
      const deadline = stepStart + STEP_DEADLINE_MS;
      const cpuBefore = await processCpuSeconds(opPid);
      const reconcilesBefore = await reconcileCount(op);
      let createsDoneAt: number | undefined;
      const creating = mapLimit(indices, CONCURRENCY, (i) => createIssuer(cluster as BenchCluster, pool, i), () => performance.now() > deadline)
        .then((n) => { createsDoneAt = performance.now(); return n; });
      let ready = 0;
      let readyAt: number | undefined;
      let lastLog = stepStart;
      for (;;) {
        const listed = (await cluster.clients.custom.listClusterCustomObject({ ...api }).catch(() => undefined)) as { items?: AuthServer[] } | undefined;
        if (listed) ready = (listed.items ?? []).filter(isReadyForGeneration).length;
        const now = performance.now();
        if (createsDoneAt !== undefined && ready >= existing + (await creating)) { readyAt = now; break; }
        if (now > deadline) break;
        if (now - lastLog > 15_000) {
          lastLog = now;
          console.log(`[${elapsed()}]   ${size} step: ${ready} Ready${createsDoneAt === undefined ? ', still creating' : ''}`);
        }
        await sleep(READY_POLL_MS);
      }
      const created = await creating;
      existing += created;
      const row: Row = {
        issuers: existing, mem: zero.mem, ready,
        createS: ((createsDoneAt ?? performance.now()) - stepStart) / 1000,
        ...(readyAt !== undefined && { readyS: (readyAt - stepStart) / 1000 }),
      };
      // Settle first: reconciles still running after Ready (a second one per AuthServer) count too.
      row.mem = await settledRss(op);
      row.reconciles = (await reconcileCount(op)) - reconcilesBefore;
      row.extraReconciles = row.reconciles - created;
      row.operatorCpuS = (await processCpuSeconds(opPid)) - cpuBefore;
      console.log(`[${elapsed()}] ${existing} AuthServers: creates ${f1(row.createS)} s, ` +
        `${row.readyS === undefined ? `only ${ready} Ready at the deadline` : `all Ready ${f1(row.readyS)} s after the first create`}; ` +
        `${row.reconciles} reconciles (${(row.reconciles / created).toFixed(2)} per new AuthServer), operator CPU ${f1(row.operatorCpuS)} s; ` +
        `${memLine(row.mem)}; kube-apiserver RSS ${mib(processRss(apiserverPid))}`);
      if (row.readyS === undefined || created < indices.length) notes.push(`${size} step: stopped at the ${STEP_DEADLINE_MS / 60_000} min deadline with ${existing} created and ${ready} Ready`);
      try {
        const seen = await loadWindow(op.metricsPort);
        row.load = await runLoad(load.tool, { url: jwksUrl, host: `127.0.0.1:${op.jwksPort}`, connections: LOAD_CONNECTIONS, durationS: LOAD_SECONDS });
        console.log(`[${elapsed()}]   JWKS ${load.tool}: ${Math.round(row.load.rps)} req/s, p99 ${row.load.p99Ms.toFixed(2)} ms, non-2xx ${row.load.non2xx}; ${await seen()}`);
      } catch (err) {
        console.log(`[${elapsed()}]   JWKS load failed: ${(err as Error).message}`);
      }
      const before = await bareList();
      try {
        other = await startBenchOperator(OPERATOR_ARGS, { readyTimeoutMs: JOIN_DEADLINE_MS, nodeOptions: POD_HEAP });
        row.joinS = other.startMs / 1000;
        row.joinRss = (await operatorMetrics(other.metricsPort)).rss;
      } catch (err) {
        row.joinNote = `no /readyz 200 within ${JOIN_DEADLINE_MS / 1000} s`;
        console.log(`[${elapsed()}]   joining replica: ${(err as Error).message.split('\n')[0]}`);
      }
      await stopBenchOperator(other);
      other = undefined;
      const after = await bareList();
      row.listS = (before.seconds + after.seconds) / 2;
      console.log(`[${elapsed()}]   bare LIST of ${before.authServers} AuthServers + ${before.secrets} Secrets' metadata: ${before.seconds.toFixed(2)} s before the join, ${after.seconds.toFixed(2)} s after; ` +
        `joining replica ready in ${row.joinS === undefined ? row.joinNote : `${row.joinS.toFixed(2)} s (RSS at ready ${mib(row.joinRss ?? NaN)})`}`);
      rows.push(row);
      if (row.readyS === undefined) break;
    }
    if (SNAPSHOT_DIR) console.log(`[${elapsed()}] heap snapshot at ${rows[rows.length - 1]?.issuers} issuers: ${await heapSnapshot(op, SNAPSHOT_DIR) ?? 'not written within the deadline'}`);
    console.log(`[${elapsed()}] operator: ${logSummary(op.logs)}`);
    if (LOG_FILE) writeFileSync(LOG_FILE, `${op.logs.join('\n')}\n`);
    const last = rows[rows.length - 1] as Row;
    if (last.issuers > 0) {
      // Serving under churn: a replica joins, the leader stops and the joiner takes over; then every
      // AuthServer's signing Secret is touched, and the new leader reads each again, attests it and
      // writes status. A fixed-rate JWKS load runs against the new leader throughout.
      other = await startBenchOperator(OPERATOR_ARGS, { readyTimeoutMs: JOIN_DEADLINE_MS, nodeOptions: POD_HEAP });
      const leader = other;
      const jwksPath = `/authservers/${ns(0)}/${asName(0)}/oauth2/jwks`;
      // The reference: nginx serving the same JWKS under the same load in the same window, so it
      // meets the same contention (API server, etcd and the new leader on 2 cores).
      nginx = nginxBinary() ? await startNginx({ urlPath: jwksPath, body: Buffer.from(await (await fetch(`http://127.0.0.1:${leader.jwksPort}${jwksPath}`)).arrayBuffer()), contentType: 'application/json', headers: {} }) : undefined;
      if (!nginx) notes.push(NGINX_MISSING);
      const gcs = await gcWindow(leader.metricsPort);
      const takeover = await underLoad(leader, jwksPath, nginx?.port, 'takeover', last.issuers, async (next) => {
        await sleep(CHURN_LEAD_IN_MS);
        const stopped = op;
        op = undefined;
        await stopBenchOperator(stopped);
        await eventually(async () => metricValue(await next(), 'signet_leader') === 1, { timeoutMs: PHASE_DEADLINE_MS, intervalMs: 0, what: 'the joiner leads' });
        await settle(next);
      });
      console.log(`[${elapsed()}] ${phaseLine(takeover)}`);
      const indices = Array.from({ length: last.issuers }, (_, i) => i);
      const touchAll = async (next: NextScrape): Promise<string> => {
        await sleep(CHURN_LEAD_IN_MS);
        const reconciles = async (): Promise<number> => metricValue(await next(), 'signet_reconcile_duration_seconds_count') ?? NaN;
        const before = await reconciles();
        const started = performance.now();
        await mapLimit(indices, CONCURRENCY, async (i) => {
          await core.patchNamespacedSecret({ namespace: ns(i), name: secretName(i, 0), body: { metadata: { annotations: { 'bench.signet.dev/touched': String(Date.now()) } } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
        });
        const patchedS = (performance.now() - started) / 1000;
        await eventually(async () => (await reconciles()) - before >= last.issuers, { timeoutMs: PHASE_DEADLINE_MS, intervalMs: 0, what: 'a reconcile per touched Secret' });
        await settle(next);
        return `${last.issuers} patches in ${patchedS.toFixed(1)} s`;
      };
      const touch = await underLoad(leader, jwksPath, nginx?.port, TOUCH, last.issuers, touchAll);
      console.log(`[${elapsed()}] ${phaseLine(touch)}; new leader's ${gcs((await operatorMetrics(leader.metricsPort)).text)}`);
      // The same touch with Signet stopped and the bare reference in its place: the serving and API
      // work no leader can avoid, on the same machine, beside the same nginx.
      const jwksBody = Buffer.from(await (await fetch(`http://127.0.0.1:${leader.jwksPort}${jwksPath}`)).arrayBuffer());
      other = undefined;
      await stopBenchOperator(leader);
      bare = await startBareAttester(jwksBody);
      const bareTouch = await underLoad(bare, jwksPath, nginx?.port, TOUCH_BARE, last.issuers, touchAll);
      console.log(`[${elapsed()}] ${phaseLine(bareTouch)}`);
      churnPhases.push(takeover, touch, bareTouch);
    }
  } finally {
    await bare?.stop();
    await nginx?.stop();
    await stopBenchOperator(other);
    await stopBenchOperator(op);
    await stopBenchCluster(cluster);
  }
  report(rows, rssEmpty, notes, churnPhases);
}

function report(rows: Row[], rssEmpty: number, notes: string[], churn: Churn[]): void {
  const zero = rows[0];
  if (!zero) return;
  console.log(`\nOperator memory (${operatorCommand(POD_HEAP)}), cluster-wide, ${UNRELATED_SECRETS.toLocaleString('en-US')} unrelated Secrets present; no Secrets at all: RSS ${mib(rssEmpty)}`);
  console.log('  issuers  RSS MiB  heap used MiB  heap total MiB  external MiB  marginal KiB/issuer (RSS, heap, external)  all Ready s  creates s  reconciles/s  per AS  join s  LIST s  join target s  JWKS req/s  p99 ms');
  for (const r of rows) {
    const n = r.issuers;
    const marginal = n === 0 ? '' : `${kib((r.mem.rss - zero.mem.rss) / n)}, ${kib((r.mem.heapUsed - zero.mem.heapUsed) / n)}, ${kib((r.mem.external - zero.mem.external) / n)}`;
    const joinTarget = r.listS === undefined ? undefined : 2 * r.listS + 1;
    console.log(`  ${String(n).padStart(7)}  ${f1(r.mem.rss / MIB).padStart(7)}  ${f1(r.mem.heapUsed / MIB).padStart(13)}  ${f1(r.mem.heapTotal / MIB).padStart(14)}  ${f1(r.mem.external / MIB).padStart(12)}  ${marginal.padStart(42)}  ` +
      `${(r.readyS === undefined ? (n === 0 ? '' : `>${STEP_DEADLINE_MS / 1000} (${r.ready})`) : f1(r.readyS)).padStart(11)}  ${(r.createS === undefined ? '' : f1(r.createS)).padStart(9)}  ` +
      `${(r.reconciles === undefined || r.readyS === undefined ? '' : f1(r.reconciles / r.readyS)).padStart(12)}  ${(r.reconciles === undefined ? '' : (r.reconciles / (n - (rows[rows.indexOf(r) - 1]?.issuers ?? 0))).toFixed(2)).padStart(6)}  ` +
      `${(r.joinS === undefined ? (r.joinNote ? 'none' : '') : r.joinS.toFixed(2)).padStart(6)}  ${(r.listS === undefined ? '' : r.listS.toFixed(2)).padStart(6)}  ${(joinTarget === undefined ? '' : joinTarget.toFixed(2)).padStart(13)}  ` +
      `${(r.load ? Math.round(r.load.rps).toLocaleString('en-US') : '').padStart(10)}  ${(r.load ? r.load.p99Ms.toFixed(2) : '').padStart(6)}`);
  }
  const grown = rows.filter((r) => r.issuers > 0);
  const last = grown[grown.length - 1];
  if (last) {
    const per = (last.mem.rss - zero.mem.rss) / last.issuers / 1024;
    console.log(`  marginal RSS at ${last.issuers.toLocaleString('en-US')}: ${per.toFixed(1)} KiB/issuer  ${verdict(per <= TARGET_MARGINAL_KIB, `≤ ${TARGET_MARGINAL_KIB} KiB`)}`);
    if (last.joinS !== undefined && last.listS !== undefined) console.log(`  join at ${last.issuers.toLocaleString('en-US')}: ${last.joinS.toFixed(2)} s  ${verdict(last.joinS <= 2 * last.listS + 1, `≤ 2 × LIST + 1 s = ${(2 * last.listS + 1).toFixed(2)} s`)}`);
    if (last.readyS !== undefined && last.createS !== undefined) console.log(`  cold start at ${last.issuers.toLocaleString('en-US')}: all Ready ${last.readyS.toFixed(1)} s  ${verdict(last.readyS <= last.createS + 10, `≤ creates + 10 s = ${(last.createS + 10).toFixed(1)} s`)}`);
    const extra = grown.reduce((sum, r) => sum + Math.max(0, r.extraReconciles ?? 0), 0);
    console.log(`  reconciles beyond one per new AuthServer (its own status write, or a retry): ${extra}  ${verdict(extra === 0, 'none')}`);
  }
  const first = grown.find((r) => r.issuers === 1_000);
  const tenK = grown.find((r) => r.issuers === 10_000);
  if (first && tenK) {
    const g = (name: string, a: number | undefined, b: number | undefined, linear = 10): void => {
      if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a === 0) return;
      const ratio = b / a;
      console.log(`  growth 1,000 → 10,000 of ${name}: ${a.toFixed(2)} → ${b.toFixed(2)} (×${ratio.toFixed(2)}; ×${linear} is linear${ratio > linear * 1.1 ? ': FASTER THAN LINEAR' : ''})`);
    };
    g('RSS above the 0 row (MiB)', (first.mem.rss - zero.mem.rss) / MIB, (tenK.mem.rss - zero.mem.rss) / MIB);
    g('heap used above the 0 row (MiB)', (first.mem.heapUsed - zero.mem.heapUsed) / MIB, (tenK.mem.heapUsed - zero.mem.heapUsed) / MIB);
    g('external above the 0 row (MiB)', (first.mem.external - zero.mem.external) / MIB, (tenK.mem.external - zero.mem.external) / MIB);
    g('join time (s)', first.joinS, tenK.joinS);
    g('bare LIST (s)', first.listS, tenK.listS);
    // The steps add 1,000 and then 5,000 issuers: their cost per issuer added stays flat when linear.
    const prev = (r: Row): number => rows[rows.indexOf(r) - 1]?.issuers ?? 0;
    const perAdded = (r: Row): number | undefined => (r.readyS === undefined ? undefined : (r.readyS * 1000) / (r.issuers - prev(r)));
    g('all-Ready time per issuer added in the step (ms)', perAdded(first), perAdded(tenK), 1);
    g('joining replica RSS (MiB)', (first.joinRss ?? NaN) / MIB, (tenK.joinRss ?? NaN) / MIB);
  }
  const bareTouch = churn.find((c) => c.name === TOUCH_BARE);
  for (const c of churn) {
    if (c === bareTouch) continue;
    const ok = c.load.p99Ms < TARGET_CHURN_P99_MS && c.lagP99Ms < TARGET_CHURN_LAG_P99_MS && c.failed === 0;
    console.log(`  serving at ${c.issuers.toLocaleString('en-US')} AuthServers, ${c.name} (${c.reconciles} reconciles in ${f1(c.doneS)} s, ${CHURN_RATE} JWKS req/s): p99 ${c.load.p99Ms.toFixed(2)} ms, ` +
      `${c.controllerLag ? 'JWKS thread\'s ' : ''}event-loop delay p99 ${f1(c.lagP99Ms)} ms, ${c.failed} failed  ` +
      verdict(ok, `p99 < ${TARGET_CHURN_P99_MS} ms, event-loop p99 < ${TARGET_CHURN_LAG_P99_MS} ms, none failed`));
    if (c.reference) {
      const ref = c.reference;
      console.log(`    nginx in the same windows, same load: p99 ${ref.p99Ms.toFixed(2)} ms, ${c.referenceFailed} failed; Signet's p99 is ${(c.load.p99Ms / ref.p99Ms).toFixed(2)}× nginx's  ` +
        verdict(c.load.p99Ms * 0.95 <= ref.p99Ms, 'within nginx p99 / 0.95'));
    }
    if (c.name === TOUCH && bareTouch) {
      console.log(`    bare reference in Signet's place (support/bare-attester.ts: a GET and a status write per touched Secret, a fixed JWKS body), same touch, same load: p99 ${bareTouch.load.p99Ms.toFixed(2)} ms ` +
        `(nginx beside it ${bareTouch.reference ? `${bareTouch.reference.p99Ms.toFixed(2)} ms` : 'not run'}), event-loop delay p99 ${f1(bareTouch.lagP99Ms)} ms, ${bareTouch.failed} failed, ${bareTouch.reconciles} status writes in ${f1(bareTouch.doneS)} s; ` +
        `Signet's p99 is ${(c.load.p99Ms / bareTouch.load.p99Ms).toFixed(2)}× the bare reference's  ${verdict(c.load.p99Ms * 0.95 <= bareTouch.load.p99Ms, 'within the bare reference p99 / 0.95')}`);
      // The loop that answers the requests in each: Signet's JWKS thread, the bare reference's only thread.
      console.log(`    event-loop delay p99 of the loop that serves: Signet ${f1(c.lagP99Ms)} ms, the bare reference ${f1(bareTouch.lagP99Ms)} ms (${(c.lagP99Ms / bareTouch.lagP99Ms).toFixed(2)}×)  ` +
        verdict(c.lagP99Ms * 0.95 <= bareTouch.lagP99Ms, 'within the bare reference\'s event-loop p99 / 0.95'));
    }
  }
  for (const n of notes) console.log(`  note: ${n}`);
}

const bench: Bench = {
  name: 'scale',
  description: `memory, cold start, joining-replica readiness and JWKS throughput at 0/${SIZES.join('/')} AuthServers beside ${UNRELATED_SECRETS} unrelated Secrets; targets ≤ ${TARGET_MARGINAL_KIB} KiB per issuer, join ≤ 2 × LIST + 1 s`,
  run,
};
export default bench;
