// The main thread's side of the JWKS listener's thread (jwks/thread.ts, docs/architecture.md#serving): it
// starts the thread, hands it every document the controller publishes, keeps each issuer's JWKS
// body for the one question the controller asks of what is served (servedJwk), and says when the
// thread serves everything handed over so far (readiness is serving).
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { PublicJwk } from '../keys/types.js';
import type { Logger } from '../observability/logger.js';
import { jwksBody } from './documents.js';
import type { FromThread, StartFailure, ThreadInit, ThreadStats, ToThread } from './thread-protocol.js';
import type { IssuerDocument, JwksPublisher } from './types.js';

/**
 * Run from dist/main.js, the thread is the bundle beside it. Run from src/ (tsx, jest), it is the
 * module itself, after registering tsx: a worker thread does not inherit its process's --import.
 */
function startWorker(init: ThreadInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./jwks-thread.js', import.meta.url), { workerData: init });
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./thread.ts', import.meta.url).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(entry)}); })`, { eval: true, workerData: init });
}

/** A scrape does not wait longer than this for the thread's figures. */
const STATS_TIMEOUT_MS = 1_000;

export class JwksThreadStartError extends Error {
  constructor(readonly stage: StartFailure, message: string) {
    super(message);
  }
}

export interface Readiness {
  ready: boolean;
  message: string;
}

export class JwksServingThread implements JwksPublisher {
  /** Each issuer's JWKS body as last handed over, as a string (a small Buffer would hold on to an 8 KiB pool block): what servedJwk reads. */
  private readonly bodies = new Map<string, string>();
  private seq = 0;
  private served = 0;
  /** The change the thread must serve before readiness passes, set when the controller is first ready. */
  private readyAt: number | undefined;
  private nextStats = 0;
  private readonly pendingStats = new Map<number, (stats: ThreadStats | undefined) => void>();
  private closed: (() => void) | undefined;

  private constructor(private readonly worker: Worker, readonly address: AddressInfo) {}

  /**
   * Start the thread and wait until it listens. Rejects with JwksThreadStartError when the TLS
   * files cannot be used or the address cannot be bound. `onTlsExpiry` hears the certificate's
   * expiry at start and at each renewal.
   */
  static start(init: ThreadInit, opts: { log: Logger; onTlsExpiry?: (notAfterMs: number) => void; onExit: (error: Error) => void }): Promise<JwksServingThread> {
    const worker = startWorker(init);
    return new Promise((resolve, reject) => {
      let thread: JwksServingThread | undefined;
      worker.on('message', (message: FromThread) => {
        switch (message.type) {
          case 'listening':
            thread = new JwksServingThread(worker, message.address);
            resolve(thread);
            return;
          case 'failed':
            reject(new JwksThreadStartError(message.stage, message.message));
            void worker.terminate();
            return;
          case 'log':
            opts.log[message.level](message.message, message.meta);
            return;
          case 'tlsExpiry':
            opts.onTlsExpiry?.(message.notAfterMs);
            return;
          default:
            thread?.receive(message);
        }
      });
      worker.on('error', (err) => {
        if (thread) opts.onExit(err);
        else reject(err);
      });
      worker.on('exit', (code) => {
        if (thread && !thread.closed) opts.onExit(new Error(`the JWKS listener's thread exited with code ${code}`));
      });
    });
  }

  /** Publish (or republish) an AuthServer's documents (JwksStore.set, in the thread). */
  set(doc: IssuerDocument): void {
    this.bodies.set(`${doc.namespace}/${doc.name}`, jwksBody(doc.keys).toString('utf8'));
    this.send({ type: 'set', seq: ++this.seq, doc });
  }

  /** Stop serving an AuthServer (JwksStore.delete, in the thread). */
  delete(namespace: string, name: string): void {
    this.bodies.delete(`${namespace}/${name}`);
    this.send({ type: 'delete', seq: ++this.seq, namespace, name });
  }

  /**
   * The public JWK the AuthServer's JWKS holds under `kid`, as last handed over. Asked only when a
   * served kid vanishes, so the keys are kept as the body's text rather than as objects.
   */
  servedJwk(namespace: string, name: string, kid: string): PublicJwk | undefined {
    const body = this.bodies.get(`${namespace}/${name}`);
    if (!body) return undefined;
    return (JSON.parse(body) as { keys: PublicJwk[] }).keys.find((k) => k.kid === kid);
  }

  /**
   * The controller's readiness, held back until the thread serves every document handed over by
   * the time the controller was first ready: a replica is ready when it serves every issuer.
   */
  readiness(controller: Readiness): Readiness {
    if (!controller.ready) {
      this.readyAt = undefined;
      return controller;
    }
    this.readyAt ??= this.seq;
    if (this.served >= this.readyAt) return controller;
    return { ready: false, message: `waiting for the JWKS listener to serve ${this.readyAt - this.served} document changes` };
  }

  /** Requests answered and the thread's event-loop delay since the last call; undefined if the thread does not answer within a second. */
  stats(): Promise<ThreadStats | undefined> {
    const id = ++this.nextStats;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingStats.delete(id);
        resolve(undefined);
      }, STATS_TIMEOUT_MS);
      this.pendingStats.set(id, (stats) => {
        clearTimeout(timer);
        resolve(stats);
      });
      this.send({ type: 'stats', id });
    });
  }

  /** Graceful stop (http/listen.ts close, in the thread): resolves when every connection is gone and the thread has ended. */
  async stop(timeoutMs: number): Promise<void> {
    await new Promise<void>((resolve) => {
      this.closed = resolve;
      this.send({ type: 'close', timeoutMs });
    });
    await this.worker.terminate();
  }

  private send(message: ToThread): void {
    this.worker.postMessage(message);
  }

  private receive(message: FromThread): void {
    switch (message.type) {
      case 'served':
        this.served = message.seq;
        return;
      case 'stats': {
        const { id, requests, loopDelayP99Seconds, loopDelayMaxSeconds } = message;
        this.pendingStats.get(id)?.({ requests, loopDelayP99Seconds, loopDelayMaxSeconds });
        this.pendingStats.delete(id);
        return;
      }
      case 'closed':
        this.closed?.();
        return;
    }
  }
}
