// Rotation latency: how long after a rotation step is sent to the API server the JWKS that the
// operator serves has the new signing key first. Target: p99 < 300 ms.
//
// A control plane of its own, an AuthServer with two user-provided RSA-2048 keys (PKCS#8 key.pem in
// two Secrets), the real operator (src/main.ts, one namespace). Each step is a merge patch that
// swaps signAndVerifyKeyRef and extraVerifyKeyRefs (docs/architecture.md#the-authserver-api, rotation step 2); the clock starts
// just before the patch is sent and stops when a poll of the host-independent JWKS path (every
// 2 ms) shows the new signing kid first. As a reference, a watch on authservers opened by this
// process times the same patch to the API server's MODIFIED event: the difference is what the
// operator adds. Then a few steps that add a ref to a Secret that does not exist
// (keyGeneration IfMissing, RSA-2048), timed until the generated key is in the JWKS.
import { performance } from 'node:perf_hooks';
import { PatchStrategy, Watch, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer, type AuthServerSpec } from '../../src/api/types.js';
import { getJwks } from '../support/operator.js';
import { heading, machine, ms, percentile, verdict, type Bench } from './support/bench.js';
import {
  keySecret, logSummary, mib, operatorCommand, operatorMetrics, rsaKeyPool, sleep, startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator,
  type BenchCluster, type BenchOperator,
} from './support/cluster.js';

const NS = 'bench-rotation';
const NAME = 'rotation';
const JWKS_PATH = `/authservers/${NS}/${NAME}/oauth2/jwks`;
const WARMUP_STEPS = 2;
const STEPS = 20;
const KEYGEN_RUNS = 5;
const POLL_MS = 2;
const STEP_DEADLINE_MS = 10_000;
const KEYGEN_DEADLINE_MS = 30_000;
const TARGET_P99_MS = 300;

const api = { group: GROUP, version: VERSION, plural: PLURAL };

interface Observed {
  ms: number;
  kids: string[];
}

/** Polls the JWKS every POLL_MS until `done(kids)`; the time is measured from t0. */
async function pollJwks(port: number, t0: number, done: (kids: string[]) => boolean, deadlineMs: number): Promise<Observed | undefined> {
  const until = t0 + deadlineMs;
  for (;;) {
    const res = await getJwks(port, JWKS_PATH).catch(() => undefined);
    const now = performance.now();
    const kids = (res?.keys ?? []).map((k) => String(k.kid));
    if (res?.status === 200 && done(kids)) return { ms: now - t0, kids };
    if (now > until) return undefined;
    await sleep(POLL_MS);
  }
}

function stats(label: string, samples: number[]): string {
  return `  ${label.padEnd(34)} n=${String(samples.length).padStart(2)}  median ${ms(percentile(samples, 50)).padStart(10)}  p90 ${ms(percentile(samples, 90)).padStart(10)}  p99 ${ms(percentile(samples, 99)).padStart(10)}  max ${ms(Math.max(...samples)).padStart(10)}`;
}

