// FairQueue (src/signing/fair-queue.ts): bounded running, bounded waiting per source and in all,
// and sources take turns.
import { FairQueue, QueueFullError } from '../../../src/signing/fair-queue.js';

function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>((resolve) => { open = resolve; });
  return { wait, open };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

it('runs at most `concurrency` at once and starts the waiting ones in turn, one per source', async () => {
  const q = new FairQueue({ concurrency: 1, maxQueued: 100, maxQueuedPerSource: 100 });
  const order: string[] = [];
  const first = gate();
  const done = [q.run('a', async () => { order.push('a0'); await first.wait; })];
  for (let i = 1; i <= 3; i++) done.push(q.run('a', () => { order.push(`a${i}`); return Promise.resolve(); }));
  done.push(q.run('b', () => { order.push('b1'); return Promise.resolve(); }));
  done.push(q.run('c', () => { order.push('c1'); return Promise.resolve(); }));
  expect(q.pending).toBe(5);
  first.open();
  await Promise.all(done);
  expect(order).toEqual(['a0', 'a1', 'b1', 'c1', 'a2', 'a3']);
  expect(q.pending).toBe(0);
});

it('refuses at once beyond the bound per source and in all, and a failed task frees its slot', async () => {
  const q = new FairQueue({ concurrency: 1, maxQueued: 3, maxQueuedPerSource: 2 });
  const hold = gate();
  const running = q.run('a', () => hold.wait);
  const waiting = [q.run('a', () => Promise.resolve(1)), q.run('a', () => Promise.resolve(2))];
  await expect(q.run('a', () => Promise.resolve(3))).rejects.toThrow(QueueFullError);
  const other = q.run('b', () => Promise.reject(new Error('boom')));
  await expect(q.run('c', () => Promise.resolve(4))).rejects.toThrow(/3 reviews are waiting/);
  hold.open();
  await running;
  await expect(Promise.all(waiting)).resolves.toEqual([1, 2]);
  await expect(other).rejects.toThrow('boom');
  await tick();
  await expect(q.run('c', () => Promise.resolve(5))).resolves.toBe(5);
});
