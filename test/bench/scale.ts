// Scale: 10 → 100 → 1,000 AuthServers across 10 namespaces, each with 3 user-provided RSA-2048 keys
// (its own 3 Secrets), in a cluster that also holds 2,000 unrelated 100 KiB Opaque Secrets (like
// Helm release Secrets). Targets: operator RSS under 300 MiB after 1,000 issuers, and not growing
// with unrelated Secrets (the operator watches Secrets as metadata only).
//
// A control plane of its own. The unrelated Secrets are created first (16 at a time); then the
// operator starts cluster-wide and its RSS is read once /readyz is 200. Each growth step creates
// the missing Secrets and AuthServers (16 at a time) and measures: time from its first create until
// every AuthServer is Ready for its generation (a cluster-wide list every 250 ms), the operator's
// RSS after a settle (5 readings 1 s apart, the last one), and JWKS throughput for one issuer
// (test/bench/support/load.ts: wrk or autocannon, 50 connections, 5 s, unpinned) on the
// host-independent path. Bounded: each step stops creating and waiting at its deadline and
// prints what it reached.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import type { RunningOperator } from '../support/operator.js';
import { heading, machine, verdict, type Bench } from './support/bench.js';
import {
  MIB, createIdempotent, keySecret, loadWindow, logSummary, mapLimit, mib, operatorCommand, operatorMetrics, processRss, rsaKeyPool, settledRss, sleep,
  startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator, type BenchCluster, type BenchOperator, type PoolKey,
} from './support/cluster.js';
import { chooseLoadTool, runLoad, type LoadResult } from './support/load.js';
import { processCpuSeconds } from './support/tools.js';

const NAMESPACES = 10;
const UNRELATED_SECRETS = 2_000;
const UNRELATED_BYTES = 100 * 1024;
const KEY_POOL = 60;
const KEYS_PER_AUTHSERVER = 3;
const SIZES = [10, 100, 1_000];
const CONCURRENCY = 16;
const READY_POLL_MS = 250;
const LOAD_CONNECTIONS = 50;
const LOAD_SECONDS = 5;
/** Per growth step, creates and waiting for Ready together. */
const STEP_DEADLINE_MS = 8 * 60_000;
const UNRELATED_DEADLINE_MS = 10 * 60_000;
const TARGET_RSS_MIB = 300;

const api = { group: GROUP, version: VERSION, plural: PLURAL };
const ns = (i: number): string => `bench-scale-${i % NAMESPACES}`;
const asName = (i: number): string => `issuer-${i}`;
const secretName = (i: number, k: number): string => `issuer-${i}-key-${k}`;

interface StepResult {
  issuers: number;
  created: number;
  createS: number;
  readyS: number | undefined;
  ready: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  apiserverRssBytes: number;
  operatorCpuS: number;
  load: LoadResult | undefined;
  loadError?: string;
}

function isReadyForGeneration(as: AuthServer): boolean {
  const ready = as.status?.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'True' && as.status?.observedGeneration === as.metadata.generation;
}

/** A sample's value; 0 when absent (a labelled counter appears only once incremented). */
function metricLine(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text.split('\n').find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').pop()) : 0;
}

async function operatorSummary(op: RunningOperator): Promise<string> {
  const { text, loopLagP99 } = await operatorMetrics(op.metricsPort);
  const sum = metricLine(text, 'signet_reconcile_duration_seconds_sum');
  const count = metricLine(text, 'signet_reconcile_duration_seconds_count');
  const le = (b: string): number => metricLine(text, 'signet_reconcile_duration_seconds_bucket', { le: b });
  return `reconciles ${count} (success ${metricLine(text, 'signet_reconciles_total', { result: 'success' })}, error ${metricLine(text, 'signet_reconciles_total', { result: 'error' })}, ` +
    `conflict ${metricLine(text, 'signet_reconciles_total', { result: 'conflict' })}), mean ${((sum / count) * 1000).toFixed(1)} ms, ≤50 ms ${le('0.05')}, ≤250 ms ${le('0.25')}, ≤1 s ${le('1')}; ` +
    `queue depth ${metricLine(text, 'signet_workqueue_depth')}, retries ${metricLine(text, 'signet_workqueue_retries_total')}; event-loop lag p99 ${(loopLagP99 * 1000).toFixed(1)} ms`;
}

