// The benchmark's server process: Signet's JWKS listener as the operator runs it, in its own thread
// (src/jwks/serving-thread.ts: the real JwksStore and createJwksServer there, the documents handed
// over by message), or the bare reference (below) on this thread; on 127.0.0.1:0, driven over IPC by
// jwks-process.ts. Run as `node --import tsx test/bench/support/jwks-server-child.ts`.
import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { JwksStore } from '../../../src/jwks/store.js';
import { JwksServingThread } from '../../../src/jwks/serving-thread.js';
import type { IssuerDocument } from '../../../src/jwks/types.js';
import { close, listen } from '../../../src/http/listen.js';
import { silentLogger } from '../../support/logger.js';
import { BENCH_HOST, BENCH_PATH, toPublicJwk } from './keys.js';
import { limitConcurrency } from '../../../src/controller/generation-limit.js';
import { BARE_ENV, TLS_CERT_ENV, TLS_KEY_ENV, type FromChild, type ToChild } from './jwks-process.js';

const generateKeyPair = promisify(generateKeyPairCb);

function send(msg: FromChild): void {
  process.send?.(msg);
}

const certFile = process.env[TLS_CERT_ENV];
const keyFile = process.env[TLS_KEY_ENV];
/**
 * The bare reference (SIGNET_BENCH_BARE=1): node:http or node:https with their defaults, answering
 * every request with the benchmark document's bytes and headers: only the work no JWKS server in
 * Node can avoid (HTTP parsing, TLS, one write), to compare Signet's listener with.
 */
const bare = process.env[BARE_ENV] === '1';
const served = new Set<string>();

interface Server {
  port: number;
  set(docs: IssuerDocument[]): Promise<void>;
  stop(): Promise<void>;
}

async function signetServer(): Promise<Server> {
  const thread = await JwksServingThread.start({ bind: { host: '127.0.0.1', port: 0 }, ...(certFile && keyFile && { tls: { certFile, keyFile } }) }, {
    log: silentLogger,
    onExit: (err) => {
      send({ type: 'error', message: `the JWKS thread stopped: ${err.message}` });
      process.exit(1);
    },
  });
  return {
    port: thread.address.port,
    set: async (docs) => {
      for (const doc of docs) thread.set(doc);
      // Answered after every change before it: the documents are served.
      await thread.servedJwks('', '', []);
    },
    stop: () => thread.stop(2_000),
  };
}

async function bareServer(): Promise<Server> {
  const store = new JwksStore();
  let doc: ReturnType<JwksStore['lookup']>;
  const answer = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    doc ??= store.lookup(BENCH_HOST, BENCH_PATH);
    if (!doc) res.writeHead(404).end();
    else res.writeHead(200, doc.headers).end(doc.body);
  };
  const server = certFile && keyFile ? https.createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, answer) : http.createServer(answer);
  const { port } = await listen(server, '127.0.0.1:0');
  return {
    port,
    set: (docs) => {
      for (const d of docs) store.set(d);
      return Promise.resolve();
    },
    stop: () => close(server, 2_000),
  };
}

/**
 * Generate `count` RSA keys, `concurrency` at a time, with the async generateKeyPair (libuv's thread pool), each
 * published as its own AuthServer's JWKS when ready, as the controller would. Measures the event
 * loop's delay meanwhile.
 */
async function keygen(count: number, bits: number, concurrency: number): Promise<void> {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const started = performance.now();
  const generate = limitConcurrency(() => generateKeyPair('rsa', { modulusLength: bits }), concurrency);
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const { publicKey } = await generate();
      await server.set([{
        namespace: 'keygen',
        name: `gen-${i}`,
        issuerURI: `https://gen-${i}.example.com`,
        servedOnIssuer: true,
        issuerRoute: { hosts: [`gen-${i}.example.com:443`, `gen-${i}.example.com`], path: '' },
        keys: [toPublicJwk(publicKey)],
        cacheMaxAgeSeconds: 300,
        discoveryEnabled: true,
      }]);
    }),
  );
  delay.disable();
  send({
    type: 'keygen-done',
    ms: performance.now() - started,
    keys: count,
    loopDelayP99Ms: delay.percentile(99) / 1e6,
    loopDelayMaxMs: delay.max / 1e6,
  });
}

const server = await (bare ? bareServer() : signetServer()).catch((err: unknown) => {
  send({ type: 'error', message: String(err) });
  process.exit(1);
});

process.on('message', (raw) => {
  const msg = raw as ToChild;
  switch (msg.type) {
    case 'set':
      for (const doc of msg.docs) served.add(`${doc.namespace}/${doc.name}`);
      server.set(msg.docs).then(() => send({ type: 'set-done', size: served.size }), (err: unknown) => send({ type: 'error', message: String(err) }));
      break;
    case 'keygen':
      keygen(msg.count, msg.bits, msg.concurrency).catch((err: unknown) => send({ type: 'error', message: String(err) }));
      break;
    case 'stop':
      void server.stop().then(() => process.exit(0));
      break;
  }
});
// The parent went away: do not linger.
process.on('disconnect', () => process.exit(0));
send({ type: 'listening', port: server.port });
