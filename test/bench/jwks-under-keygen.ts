// JWKS latency while the same process generates 50 RSA-4096 keys with the async
// crypto.generateKeyPair (docs/architecture.md#toolchain-facts: key generation runs in libuv's thread pool, off the event
// loop, so serving is never blocked by reconciling). Target: p99 < 10 ms.
//
// Signet's JWKS listener runs in its thread (src/jwks/serving-thread.ts) in a child process holding the
// issuer under load (3 RSA-2048 keys); on a signal the child's main thread generates 50 keys and publishes each as its own AuthServer when ready, as
// the controller would. autocannon, in this process, keeps a steady load (20 keep-alive
// connections, 100 req/s each) and records every latency: first 5 s without key generation
// (baseline), then for as long as the generation lasts. Settings: the operator's generation
// concurrency (GENERATION_CONCURRENCY) with the server free to use both cores; all keys at once
// for reference; and the operator's concurrency with the server and its thread pool pinned to one
// core (taskset -c 1), what a pod with a one-CPU limit comes down to. Loopback only; bounded by a
// 300 s cap per setting.
import os from 'node:os';
import autocannon from 'autocannon';
import { heading, machine, ms, percentile, verdict, type Bench } from './support/bench.js';
import { startJwksProcess, type JwksProcess } from './support/jwks-process.js';
import { GENERATION_CONCURRENCY } from '../../src/controller/generation-limit.js';
import { BENCH_HOST, BENCH_PATH, benchDocuments, rsaPublicJwk } from './support/keys.js';

const KEYS = 50;
const BITS = 4096;
const CONNECTIONS = 20;
const RATE_PER_CONNECTION = 100;
const BASELINE_S = 5;
const KEYGEN_CAP_MS = 300_000;
const TARGET_P99_MS = 10;

interface Sampled {
  latencies: number[];
  non2xx: number;
  errors: number;
}

/** Steady load until stop() is called; resolves with every response's latency. */
function steadyLoad(port: number): { stop(): void; done: Promise<Sampled> } {
  const sampled: Sampled = { latencies: [], non2xx: 0, errors: 0 };
  let instance: autocannon.Instance | undefined;
  const done = new Promise<Sampled>((resolve) => {
    instance = autocannon(
      {
        url: `http://127.0.0.1:${port}${BENCH_PATH}`,
        headers: { host: BENCH_HOST },
        connections: CONNECTIONS,
        connectionRate: RATE_PER_CONNECTION,
        duration: KEYGEN_CAP_MS / 1000 + 10,
      },
      () => resolve(sampled),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode === 200) sampled.latencies.push(responseTime);
      else sampled.non2xx++;
    });
    instance.on('reqError', () => sampled.errors++);
  });
  return { stop: () => instance?.stop(), done };
}

async function phase(port: number, until: Promise<unknown>): Promise<Sampled> {
  const load = steadyLoad(port);
  try {
    await until;
  } finally {
    load.stop();
  }
  return load.done;
}

function maximum(values: number[]): number {
  let max = NaN;
  for (const v of values) if (!(v <= max)) max = v;
  return max;
}

function summary(label: string, s: Sampled): string {
  return `  ${label.padEnd(26)} ${String(s.latencies.length).padStart(7)} requests   p50 ${ms(percentile(s.latencies, 50)).padStart(9)}   p99 ${ms(percentile(s.latencies, 99)).padStart(9)}   max ${ms(maximum(s.latencies)).padStart(9)}   non-200 ${s.non2xx}  errors ${s.errors}`;
}

async function setting(label: string, cpu: number | undefined, concurrency: number, docs: ReturnType<typeof benchDocuments>): Promise<void> {
  console.log(`\n${label}; ${concurrency === KEYS ? 'all keys at once' : `${concurrency} key(s) at a time`}`);
  let server: JwksProcess | undefined;
  try {
    server = await startJwksProcess({ cpu });
    const port = server.port;
    await server.request({ type: 'set', docs }, 'set-done');

    const baseline = await phase(port, new Promise((r) => setTimeout(r, BASELINE_S * 1000)));
    const generation = server.request({ type: 'keygen', count: KEYS, bits: BITS, concurrency }, 'keygen-done', KEYGEN_CAP_MS);
    const underKeygen = await phase(port, generation);
    const gen = await generation;

    console.log(summary('baseline (no keygen)', baseline));
    console.log(summary(`during ${KEYS} × RSA-${BITS} keygen`, underKeygen));
    console.log(
      `  keygen: ${gen.keys} keys in ${(gen.ms / 1000).toFixed(1)} s; server event-loop delay during it: p99 ${ms(gen.loopDelayP99Ms)}, max ${ms(gen.loopDelayMaxMs)}`,
    );
    const p99 = percentile(underKeygen.latencies, 99);
    console.log(`  p99 under keygen: ${ms(p99)}  ${verdict(p99 < TARGET_P99_MS, `< ${TARGET_P99_MS} ms`)}`);
  } finally {
    await server?.stop();
  }
}

async function run(): Promise<void> {
  heading(`JWKS latency while generating ${KEYS} RSA-${BITS} keys in the server process`);
  console.log(`machine: ${machine()}`);
  console.log(`load: autocannon in the benchmark process, ${CONNECTIONS} connections × ${RATE_PER_CONNECTION} req/s, GET ${BENCH_PATH} Host ${BENCH_HOST}`);
  const keys = await Promise.all([rsaPublicJwk(2048), rsaPublicJwk(2048), rsaPublicJwk(2048)]);
  const docs = benchDocuments(keys);
  const unpinned = `server process unpinned (${os.cpus().length} cores, thread pool of ${process.env.UV_THREADPOOL_SIZE ?? 4})`;
  // As the operator generates (GENERATION_CONCURRENCY), then the worst case for reference.
  await setting(`${unpinned}, as the operator does`, undefined, GENERATION_CONCURRENCY, docs);
  await setting(unpinned, undefined, KEYS, docs);
  if (os.cpus().length >= 2) await setting('server process and its thread pool pinned to core 1 (taskset -c 1), as the operator does', 1, GENERATION_CONCURRENCY, docs);
}

const bench: Bench = {
  name: 'jwks-under-keygen',
  description: `JWKS p99 while ${KEYS} RSA-${BITS} keys are generated in the server process (target < ${TARGET_P99_MS} ms)`,
  run,
};
export default bench;