async function run(): Promise<void> {
  heading(`Scale: 10 → 100 → 1,000 AuthServers (3 keys each) beside ${UNRELATED_SECRETS.toLocaleString('en-US')} unrelated 100 KiB Secrets`);
  console.log(`machine: ${machine()}`);
  console.log(`operator: ${operatorCommand()}`);
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
  const poolReady = rsaKeyPool(KEY_POOL);
  let cluster: BenchCluster | undefined;
  let op: BenchOperator | undefined;
  let empty: BenchOperator | undefined;
  const results: StepResult[] = [];
  let rssEmpty: number;
  let rssAtReady: number;
  let rssStart: number;
  let unrelatedCreated: number;
  const notes: string[] = [];
  try {
    cluster = await startBenchCluster();
    const { core, custom } = cluster.clients;
    const apiserverPid = cluster.cp.pgids[1] ?? 0;
    for (let i = 0; i < NAMESPACES; i++) await core.createNamespace({ body: { metadata: { name: ns(i) } } });

    // Reference: the operator on a cluster with no Secrets of interest yet.
    empty = await startBenchOperator([]);
    rssEmpty = (await settledRss(empty.metricsPort, 3)).rss;
    await stopBenchOperator(empty);
    empty = undefined;
    console.log(`[${elapsed()}] operator RSS with no unrelated Secrets (reference): ${mib(rssEmpty)}`);

    // 2,000 unrelated Secrets first.
    const unrelatedStart = performance.now();
    const unrelatedDeadline = unrelatedStart + UNRELATED_DEADLINE_MS;
    unrelatedCreated = await mapLimit(Array.from({ length: UNRELATED_SECRETS }, (_, i) => i), CONCURRENCY, async (i) => {
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
    const unrelatedS = (performance.now() - unrelatedStart) / 1000;
    console.log(`[${elapsed()}] created ${unrelatedCreated} unrelated Secrets (${mib(unrelatedCreated * UNRELATED_BYTES)} of data) in ${unrelatedS.toFixed(1)} s (${(unrelatedCreated / unrelatedS).toFixed(0)}/s); kube-apiserver RSS ${mib(processRss(apiserverPid))}`);
    if (unrelatedCreated < UNRELATED_SECRETS) notes.push(`only ${unrelatedCreated} of ${UNRELATED_SECRETS} unrelated Secrets were created within ${UNRELATED_DEADLINE_MS / 60_000} min`);

    op = await startBenchOperator([]);
    const opPid = op.process.pid ?? 0;
    rssAtReady = (await operatorMetrics(op.metricsPort)).rss;
    rssStart = (await settledRss(op.metricsPort, 3)).rss;
    console.log(`[${elapsed()}] operator (cluster-wide) ready ${(op.startMs / 1000).toFixed(1)} s after spawn; RSS at /readyz ${mib(rssAtReady)}, settled ${mib(rssStart)} (VmRSS ${mib(processRss(opPid))})`);

    const pool: PoolKey[] = await poolReady;
    const load = chooseLoadTool();
    if (load.note) console.log(`note: ${load.note}`);
    const jwksUrl = `http://127.0.0.1:${op.jwksPort}/authservers/${ns(0)}/${asName(0)}/oauth2/jwks`;

    let existing = 0;
    for (const size of SIZES) {
      const indices = Array.from({ length: size - existing }, (_, k) => existing + k);
      const stepStart = performance.now();
      const deadline = stepStart + STEP_DEADLINE_MS;
      const cpuBefore = await processCpuSeconds(opPid);
      let createsDoneAt: number | undefined;
      const creating = mapLimit(indices, CONCURRENCY, async (i) => {
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
      }, () => performance.now() > deadline).then((n) => {
        createsDoneAt = performance.now();
        return n;
      });

      let ready = 0;
      let readyAt: number | undefined;
      let lastLog = stepStart;
      for (;;) {
        const listed = (await custom.listClusterCustomObject({ ...api }).catch(() => undefined)) as { items?: AuthServer[] } | undefined;
        if (listed) ready = (listed.items ?? []).filter(isReadyForGeneration).length;
        const now = performance.now();
        if (createsDoneAt !== undefined && ready >= existing + (await creating)) {
          readyAt = now;
          break;
        }
        if (now > deadline) break;
        if (now - lastLog > 10_000) {
          lastLog = now;
          const depth = await operatorMetrics(op.metricsPort).then((m) => metricLine(m.text, 'signet_workqueue_depth'), () => NaN);
          console.log(`[${elapsed()}]   ${size} step: ${ready} Ready so far${createsDoneAt === undefined ? ', still creating' : ''}; operator work queue depth ${depth}`);
        }
        await sleep(READY_POLL_MS);
      }
      const created = await creating;
      existing += created;
      const createS = ((createsDoneAt ?? performance.now()) - stepStart) / 1000;
      const readyS = readyAt === undefined ? undefined : (readyAt - stepStart) / 1000;
      console.log(`[${elapsed()}] ${existing} AuthServers: creates took ${createS.toFixed(1)} s, ` +
        `${readyS === undefined ? `only ${ready} Ready at the ${STEP_DEADLINE_MS / 60_000} min deadline` : `all Ready ${readyS.toFixed(1)} s after the first create`}`);
      if (readyS === undefined || created < indices.length) {
        notes.push(`${size} step: stopped at the ${STEP_DEADLINE_MS / 60_000} min deadline with ${existing} of ${size} AuthServers created and ${ready} Ready`);
      }
      console.log(`[${elapsed()}]   operator: ${await operatorSummary(op)}`);
      const cpuAfter = await processCpuSeconds(opPid);

      const settled = await settledRss(op.metricsPort);
      const step: StepResult = {
        issuers: existing, created, createS, readyS, ready,
        rssBytes: settled.rss, heapUsedBytes: settled.heapUsed, heapTotalBytes: settled.heapTotal, externalBytes: settled.external, apiserverRssBytes: processRss(apiserverPid), operatorCpuS: cpuAfter - cpuBefore,
        load: undefined,
      };
      console.log(`[${elapsed()}]   RSS readings ${settled.readings.map((r) => (r / MIB).toFixed(1)).join(', ')} MiB (V8 heap used ${mib(settled.heapUsed)} of ${mib(settled.heapTotal)}, external ${mib(settled.external)}); operator CPU during the step ${step.operatorCpuS.toFixed(1)} s`);
      try {
        const loadSeen = await loadWindow(op.metricsPort);
        step.load = await runLoad(load.tool, { url: jwksUrl, host: `127.0.0.1:${op.jwksPort}`, connections: LOAD_CONNECTIONS, durationS: LOAD_SECONDS });
        console.log(`[${elapsed()}]   JWKS ${load.tool}: ${Math.round(step.load.rps)} req/s, p50 ${step.load.p50Ms.toFixed(2)} ms, p99 ${step.load.p99Ms.toFixed(2)} ms, non-2xx ${step.load.non2xx}, errors ${step.load.errors}`);
        console.log(`[${elapsed()}]   ${await loadSeen()}`);
      } catch (err) {
        step.loadError = (err as Error).message;
        console.log(`[${elapsed()}]   JWKS load failed: ${step.loadError}`);
      }
      results.push(step);
      if (readyS === undefined) break;
    }
    console.log(`[${elapsed()}] operator: ${logSummary(op.logs)}`);
  } finally {
    await stopBenchOperator(empty);
    await stopBenchOperator(op);
    await stopBenchCluster(cluster);
  }

  console.log(`\nOperator RSS (signet_process_process_resident_memory_bytes), ${operatorCommand()}, cluster-wide:`);
  console.log(`  no unrelated Secrets (reference run, settled)                ${mib(rssEmpty)}`);
  console.log(`  ${unrelatedCreated.toLocaleString('en-US')} unrelated 100 KiB Secrets present, at /readyz       ${mib(rssAtReady)}`);
  console.log(`  ${unrelatedCreated.toLocaleString('en-US')} unrelated 100 KiB Secrets present, settled          ${mib(rssStart)}`);
  console.log(`  growth from unrelated Secrets: ${mib(rssStart - rssEmpty)}  (target: not growing with unrelated Secrets)`);
  console.log(`\n  issuers  time-to-Ready  (creates)  RSS MiB  heap used/total MiB  external MiB  op CPU s  JWKS req/s  p99 ms  apiserver RSS MiB`);
  for (const r of results) {
    console.log(`  ${String(r.issuers).padStart(7)}  ${(r.readyS === undefined ? `>${STEP_DEADLINE_MS / 1000} s (${r.ready})` : `${r.readyS.toFixed(1)} s`).padStart(13)}  ${`${r.createS.toFixed(1)} s`.padStart(9)}  ` +
      `${(r.rssBytes / MIB).toFixed(1).padStart(7)}  ${`${(r.heapUsedBytes / MIB).toFixed(1)}/${(r.heapTotalBytes / MIB).toFixed(1)}`.padStart(19)}  ${(r.externalBytes / MIB).toFixed(1).padStart(12)}  ${r.operatorCpuS.toFixed(1).padStart(8)}  ` +
      `${(r.load ? Math.round(r.load.rps).toLocaleString('en-US') : 'n/a').padStart(10)}  ${(r.load ? r.load.p99Ms.toFixed(2) : 'n/a').padStart(6)}  ${(r.apiserverRssBytes / MIB).toFixed(0).padStart(17)}`);
  }
  const last = results[results.length - 1];
  if (last && last.issuers === SIZES[SIZES.length - 1]) {
    console.log(`  RSS after ${last.issuers.toLocaleString('en-US')} issuers: ${mib(last.rssBytes)}  ${verdict(last.rssBytes < TARGET_RSS_MIB * MIB, `< ${TARGET_RSS_MIB} MiB`)}`);
  }
  for (const n of notes) console.log(`  note: ${n}`);
}

const bench: Bench = {
  name: 'scale',
  description: `time-to-Ready, RSS and JWKS throughput at 10/100/1,000 AuthServers beside ${UNRELATED_SECRETS} unrelated Secrets; target RSS < ${TARGET_RSS_MIB} MiB`,
  run,
};
export default bench;
