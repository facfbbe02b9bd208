// A de-duplicating work queue: a key waits at most once, is never processed by two workers at
// once, and retries failures with per-key exponential backoff (the client-go workqueue contract).
import { systemClock, type Clock } from '../api/time.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import type { ReconcileOutcome } from './outcome.js';

export interface QueueOptions {
  concurrency: number;
  backoff?: BackoffPolicy;
  /** Called with the number of waiting keys whenever it changes. */
  onDepth?: (depth: number) => void;
  onRetry?: (key: string) => void;
  /** When a delayed add is due (api/time.ts). */
  clock?: Clock;
}

/** What a handler asks for: nothing (done), or to be run again after a delay (a reconcile's outcome). */
export type HandlerResult = void | Pick<ReconcileOutcome, 'requeueAfterMs'>;

/** How long handlers may run in one event-loop turn before the next one waits for I/O to run (ms). */
const TURN_SLICE_MS = 5;

export class WorkQueue {
  private readonly waiting: string[] = [];
  private readonly queued = new Set<string>();
  private readonly active = new Set<string>();
  /** Keys added while active: they run again when the current run ends. */
  private readonly dirty = new Set<string>();
  private readonly failures = new Map<string, number>();
  private readonly timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  private running = 0;
  private handler: ((key: string) => Promise<HandlerResult>) | undefined;
  private closed = false;
  private idleWaiters: Array<() => void> = [];
  /** How many keys at the front of `waiting` were added by their timer (they run first, in order). */
  private dueCount = 0;

  /** When handlers started running in the current event-loop turn (undefined: none yet). */
  private turnStartedAt: number | undefined;
  /** A pump is scheduled for the next turn of the event loop. */
  private pumpScheduled = false;

  constructor(private readonly opts: QueueOptions) {}

  get depth(): number {
    return this.waiting.length;
  }

  add(key: string): void {
    this.enqueue(key, false);
  }

  /**
   * A key whose time has come (a delayed add) goes ahead of the keys that events brought: a
   * transition due now must not wait behind the reconciles its neighbours' writes caused.
   */
  private enqueue(key: string, due: boolean): void {
    if (this.closed) return;
    if (this.active.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) {
      const at = this.waiting.indexOf(key);
      if (!due || at < this.dueCount) return;
      this.waiting.splice(at, 1);
    }
    this.queued.add(key);
    if (due) this.waiting.splice(this.dueCount++, 0, key);
    else this.waiting.push(key);
    this.opts.onDepth?.(this.waiting.length);
    this.pump();
  }

  /** Adds the key after `ms`; of two pending delayed adds for a key, the sooner one stands. */
  addAfter(key: string, ms: number): void {
    if (this.closed) return;
    const due = (this.opts.clock ?? systemClock)() + ms;
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    if (pending) clearTimeout(pending.timer);
    const timer = setTimeout(() => {
      this.timers.delete(key);
      this.enqueue(key, true);
    }, ms);
    this.timers.set(key, { timer, due });
  }

  start(handler: (key: string) => Promise<HandlerResult>): void {
    this.handler = handler;
    this.pump();
  }

  /** Stops taking work and waits for the running handlers to finish. */
  async shutdown(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    this.waiting.length = 0;
    this.dueCount = 0;
    this.queued.clear();
    this.opts.onDepth?.(0);
    if (this.running > 0) await new Promise<void>((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.handler && !this.closed && this.running < this.opts.concurrency && this.waiting.length > 0) {
      if (this.turnTaken()) {
        this.pumpNextTurn();
        return;
      }
      const key = this.waiting.shift() as string;
      if (this.dueCount > 0) this.dueCount--;
      this.queued.delete(key);
      this.opts.onDepth?.(this.waiting.length);
      this.active.add(key);
      this.running++;
      void this.process(key, this.handler);
    }
  }

  /**
   * A reconcile that needs no API call runs in microtasks only, and thousands in a row (a resync
   * after a takeover) would hold the event loop and the JWKS requests waiting on it: once handlers
   * have run for TURN_SLICE_MS in one turn, the next key waits for the loop to go round. It waits
   * in the queue, not taken: an event for it then adds nothing (taken, it would run twice, for a
   * change its reconcile was about to read).
   */
  private turnTaken(): boolean {
    const now = (this.opts.clock ?? systemClock)();
    if (this.turnStartedAt === undefined) {
      this.turnStartedAt = now;
      setImmediate(() => {
        this.turnStartedAt = undefined;
      });
      return false;
    }
    return now - this.turnStartedAt >= TURN_SLICE_MS;
  }

  private pumpNextTurn(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private async process(key: string, handler: (key: string) => Promise<HandlerResult>): Promise<void> {
    let retryIn: number | undefined;
    try {
      const result = await handler(key);
      this.failures.delete(key);
      if (result) retryIn = result.requeueAfterMs;
    } catch {
      const n = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, n);
      retryIn = backoffDelay(n, this.opts.backoff ?? { baseMs: 200, maxMs: 300_000 });
      this.opts.onRetry?.(key);
    } finally {
      this.active.delete(key);
      this.running--;
    }
    if (this.dirty.delete(key)) this.add(key);
    else if (retryIn !== undefined) this.addAfter(key, retryIn);
    if (this.running === 0 && (this.closed || this.waiting.length === 0)) {
      for (const w of this.idleWaiters.splice(0)) w();
    }
    this.pump();
  }
}