async function run(): Promise<void> {
  heading('Rotation latency: merge patch of the refs → new signing kid first in the served JWKS');
  console.log(`machine: ${machine()}`);
  const keysReady = rsaKeyPool(2);
  let cluster: BenchCluster | undefined;
  let op: BenchOperator | undefined;
  let watchAbort: AbortController | undefined;
  try {
    cluster = await startBenchCluster();
    const { core, custom, kc } = cluster.clients;
    const { createAuthServer, waitForStatus, isReady } = await import('../support/authservers.js');
    await core.createNamespace({ body: { metadata: { name: NS } } });
    const [keyA, keyB] = await keysReady;
    if (!keyA || !keyB) throw new Error('key generation failed');
    const kidOf: Record<string, string> = { 'key-a': keyA.kid, 'key-b': keyB.kid };
    await core.createNamespacedSecret({ namespace: NS, body: keySecret(NS, 'key-a', keyA.pkcs8) });
    await core.createNamespacedSecret({ namespace: NS, body: keySecret(NS, 'key-b', keyB.pkcs8) });
    const spec: AuthServerSpec = {
      issuerURI: 'https://rotation.bench.example.com/team-a',
      tokenSignature: {
        signAndVerifyKeyRef: { name: 'key-a' },
        extraVerifyKeyRefs: [{ name: 'key-b' }],
        keyGeneration: { mode: 'IfMissing', rsaKeySize: 2048 },
      },
    };
    await createAuthServer(NS, NAME, spec);

    op = await startBenchOperator(['--namespace', NS]);
    console.log(`operator ready (/readyz 200) ${(op.startMs / 1000).toFixed(1)} s after spawn (${operatorCommand()} --namespace ${NS})`);
    const port = op.jwksPort;
    await waitForStatus(NS, NAME, isReady, 'Ready', 60_000);
    const first = await pollJwks(port, performance.now(), (kids) => kids[0] === keyA.kid, 30_000);
    if (!first) throw new Error(`the JWKS never showed ${keyA.kid} first`);

    // The reference watch: first MODIFIED event of each generation, as this process receives it.
    const modifiedAt = new Map<number, number>();
    let watchReady = false;
    watchAbort = await new Watch(kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${NS}/${PLURAL}`,
      {},
      (phase: string, obj: AuthServer) => {
        const now = performance.now();
        if (phase === 'ADDED') watchReady = true;
        const gen = obj.metadata?.generation;
        if (phase === 'MODIFIED' && gen !== undefined && !modifiedAt.has(gen)) modifiedAt.set(gen, now);
      },
      (err: unknown) => {
        if (err && !watchAbort?.signal.aborted) console.error(`reference watch ended: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
      },
    );
    for (let i = 0; !watchReady && i < 500; i++) await sleep(10);
    if (!watchReady) throw new Error('the reference watch delivered no ADDED event');

    const patchOptions = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const patch = (tokenSignature: Partial<AuthServerSpec['tokenSignature']>): Promise<AuthServer> =>
      custom.patchNamespacedCustomObject({ ...api, namespace: NS, name: NAME, body: { spec: { tokenSignature } } }, patchOptions) as Promise<AuthServer>;

    const rotation: number[] = [];
    const watch: number[] = [];
    const overhead: number[] = [];
    const apiResponse: number[] = [];
    let missed = 0;
    let signing = 'key-a';
    let verify = 'key-b';
    for (let step = 0; step < WARMUP_STEPS + STEPS; step++) {
      [signing, verify] = [verify, signing];
      const wantKid = kidOf[signing] ?? '';
      const t0 = performance.now();
      const patched = patch({ signAndVerifyKeyRef: { name: signing }, extraVerifyKeyRefs: [{ name: verify }] })
        .then((as) => ({ as, ms: performance.now() - t0 }));
      const seen = await pollJwks(port, t0, (kids) => kids[0] === wantKid, STEP_DEADLINE_MS);
      const { as, ms: responseMs } = await patched;
      const gen = as.metadata.generation ?? -1;
      for (let i = 0; !modifiedAt.has(gen) && i < 500; i++) await sleep(10);
      const eventAt = modifiedAt.get(gen);
      if (step >= WARMUP_STEPS) {
        if (!seen) missed++;
        else rotation.push(seen.ms);
        if (eventAt !== undefined) watch.push(eventAt - t0);
        if (seen && eventAt !== undefined) overhead.push(seen.ms - (eventAt - t0));
        apiResponse.push(responseMs);
      }
      // Let the status write of this step land before the next one, as rotation steps are spaced.
      await waitForStatus(NS, NAME, (x) => x.status?.signingKeyID === wantKid && isReady(x), 'new signing key in status', 30_000);
      await sleep(100);
    }

    console.log(`\n${STEPS} rotation steps (after ${WARMUP_STEPS} warm-up steps), JWKS polled every ${POLL_MS} ms on ${JWKS_PATH}:`);
    console.log(stats('patch → new signing kid first', rotation));
    console.log(stats('patch → MODIFIED on own watch', watch));
    console.log(stats('overhead (rotation − watch)', overhead));
    console.log(stats('patch → API response', apiResponse));
    if (missed > 0) console.log(`  ${missed} step(s) did not show the new signing kid within ${STEP_DEADLINE_MS} ms`);
    const p99 = percentile(rotation, 99);
    console.log(`  rotation p99 ${ms(p99)}  ${verdict(missed === 0 && p99 < TARGET_P99_MS, `< ${TARGET_P99_MS} ms`)}${rotation.length < 100 ? ` (p99 of ${rotation.length} samples is their maximum)` : ''}`);

    // Rotation with key generation: add a ref to a Secret that does not exist.
    const keygen: number[] = [];
    let keygenMissed = 0;
    for (let runIndex = 0; runIndex < KEYGEN_RUNS; runIndex++) {
      const known = new Set([kidOf[signing], kidOf[verify]]);
      const secretName = `generated-${runIndex}`;
      const t0 = performance.now();
      const patched = patch({ extraVerifyKeyRefs: [{ name: verify }, { name: secretName }] });
      const seen = await pollJwks(port, t0, (kids) => kids.some((k) => !known.has(k)), KEYGEN_DEADLINE_MS);
      await patched;
      if (seen) keygen.push(seen.ms);
      else keygenMissed++;
      await waitForStatus(NS, NAME, (x) => x.status?.keys?.some((k) => k.secretName === secretName && k.generated) === true && isReady(x), `${secretName} generated`, 60_000);
      // Step 3 of a rotation: drop the ref again (the generated Secret is retained).
      await patch({ extraVerifyKeyRefs: [{ name: verify }] });
      await pollJwks(port, performance.now(), (kids) => kids.length === 2, 30_000);
      await waitForStatus(NS, NAME, (x) => x.status?.keys?.length === 2 && isReady(x), 'back to two keys', 30_000);
      await sleep(100);
    }
    console.log(`\n${KEYGEN_RUNS} steps that add a ref to a missing Secret (keyGeneration IfMissing, RSA-2048), patch → generated key in the JWKS:`);
    console.log(`  median ${ms(percentile(keygen, 50))}  max ${ms(Math.max(...keygen))}  (samples: ${keygen.map((x) => x.toFixed(0)).join(', ')} ms)${keygenMissed ? `; ${keygenMissed} not seen within ${KEYGEN_DEADLINE_MS} ms` : ''}`);

    const m = await operatorMetrics(op.metricsPort);
    const v = (name: string, labels: Record<string, string> = {}): string => {
      const line = m.text.split('\n').find((l) => l.startsWith(name) && Object.entries(labels).every(([k, val]) => l.includes(`${k}="${val}"`)));
      return line ? (line.split(' ').pop() ?? 'n/a') : 'n/a';
    };
    const sum = Number(v('signet_reconcile_duration_seconds_sum'));
    const count = Number(v('signet_reconcile_duration_seconds_count'));
    console.log(`\noperator: ${count} reconciles, mean ${ms((sum / count) * 1000)} each; keys generated ${v('signet_keys_generated_total', { algorithm: 'RS256' })}; ` +
      `workqueue retries ${v('signet_workqueue_retries_total')}; RSS ${mib(m.rss)}; event-loop delay p99 ${ms(m.loopDelayP99Ms)}`);
    console.log(`operator: ${logSummary(op.logs)}`);
  } finally {
    watchAbort?.abort();
    await stopBenchOperator(op);
    await stopBenchCluster(cluster);
  }
}

const bench: Bench = {
  name: 'rotation-latency',
  description: `rotation step (swap of the refs) → new signing kid first in the served JWKS; target p99 < ${TARGET_P99_MS} ms`,
  run,
};
export default bench;
