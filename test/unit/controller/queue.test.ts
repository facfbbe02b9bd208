// The work queue's contract (client-go workqueue semantics): de-duplication, one worker per key,
// a re-run for a key that changed while it was processed, bounded concurrency, retries with growing
// delays, requeue on request, and a shutdown that waits for running handlers and drops the rest.
import { jest } from '@jest/globals';
import { WorkQueue, type HandlerResult } from '../../../src/controller/queue.js';

interface Deferred {
  promise: Promise<void>;
  resolve: () => void;
  reject: (err: Error) => void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One turn of the event loop (real timers only): lets settled handlers run their continuations. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Turns the event loop until `cond` holds; fails with `what` after a bounded number of turns. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await tick();
  }
  throw new Error(`never happened: ${what}`);
}

describe('WorkQueue with real timers', () => {
  it('processes a key that was added several times while waiting only once', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a');
    q.add('ns/a');
    expect(q.depth).toBe(2);
    const seen: string[] = [];
    q.start((key) => {
      seen.push(key);
      return Promise.resolve();
    });
    await until(() => seen.length === 2 && q.depth === 0, 'both keys processed');
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['ns/a', 'ns/b']);
    await q.shutdown();
  });

  it('never runs one key in two workers, and runs it exactly once more when it was added while running', async () => {
    const q = new WorkQueue({ concurrency: 4 });
    const gates: Deferred[] = [];
    let inFlight = 0;
    let peakInFlight = 0;
    let runs = 0;
    q.start(async () => {
      runs++;
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      const gate = deferred();
      gates.push(gate);
      await gate.promise;
      inFlight--;
    });
    q.add('ns/a');
    await until(() => gates.length === 1, 'first run started');
    // Three changes arrive while the key is being processed: free workers must not pick it up.
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/a');
    for (let i = 0; i < 5; i++) await tick();
    expect(runs).toBe(1);
    expect(q.depth).toBe(0);

    gates[0]!.resolve();
    await until(() => gates.length === 2, 'second run started');
    gates[1]!.resolve();
    for (let i = 0; i < 10; i++) await tick();
    expect(runs).toBe(2);
    expect(peakInFlight).toBe(1);
    await q.shutdown();
  });

  it('runs a key again after a failure when it was added while running, without waiting for the backoff', async () => {
    const q = new WorkQueue({ concurrency: 2, backoff: { baseMs: 60_000, maxMs: 60_000 } });
    const gate = deferred();
    let runs = 0;
    q.start(async () => {
      runs++;
      if (runs === 1) {
        await gate.promise;
        throw new Error('API server unavailable');
      }
    });
    q.add('ns/a');
    await until(() => runs === 1, 'first run started');
    q.add('ns/a');
    gate.resolve();
    await until(() => runs === 2, 'the re-run of the changed key');
    await q.shutdown();
  });

  it('never runs more than `concurrency` handlers at once, and uses all of them', async () => {
    const q = new WorkQueue({ concurrency: 3 });
    let running = 0;
    let peak = 0;
    const done: string[] = [];
    q.start(async (key) => {
      running++;
      peak = Math.max(peak, running);
      await tick();
      await tick();
      running--;
      done.push(key);
    });
    for (let i = 0; i < 20; i++) q.add(`ns/as-${i}`);
    await until(() => done.length === 20, 'all 20 keys processed');
    expect(peak).toBe(3);
    expect(new Set(done).size).toBe(20);
    await q.shutdown();
  });

  it('does nothing before start, then processes what was added in order of arrival', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const seen: string[] = [];
    q.add('ns/c');
    q.add('ns/a');
    q.add('ns/b');
    await tick();
    expect(q.depth).toBe(3);
    q.start((key) => {
      seen.push(key);
      return Promise.resolve();
    });
    await until(() => seen.length === 3, 'three keys processed');
    expect(seen).toEqual(['ns/c', 'ns/a', 'ns/b']);
    await q.shutdown();
  });

  it('shutdown waits for running handlers, drops waiting keys and ignores later adds', async () => {
    const q = new WorkQueue({ concurrency: 1 });
    const gate = deferred();
    const seen: string[] = [];
    q.start(async (key) => {
      seen.push(key);
      if (key === 'ns/a') await gate.promise;
    });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/c');
    await until(() => seen.length === 1, 'first handler started');
    expect(q.depth).toBe(2);

    let stopped = false;
    const stopping = q.shutdown().then(() => {
      stopped = true;
    });
    for (let i = 0; i < 5; i++) await tick();
    expect(stopped).toBe(false);
    expect(q.depth).toBe(0);

    gate.resolve();
    await stopping;
    expect(stopped).toBe(true);
    q.add('ns/d');
    for (let i = 0; i < 5; i++) await tick();
    expect(seen).toEqual(['ns/a']);
    expect(q.depth).toBe(0);
  });

  it('shutdown returns at once when nothing is running', async () => {
    const q = new WorkQueue({ concurrency: 2 });
    q.start(() => Promise.resolve());
    await expect(q.shutdown()).resolves.toBeUndefined();
  });

  it('shutdown also waits for a handler that fails', async () => {
    const q = new WorkQueue({ concurrency: 1, backoff: { baseMs: 1, maxMs: 1 } });
    const gate = deferred();
    let runs = 0;
    q.start(async () => {
      runs++;
      await gate.promise;
    });
    q.add('ns/a');
    await until(() => runs === 1, 'handler started');
    let stopped = false;
    const stopping = q.shutdown().then(() => {
      stopped = true;
    });
    await tick();
    expect(stopped).toBe(false);
    gate.reject(new Error('boom'));
    await stopping;
    for (let i = 0; i < 5; i++) await tick();
    expect(runs).toBe(1);
  });

  it('reports the number of waiting keys through onDepth whenever it changes', async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ concurrency: 1, onDepth: (d) => depths.push(d) });
    q.add('ns/a');
    q.add('ns/b');
    q.add('ns/a'); // already waiting: no change
    expect(depths).toEqual([1, 2]);
    const seen: string[] = [];
    q.start((key) => {
      seen.push(key);
      return Promise.resolve();
    });
    await until(() => seen.length === 2, 'both processed');
    expect(depths).toEqual([1, 2, 1, 0]);
    expect(q.depth).toBe(0);
    await q.shutdown();
  });

  // Regression: shutdown() once dropped the waiting keys silently, leaving the depth gauge at its last value.
  it('lets the event loop go round while handlers that need no I/O run back to back (a resync)', async () => {
    // Each handler takes 1 ms of CPU and resolves at once, as a reconcile that reads only caches.
    const q = new WorkQueue({ concurrency: 4 });
    const done: string[] = [];
    q.start((key) => {
      const until = Date.now() + 1;
      while (Date.now() < until) { /* a reconcile's CPU */ }
      done.push(key);
      return Promise.resolve();
    });
    const keys = Array.from({ length: 200 }, (_, i) => `ns/as-${i}`);
    let ranBeforeIo: number | undefined;
    // An I/O callback (a JWKS request) arriving as the resync starts.
    setImmediate(() => {
      ranBeforeIo = done.length;
    });
    for (const k of keys) q.add(k);
    await until(() => done.length === keys.length, 'every key processed');
    // Without yielding, all 200 (200 ms) would run before it; with a 5 ms slice, a handful.
    expect(ranBeforeIo).toBeLessThan(20);
    await q.shutdown();
  });

  it('a key left for the next turn of the event loop runs once, however often events add it before then', async () => {
    // At a cold start of many, a Secret's watch event often comes just before its AuthServer's
    // reconcile begins: that reconcile reads it, and must be the only one.
    const q = new WorkQueue({ concurrency: 4 });
    const runs = new Map<string, number>();
    q.start((key) => {
      const until = Date.now() + 1;
      while (Date.now() < until) { /* a reconcile's CPU */ }
      runs.set(key, (runs.get(key) ?? 0) + 1);
      return Promise.resolve();
    });
    const keys = Array.from({ length: 50 }, (_, i) => `ns/as-${i}`);
    for (const k of keys) q.add(k);
    // The events, after the first slice of handlers ran and before the next turn.
    await Promise.resolve();
    const notYetRun = keys.filter((k) => !runs.has(k));
    expect(notYetRun.length).toBeGreaterThan(0);
    for (const k of notYetRun) q.add(k);
    await until(() => runs.size === keys.length && q.depth === 0, 'every key processed');
    for (let i = 0; i < 5; i++) await tick();
    expect(keys.filter((k) => runs.get(k) !== 1)).toEqual([]);
    await q.shutdown();
  });

  it('reports a depth of 0 through onDepth when shutdown drops waiting keys', async () => {
    const depths: number[] = [];
    const q = new WorkQueue({ concurrency: 1, onDepth: (d) => depths.push(d) });
    q.add('ns/a');
    q.add('ns/b');
    expect(depths.at(-1)).toBe(2);
    await q.shutdown();
    expect(q.depth).toBe(0);
    expect(depths.at(-1)).toBe(0);
  });
});

