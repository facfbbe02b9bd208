// RSS of a JwksStore with N issuers: in the main thread, or in a worker fed by postMessage.
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import { generateKeyPairSync } from 'node:crypto';
import { JwksStore } from '/work/main/src/jwks/store.ts';
const rss = () => Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096 / 1048576;
const N = Number(process.env.N ?? 10000);
const mode = process.env.MODE ?? 'main';
const heap = () => { (globalThis as any).gc?.(); const h = v8.getHeapStatistics(); const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!; return `used ${(h.used_heap_size/1048576).toFixed(1)} total ${(h.total_heap_size/1048576).toFixed(1)} new ${(ns.space_size/1048576).toFixed(1)} ext ${(h.external_memory/1048576).toFixed(1)}`; };
function docs(i: number) {
  const jwk = (publicKey: any, kid: string) => ({ ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' });
  return { namespace: `ns-${i % 100}`, name: `as-${i}`, issuerURI: `https://login.example.com/as-${i}`, servedOnIssuer: true as const,
    issuerRoute: { hosts: ['login.example.com', 'login.example.com:443'], path: `/as-${i}` }, keys: keys.map((k, j) => jwk(k, `k${i}-${j}`)), cacheMaxAgeSeconds: 300, discoveryEnabled: true };
}
const keys = [0, 1, 2].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey);
if (isMainThread) {
  await new Promise((r) => setTimeout(r, 500));
  const before = rss();
  if (mode === 'main') {
    const store = new JwksStore();
    for (let i = 0; i < N; i++) store.set(docs(i));
    await new Promise((r) => setTimeout(r, 3000));
    console.log(mode, N, 'rss +', (rss() - before).toFixed(1), heap(), store.size);
  } else {
    const w = new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`, { eval: true });
    await new Promise((r) => w.once('message', r));
    const base = rss();
    for (let i = 0; i < N; i++) w.postMessage(docs(i));
    w.postMessage('report');
    const m = await new Promise((r) => w.on('message', (x) => { if (x !== 'ok') r(x); }));
    await new Promise((r) => setTimeout(r, 3000));
    w.postMessage('report');
    const m2 = await new Promise((r) => w.on('message', (x) => r(x)));
    console.log(mode, N, 'rss + worker', (base - before).toFixed(1), 'store', (rss() - base).toFixed(1), 'worker heap', m, 'after 3 s', m2);
  }
  process.exit(0);
} else {
  const store = new JwksStore();
  parentPort!.postMessage('ok');
  parentPort!.on('message', (d) => { if (d === 'report') parentPort!.postMessage(heap()); else store.set(d); });
}
