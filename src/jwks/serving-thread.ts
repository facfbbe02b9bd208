// The main thread's side of the JWKS listener's thread (jwks/thread.ts, docs/architecture.md#serving): it
// starts the thread, hands it every document the controller publishes, asks it the one question
// a reconcile asks of what is served (servedJwks), and says when the thread serves everything
// handed over so far (readiness is serving). The documents live in the thread only.
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import { SignetError } from '../api/errors.js';
import type { PublicJwk } from '../keys/types.js';
import type { Logger } from '../observability/logger.js';
import type { DocumentChange, FromThread, StartFailure, ThreadInit, ThreadStats, ToThread } from './thread-protocol.js';
import type { IssuerDocument, JwksPublisher, Readiness } from './types.js';

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

/** A scrape, or a reconcile, does not wait longer than this for the thread's answer. */
const ANSWER_TIMEOUT_MS = 1_000;
/** A batch of document changes (change()): at most about a millisecond of the listener thread's time. */
const MAX_CHANGES_PER_MESSAGE = 64;

export class JwksThreadStartError extends SignetError {
  override readonly code = 'ERR_SIGNET_JWKS_THREAD_START';
  constructor(readonly stage: StartFailure, message: string) {
    super(message);
  }
}

export class JwksServingThread implements JwksPublisher {
  private seq = 0;
  /** Changes not handed over yet (change()). */
  private changes: DocumentChange[] = [];
  private served = 0;
  /** The change the thread must serve before readiness passes, set when the controller is first ready. */
  private readyAt: number | undefined;
  private nextQuestion = 0;
  /** Questions sent (stats, servedJwks) by id: what to do with the answer. */
  private readonly pending = new Map<number, (answer: FromThread) => void>();
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
    this.change({ type: 'set', seq: ++this.seq, doc });
  }

  /** Stop serving an AuthServer (JwksStore.delete, in the thread). */
  delete(namespace: string, name: string): void {
    this.change({ type: 'delete', seq: ++this.seq, namespace, name });
  }

  /**
   * Changes go over in batches, sent once the reconciles that made them yield: a message has a
   * fixed cost on both threads (a replica joining 10,000 AuthServers makes 10,000 changes in
   * seconds), and a batch is small enough that applying it never holds the listener's requests.
   */
  private change(change: DocumentChange): void {
    if (this.changes.push(change) >= MAX_CHANGES_PER_MESSAGE) this.flush();
    else if (this.changes.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.changes.length === 0) return;
    const changes = this.changes;
    this.changes = [];
    this.worker.postMessage({ type: 'changes', changes } satisfies ToThread);
  }

  /**
   * The public JWKs the AuthServer's JWKS serves under these kids, once the thread has applied every
   * change handed over before (messages arrive in order). Rejects if the thread does not answer
   * within a second: the reconcile that asked fails and is retried, rather than forget a key.
   */
  servedJwks(namespace: string, name: string, kids: readonly string[]): Promise<PublicJwk[]> {
    return this.ask((id) => ({ type: 'jwks', id, namespace, name, kids: [...kids] })).then((answer) => {
      if (answer?.type !== 'jwks') throw new Error('the JWKS listener thread did not say which keys it serves within a second');
      return answer.keys;
    });
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
  async stats(): Promise<ThreadStats | undefined> {
    const answer = await this.ask((id) => ({ type: 'stats', id }));
    return answer?.type === 'stats' ? answer : undefined;
  }

  /** Send a question and resolve with its answer, or undefined after ANSWER_TIMEOUT_MS. */
  private ask(question: (id: number) => ToThread): Promise<FromThread | undefined> {
    const id = ++this.nextQuestion;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, ANSWER_TIMEOUT_MS);
      this.pending.set(id, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.send(question(id));
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

  /** After every change made before it: a question is answered from the documents handed over. */
  private send(message: ToThread): void {
    this.flush();
    this.worker.postMessage(message);
  }

  private receive(message: FromThread): void {
    switch (message.type) {
      case 'served':
        this.served = message.seq;
        return;
      case 'stats':
      case 'jwks':
        this.pending.get(message.id)?.(message);
        this.pending.delete(message.id);
        return;
      case 'closed':
        this.closed?.();
        return;
    }
  }
}
