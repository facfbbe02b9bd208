// The JWKS listener's thread (docs/architecture.md#serving): a worker thread that holds the JwksStore and
// answers every JWKS and discovery request, so that no request waits behind a reconcile, a watch
// event or a garbage collection of the main thread's heap (scale benchmark, every signing Secret
// touched at 10,000 AuthServers: p99 1,258 ms on the main thread in one run, 153–256 ms here in three,
// nginx beside it 192–220 ms). The main thread hands over the document changes in batches (jwks/serving-thread.ts); this
// thread says up to which change it serves. Built as its own small bundle (dist/jwks-thread.js,
// scripts/bundle.mjs).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { close, listen } from '../http/listen.js';
import { TlsFiles } from '../http/tls.js';
import type { LogLevel, Logger } from '../observability/logger.js';
import { createJwksServer } from './server.js';
import { JwksStore } from './store.js';
import type { FromThread, ThreadInit, ToThread } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('jwks/thread.ts runs as a worker thread (jwks/serving-thread.ts starts it)');
const init = workerData as ThreadInit;
const post = (message: FromThread): void => port.postMessage(message);

const logAt = (level: LogLevel) => (message: string, meta?: Record<string, unknown>): Logger => {
  post({ type: 'log', level, message, ...(meta && { meta }) });
  return log;
};
// The main thread's logger writes every line, so that the log stays one JSON stream.
const log = { error: logAt('error'), warn: logAt('warn'), info: logAt('info'), debug: logAt('debug') } as unknown as Logger;

const store = new JwksStore();
let requests: Record<string, number> = {};
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

let tls: TlsFiles | undefined;
if (init.tls) {
  try {
    tls = await TlsFiles.load(init.tls, { log });
  } catch (err) {
    post({ type: 'failed', stage: 'tls', message: (err as Error).message });
  }
}

if (!init.tls || tls) {
  tls?.reportExpiry((notAfterMs) => post({ type: 'tlsExpiry', notAfterMs }));
  const server = createJwksServer(store, {
    onRequest: (code) => {
      requests[code] = (requests[code] ?? 0) + 1;
    },
    ...(tls && { tls }),
  });

  // One 'served' per burst of changes: the thread answers requests between bursts, and the main
  // thread needs only the last number.
  let served = 0;
  let reporting = false;
  const reportServed = (): void => {
    reporting = false;
    post({ type: 'served', seq: served });
  };

  port.on('message', (message: ToThread) => {
    switch (message.type) {
      case 'changes':
        for (const change of message.changes) {
          if (change.type === 'set') store.set(change.doc);
          else store.delete(change.namespace, change.name);
          served = change.seq;
        }
        break;
      case 'stats': {
        // Nanoseconds; the histogram's floor is its resolution, as prom-client's nodejs_eventloop_lag is.
        post({ type: 'stats', id: message.id, requests, loopDelayP99Seconds: loopDelay.percentile(99) / 1e9, loopDelayMaxSeconds: loopDelay.max / 1e9 });
        requests = {};
        loopDelay.reset();
        return;
      }
      case 'jwks':
        post({ type: 'jwks', id: message.id, keys: store.servedJwks(message.namespace, message.name, message.kids) });
        return;
      case 'close':
        void close(server, message.timeoutMs).then(() => {
          tls?.close();
          loopDelay.disable();
          post({ type: 'closed' });
          port.close();
        });
        return;
    }
    if (!reporting) {
      reporting = true;
      setImmediate(reportServed);
    }
  });

  try {
    post({ type: 'listening', address: await listen(server, init.bind) });
  } catch (err) {
    post({ type: 'failed', stage: 'listen', message: (err as Error).message });
  }
}