describe('WorkQueue retries and requeues (fake timers)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });

  it('retries a failing handler with growing delays within the jittered bounds, then stops when it succeeds', async () => {
    const policy = { baseMs: 100, maxMs: 350 };
    const retried: string[] = [];
    const q = new WorkQueue({ concurrency: 1, backoff: policy, onRetry: (k) => retried.push(k) });
    const calls: number[] = [];
    q.start(() => {
      calls.push(Date.now());
      return calls.length <= 5 ? Promise.reject(new Error('transient')) : Promise.resolve();
    });
    q.add('ns/a');
    await jest.advanceTimersByTimeAsync(10_000);

    expect(calls).toHaveLength(6);
    expect(retried).toEqual(['ns/a', 'ns/a', 'ns/a', 'ns/a', 'ns/a']);
    const gaps = calls.slice(1).map((t, i) => t - calls[i]!);
    gaps.forEach((gap, i) => {
      const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** i);
      // Full jitter: anywhere between zero and the ceiling.
      expect(gap).toBeGreaterThanOrEqual(0);
      expect(gap).toBeLessThanOrEqual(ceiling);
    });
    await q.shutdown();
  });

  it('doubles the delay per failure up to the maximum, and starts over after a success', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const q = new WorkQueue({ concurrency: 1, backoff: { baseMs: 100, maxMs: 1000 } });
    const calls: number[] = [];
    let failuresLeft = 6;
    q.start(() => {
      calls.push(Date.now());
      if (failuresLeft === 0) return Promise.resolve();
      failuresLeft--;
      return Promise.reject(new Error('transient'));
    });
    q.add('ns/a');
    await jest.advanceTimersByTimeAsync(20_000);
    // ceilings 100, 200, 400, 800, 1000, 1000; full jitter of 0.5 = half of each.
    expect(calls.slice(1).map((t, i) => t - calls[i]!)).toEqual([50, 100, 200, 400, 500, 500]);

    // After the success the count is forgotten: the next failure waits the first delay again.
    failuresLeft = 1;
    calls.length = 0;
    q.add('ns/a');
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(49);
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    await q.shutdown();
  });

  it('keeps a separate failure count per key', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const q = new WorkQueue({ concurrency: 2, backoff: { baseMs: 100, maxMs: 10_000 } });
    const calls: Record<string, number[]> = { 'ns/a': [], 'ns/b': [] };
    q.start((key) => {
      const c = calls[key]!;
      c.push(Date.now());
      // a keeps failing; b fails once only, after a has failed three times.
      return key === 'ns/a' || c.length === 1 ? Promise.reject(new Error('x')) : Promise.resolve();
    });
    q.add('ns/a');
    await jest.advanceTimersByTimeAsync(600); // a: 0, 50, 150, 350
    expect(calls['ns/a']).toEqual([0, 50, 150, 350]);
    q.add('ns/b');
    await jest.advanceTimersByTimeAsync(100);
    expect(calls['ns/b']).toEqual([600, 650]);
    await q.shutdown();
  });

  it('runs a key again after { requeueAfterMs }, without counting it as a failure', async () => {
    const retried: string[] = [];
    const q = new WorkQueue({ concurrency: 1, onRetry: (k) => retried.push(k) });
    let runs = 0;
    q.start((): Promise<HandlerResult> => {
      runs++;
      return Promise.resolve(runs === 1 ? { requeueAfterMs: 1000 } : undefined);
    });
    q.add('ns/a');
    await jest.advanceTimersByTimeAsync(999);
    expect(runs).toBe(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(runs).toBe(2);
    await jest.advanceTimersByTimeAsync(60_000);
    expect(runs).toBe(2);
    expect(retried).toEqual([]);
    await q.shutdown();
  });

  // Regression: addAfter() once kept the first pending delayed add even when it was due much later,
  // so a failure was retried only when an unrelated long requeue fired (client-go keeps the sooner).
  it('retries a failure after the backoff even when a longer requeue is already pending', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const q = new WorkQueue({ concurrency: 1, backoff: { baseMs: 100, maxMs: 10_000 } });
    const calls: number[] = [];
    q.start((): Promise<HandlerResult> => {
      calls.push(Date.now());
      if (calls.length === 1) return Promise.resolve({ requeueAfterMs: 60_000 });
      if (calls.length === 2) return Promise.reject(new Error('transient'));
      return Promise.resolve();
    });
    q.add('ns/a');
    await jest.advanceTimersByTimeAsync(1000);
    q.add('ns/a'); // a change arrives; this run fails
    await jest.advanceTimersByTimeAsync(1000);
    expect(calls).toEqual([0, 1000, 1050]);
    await q.shutdown();
  });

  it('runs keys whose requeue time has come before keys that events added, in the order they came due', async () => {
    const order: string[] = [];
    const gate = deferred();
    const q = new WorkQueue({ concurrency: 1 });
    q.start((key): Promise<HandlerResult> => {
      order.push(key);
      if (key === 'ns/busy') return gate.promise;
      return Promise.resolve(key.startsWith('ns/due') && order.filter((k) => k === key).length === 1 ? { requeueAfterMs: key === 'ns/due1' ? 100 : 200 } : undefined);
    });
    q.add('ns/due1');
    q.add('ns/due2');
    await jest.advanceTimersByTimeAsync(0);
    q.add('ns/busy');
    await jest.advanceTimersByTimeAsync(0);
    // While the one worker is busy: events bring ev1 and ev2, then both timers fire, and ev2 and
    // due1 are added again (no effect: both are waiting already).
    q.add('ns/ev1');
    q.add('ns/ev2');
    await jest.advanceTimersByTimeAsync(200);
    q.add('ns/ev2');
    q.add('ns/due1');
    gate.resolve();
    await jest.advanceTimersByTimeAsync(0);
    expect(order).toEqual(['ns/due1', 'ns/due2', 'ns/busy', 'ns/due1', 'ns/due2', 'ns/ev1', 'ns/ev2']);
    await q.shutdown();
  });

  it('shutdown cancels pending retries and requeues', async () => {
    // Full jitter can draw a 0 ms retry, which would run before the assertions below (1 run in 200).
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const q = new WorkQueue({ concurrency: 2, backoff: { baseMs: 100, maxMs: 100 } });
    const seen: string[] = [];
    q.start((key) => {
      seen.push(key);
      return key === 'ns/fails' ? Promise.reject(new Error('x')) : Promise.resolve({ requeueAfterMs: 100 });
    });
    q.add('ns/fails');
    q.add('ns/requeues');
    await jest.advanceTimersByTimeAsync(0);
    expect(seen.sort()).toEqual(['ns/fails', 'ns/requeues']);
    expect(jest.getTimerCount()).toBe(2);
    await q.shutdown();
    // No timer is left to keep a terminating process alive, and nothing runs any more.
    expect(jest.getTimerCount()).toBe(0);
    await jest.advanceTimersByTimeAsync(10_000);
    expect(seen).toHaveLength(2);
  });
});
