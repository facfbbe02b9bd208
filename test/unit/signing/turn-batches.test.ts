// The event loop's signing batches: every job runs once, in order, with its own result or error;
// a long queue is split into batches no longer than the budget, with the loop's other work between.
import { TurnBatches } from '../../../src/signing/turn-batches.js';

const busy = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until) { /* the CPU-bound job a signature is */ }
};

describe('TurnBatches', () => {
  it('runs every job once, in order, each promise with its own result or error', async () => {
    const batches = new TurnBatches(2);
    const ran: number[] = [];
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => batches.run(() => {
      ran.push(i);
      if (i === 3) throw new Error('job 3 failed');
      return i * 10;
    })));
    expect(ran).toEqual([0, 1, 2, 3, 4, 5]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([0, 10, 20, 'job 3 failed', 40, 50]);
  });

  it('lets the loop answer between batches: 20 jobs of 1 ms with a 3 ms budget take several turns', async () => {
    const batches = new TurnBatches(3);
    const turnsSeen: number[] = [];
    let turns = 0;
    let counting = true;
    const tick = (): void => {
      turns++;
      if (counting) setImmediate(tick);
    };
    setImmediate(tick);
    await Promise.all(Array.from({ length: 20 }, () => batches.run(() => {
      busy(1);
      turnsSeen.push(turns);
    })));
    counting = false;
    // At most 4 jobs (3 ms, plus the one that crosses it) run without the loop taking a turn.
    const perTurn = new Map<number, number>();
    for (const t of turnsSeen) perTurn.set(t, (perTurn.get(t) ?? 0) + 1);
    expect(Math.max(...perTurn.values())).toBeLessThanOrEqual(4);
    expect(perTurn.size).toBeGreaterThanOrEqual(5);
  });

  it('a job queued while a batch runs joins a later batch, and none is lost', async () => {
    const batches = new TurnBatches(2);
    const order: string[] = [];
    await Promise.all([
      batches.run(() => {
        order.push('a');
        void batches.run(() => order.push('c'));
      }),
      batches.run(() => order.push('b')),
    ]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['a', 'b', 'c']);
  });
});
