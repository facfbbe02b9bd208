// Throughput and latency of a JWKS request on one core, against nginx serving the same bytes as a
// static file on the same core (issue 21: ≥ 0.9 of nginx over HTTP, ≥ 0.85 over HTTPS; p99 under 5 ms).
//
// Signet: its JWKS listener as the operator runs it (in a thread of its own, src/jwks/serving-thread.ts)
// in a child process pinned to core 1 (taskset -c 1), its store holding the issuer under load
// (3 RSA-2048 public keys) and 100 others. nginx: one worker, no master, pinned to core 1, access
// log off, sendfile. The load generator (wrk if installed, else
// autocannon) is pinned to core 0: 50 keep-alive connections, a 2 s warm-up, then 3 rounds of
// 10 s each, Signet, the bare reference and nginx taking turns so that other load on the machine
// hits them alike; the medians are compared. The bare reference is node:http(s) with its defaults
// writing the same bytes and headers (jwks-server-child.ts): what no JWKS server in Node can avoid. Loopback only; about 70 s in all. SIGNET_BENCH_NGINX_OPEN_FILE_CACHE=1
// gives nginx an open_file_cache, which saves it the open/fstat/close of every request.
// jwks-tls.ts runs the same comparison over HTTPS (compareWithNginx with `tls`), and adds the rate
// of new connections, each a full TLS handshake.
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import { JwksStore } from '../../src/jwks/store.js';
import { heading, machine, ms, rate, verdict, type Bench } from './support/bench.js';
import { startJwksProcess } from './support/jwks-process.js';
import { BENCH_HOST, BENCH_PATH, benchDocuments, rsaPublicJwk } from './support/keys.js';
import { chooseLoadTool, runLoad, type LoadOptions, type LoadResult } from './support/load.js';
import { NGINX_MISSING, nginxBinary, startNginx } from './support/nginx.js';
import { runResumeLoad } from './support/tls-resume.js';
import { processCpuSeconds, runCommand } from './support/tools.js';

const CONNECTIONS = 50;
const WARMUP_S = 2;
const SERVER_CPU = 1;
const LOAD_CPU = 0;
/** Issue 21: keep-alive JWKS at ≥ 0.9 of nginx per core over HTTP, ≥ 0.85 over HTTPS. */
const TARGET_RATIO = { http: 0.9, https: 0.85 };
const TARGET_P99_MS = 5;

function durationS(): number {
  const s = Number(process.env.SIGNET_BENCH_SECONDS ?? 10);
  return Number.isFinite(s) && s > 0 ? Math.min(s, 120) : 10;
}

/** The host-independent path, or nginx's default server; over TLS without checking the (self-signed) certificate. */
function fetchBody(port: number, path: string, tls: boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${path} → ${res.statusCode}`))));
    };
    const opts = { host: '127.0.0.1', port, path, agent: false };
    const req = tls ? https.get({ ...opts, rejectUnauthorized: false }, onResponse) : http.get(opts, onResponse);
    req.on('error', reject);
  });
}

function loadOptions(port: number, seconds: number, cpu: number | undefined, tls: boolean, newConnectionEachRequest = false): LoadOptions {
  const url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}${BENCH_PATH}`;
  return { url, host: BENCH_HOST, connections: CONNECTIONS, durationS: seconds, cpu, newConnectionEachRequest };
}

/** One measured round: the load generator's figures and the server's CPU time per request. */
interface Round extends LoadResult {
  /** Server CPU (user + system, all threads) per answered request, in µs. */
  cpuUsPerRequest: number;
}

function row(name: string, r: Round): string {
  return (
    `${name.padEnd(13)} ${rate(r.rps).padStart(15)}   p50 ${ms(r.p50Ms).padStart(9)}   p99 ${ms(r.p99Ms).padStart(9)}   ` +
    `server CPU ${r.cpuUsPerRequest.toFixed(1).padStart(5)} µs/req   non-2xx ${r.non2xx}  errors ${r.errors}`
  );
}

function rounds(): number {
  const n = Number(process.env.SIGNET_BENCH_ROUNDS ?? 3);
  return Number.isInteger(n) && n > 0 ? Math.min(n, 10) : 3;
}

function median(results: Round[], pick: (r: Round) => number): number {
  const values = results.map(pick).sort((a, b) => a - b);
  const mid = Math.floor(values.length / 2);
  return values.length % 2 === 1 ? (values[mid] ?? NaN) : ((values[mid - 1] ?? NaN) + (values[mid] ?? NaN)) / 2;
}

function medianResult(results: Round[]): Round {
  const first = results[0] as Round;
  return {
    cpuUsPerRequest: median(results, (r) => r.cpuUsPerRequest),
    tool: first.tool,
    rps: median(results, (r) => r.rps),
    p50Ms: median(results, (r) => r.p50Ms),
    p99Ms: median(results, (r) => r.p99Ms),
    requests: results.reduce((a, r) => a + r.requests, 0),
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
  };
}

function best(results: Round[]): Round {
  return results.reduce((a, b) => (b.rps > a.rps ? b : a));
}

export interface Comparison {
  title: string;
  /** HTTPS on both servers with these PEM files, and a second comparison on new connections. */
  tls?: { certFile: string; keyFile: string; describe: string };
}

export async function compareWithNginx(opts: Comparison): Promise<void> {
  const tls = opts.tls !== undefined;
  heading(opts.title);
  console.log(`machine: ${machine()}`);
  const pin = os.cpus().length >= 2;
  const cpus = pin ? { server: SERVER_CPU, load: LOAD_CPU } : {};
  console.log(pin ? `server pinned to core ${SERVER_CPU}, load generator to core ${LOAD_CPU}` : 'one core only: nothing pinned, server and load share it');
  const { tool, note } = chooseLoadTool();
  if (note) console.log(`note: ${note}`);
  console.log(
    `load: ${tool}, ${CONNECTIONS} connections, GET ${BENCH_PATH} Host ${BENCH_HOST}; per server a ${WARMUP_S} s warm-up, then ` +
      `${rounds()} rounds of ${durationS()} s, Signet, bare node and nginx taking turns (SIGNET_BENCH_ROUNDS, SIGNET_BENCH_SECONDS); medians reported`,
  );

  const keys = await Promise.all([rsaPublicJwk(2048), rsaPublicJwk(2048), rsaPublicJwk(2048)]);
  const docs = benchDocuments(keys);
  const reference = new JwksStore();
  for (const d of docs) reference.set(d);
  const expected = reference.lookup(BENCH_HOST, BENCH_PATH);
  if (!expected) throw new Error('the benchmark document is not routable');
  console.log(`document: 3 RSA-2048 public keys, ${expected.body.length} bytes; the Signet store holds ${docs.length} issuers`);
  if (opts.tls) console.log(`TLS: ${opts.tls.describe}`);

  const stops: (() => Promise<void>)[] = [];
  try {
    const signet = await startJwksProcess({ cpu: cpus.server, ...(opts.tls && { tls: opts.tls }) });
    stops.push(() => signet.stop());
    await signet.request({ type: 'set', docs }, 'set-done');
    const servedBySignet = await fetchBody(signet.port, '/authservers/team-a/login/oauth2/jwks', tls);
    if (!servedBySignet.equals(expected.body)) throw new Error('Signet serves other bytes than expected');
    const targets: { name: string; port: number; pid: number; results: Round[] }[] = [{ name: 'signet', port: signet.port, pid: signet.pid, results: [] }];
    // The bare reference: node:http(s) with its defaults writing the same bytes, no routing, limits or TLS policy.
    const bare = await startJwksProcess({ cpu: cpus.server, bare: true, ...(opts.tls && { tls: opts.tls }) });
    stops.push(() => bare.stop());
    await bare.request({ type: 'set', docs }, 'set-done');
    if (!(await fetchBody(bare.port, BENCH_PATH, tls)).equals(expected.body)) throw new Error('the bare reference serves other bytes than Signet');
    targets.push({ name: 'bare node', port: bare.port, pid: bare.pid, results: [] });

    if (!nginxBinary()) {
      console.log(`note: ${NGINX_MISSING}`);
    } else {
      const v = await runCommand([nginxBinary() as string, '-v'], 10_000);
      const nginx = await startNginx({
        urlPath: BENCH_PATH,
        body: expected.body,
        contentType: 'application/jwk-set+json',
        headers: { 'Cache-Control': 'public, max-age=300', 'Access-Control-Allow-Origin': '*', 'X-Content-Type-Options': 'nosniff' },
        cpu: cpus.server,
        openFileCache: process.env.SIGNET_BENCH_NGINX_OPEN_FILE_CACHE === '1',
        ...(opts.tls && { tls: opts.tls }),
      });
      stops.push(() => nginx.stop());
      console.log(`nginx: one worker, no master, access log off, sendfile on, open_file_cache ${process.env.SIGNET_BENCH_NGINX_OPEN_FILE_CACHE === '1' ? 'on' : 'off'} (${nginx.conf})`);
      const servedByNginx = await fetchBody(nginx.port, BENCH_PATH, tls);
      if (!servedByNginx.equals(expected.body)) throw new Error('nginx serves other bytes than Signet');
      targets.push({ name: /nginx\/[\d.]+/.exec(v.stderr + v.stdout)?.[0] ?? 'nginx', port: nginx.port, pid: nginx.pid, results: [] });
    }

    for (const t of targets) await runLoad(tool, loadOptions(t.port, WARMUP_S, cpus.load, tls));
    for (let round = 1; round <= rounds(); round++) {
      for (const t of targets) {
        const cpuBefore = await processCpuSeconds(t.pid);
        const load = await runLoad(tool, loadOptions(t.port, durationS(), cpus.load, tls));
        const cpu = (await processCpuSeconds(t.pid)) - cpuBefore;
        const r: Round = { ...load, cpuUsPerRequest: (cpu * 1e6) / load.requests };
        t.results.push(r);
        console.log(`  round ${round} ${row(t.name, r)}`);
      }
    }

    console.log(`\n  median of the rounds (load generator: ${tool}):`);
    const [signetT, bareT, nginxT] = targets;
    if (signetT && bareT) {
      const [s, b] = [medianResult(signetT.results), medianResult(bareT.results)];
      console.log(`  ${row('bare node', b)}`);
      console.log(`  ratio signet/bare node (req/s, medians): ${(s.rps / b.rps).toFixed(2)}; by server CPU per request: ${(b.cpuUsPerRequest / s.cpuUsPerRequest).toFixed(2)}`);
    }
    const signetResult = medianResult(signetT?.results ?? []);
    console.log(`  ${row('signet', signetResult)}`);
    const nginxResult = nginxT ? medianResult(nginxT.results) : undefined;
    if (nginxT && nginxResult) console.log(`  ${row(nginxT.name, nginxResult)}`);
    // Other work on the machine only ever lowers req/s: the best round shows the machine at its quietest.
    console.log('  best round of each:');
    const signetBest = best(signetT?.results ?? []);
    console.log(`  ${row('signet', signetBest)}`);
    const nginxBest = nginxT ? best(nginxT.results) : undefined;
    if (nginxT && nginxBest) console.log(`  ${row(nginxT.name, nginxBest)}`);
    if (nginxResult && nginxBest) {
      const ratio = signetResult.rps / nginxResult.rps;
      const target = tls ? TARGET_RATIO.https : TARGET_RATIO.http;
      console.log(`  ratio signet/nginx (req/s, medians): ${ratio.toFixed(2)}  ${verdict(ratio >= target, `≥ ${target}`)}`);
      console.log(`  ratio signet/nginx (req/s, best rounds): ${(signetBest.rps / nginxBest.rps).toFixed(2)}`);
      // CPU per request is what decides throughput on a core of its own, and it is far less
      // disturbed than req/s by other work on the machine.
      const cpuRatio = nginxResult.cpuUsPerRequest / signetResult.cpuUsPerRequest;
      console.log(`  ratio by server CPU per request (nginx µs / signet µs, medians): ${cpuRatio.toFixed(2)}`);
    } else {
      console.log('  ratio signet/nginx: skipped (nginx not installed)');
    }
    console.log(`  signet p99 (median of rounds): ${ms(signetResult.p99Ms)}  ${verdict(signetResult.p99Ms < TARGET_P99_MS, `< ${TARGET_P99_MS} ms`)}`);
    if (signetResult.non2xx + signetResult.errors > 0) console.log('  warning: Signet answered some requests with errors; the figures are suspect');

    if (tls) {
      // Every request on a new connection (`Connection: close`): a full TLS handshake each, no
      // session resumption (wrk does not resume), so req/s here is the handshake rate.
      console.log(`\n  new connections (Connection: close; one full TLS handshake per request), ${CONNECTIONS} concurrent:`);
      const handshakes = targets.map((t) => ({ name: t.name, pid: t.pid, port: t.port, results: [] as Round[] }));
      for (let round = 1; round <= rounds(); round++) {
        for (const t of handshakes) {
          const cpuBefore = await processCpuSeconds(t.pid);
          const load = await runLoad(tool, loadOptions(t.port, durationS(), cpus.load, tls, true));
          const cpu = (await processCpuSeconds(t.pid)) - cpuBefore;
          const r: Round = { ...load, cpuUsPerRequest: (cpu * 1e6) / load.requests };
          t.results.push(r);
          console.log(`  round ${round} ${row(t.name, r)}`);
        }
      }
      const [signetH, bareH, nginxH] = handshakes.map((t) => medianResult(t.results));
      if (signetH) console.log(`  signet handshakes/s (median): ${Math.round(signetH.rps).toLocaleString('en-US')}`);
      if (signetH && bareH) {
        console.log(`  bare node handshakes/s (median): ${Math.round(bareH.rps).toLocaleString('en-US')}`);
        console.log(`  ratio signet/bare node on new connections: ${(signetH.rps / bareH.rps).toFixed(2)}; by server CPU per handshake: ${(bareH.cpuUsPerRequest / signetH.cpuUsPerRequest).toFixed(2)}`);
      }
      if (signetH && nginxH) {
        console.log(`  nginx handshakes/s (median): ${Math.round(nginxH.rps).toLocaleString('en-US')}`);
        console.log(`  ratio signet/nginx on new connections: ${(signetH.rps / nginxH.rps).toFixed(2)}`);
      }
      await compareResumed(targets, cpus.load);
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

/**
 * New connections that resume the previous one's session (TLS 1.2 ticket or TLS 1.3 PSK): the
 * handshake a verifier refetching a JWKS on a new connection makes after its first.
 */
async function compareResumed(targets: ReadonlyArray<{ name: string; port: number; pid: number }>, cpu: number | undefined): Promise<void> {
  console.log(`\n  new connections resuming the previous session (Node client, tls-resume-child.ts), ${CONNECTIONS} concurrent:`);
  const perSecond = new Map<string, number[]>();
  for (let round = 1; round <= rounds(); round++) {
    for (const t of targets) {
      const cpuBefore = await processCpuSeconds(t.pid);
      const r = await runResumeLoad({ port: t.port, host: BENCH_HOST, path: BENCH_PATH, seconds: durationS(), concurrency: CONNECTIONS, cpu });
      const serverCpu = (await processCpuSeconds(t.pid)) - cpuBefore;
      const rps = r.connections / r.seconds;
      perSecond.set(t.name, [...(perSecond.get(t.name) ?? []), rps]);
      console.log(`  round ${round} ${t.name.padEnd(13)} ${rate(rps).padStart(15)}   resumed ${((100 * r.resumed) / Math.max(1, r.connections)).toFixed(1)} %   server CPU ${((serverCpu * 1e6) / Math.max(1, r.connections)).toFixed(1)} µs/conn   errors ${r.errors}`);
    }
  }
  const med = (name: string | undefined): number | undefined => {
    const v = [...(perSecond.get(name ?? '') ?? [])].sort((a, b) => a - b);
    return v.length > 0 ? v[Math.floor(v.length / 2)] : undefined;
  };
  const [signet, bare, nginx] = targets.map((t) => med(t.name));
  if (signet && bare) console.log(`  ratio signet/bare node on resumed connections (medians): ${(signet / bare).toFixed(2)}`);
  if (signet && nginx) console.log(`  ratio signet/nginx on resumed connections (medians): ${(signet / nginx).toFixed(2)}`);
}

const bench: Bench = {
  name: 'jwks-throughput',
  description: 'JWKS req/s and p99 on one core, and the ratio to nginx serving the same file (target ≥ 0.5, p99 < 5 ms)',
  run: () => compareWithNginx({ title: 'JWKS throughput: Signet vs nginx, one core each' }),
};
export default bench;
