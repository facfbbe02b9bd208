// Fair queueing of the token and access reviews by source (issue 20, point 3): a bounded number run
// at once, the rest wait in one queue per source (the caller's remote address) and are started in
// turn, one per source, so that one source flooding Signet with made-up tokens waits behind its own
// requests while every other source's next review is at most one turn away.
//
// Bounds: `concurrency` running; at most `maxQueuedPerSource` waiting for one source and
// `maxQueued` in all. Beyond either the work is refused at once (QueueFullError), which costs
// nothing, rather than held.
import { SignetError } from '../api/errors.js';

export class QueueFullError extends SignetError {
  override readonly code = 'ERR_SIGNET_QUEUE_FULL';
}

export interface FairQueueOptions {
  concurrency: number;
  maxQueued: number;
  maxQueuedPerSource: number;
}

export class FairQueue {
  private running = 0;
  private waiting = 0;
  /** Sources with work waiting, in turn order (a Map iterates in insertion order). */
  private readonly queues = new Map<string, Array<() => void>>();

  constructor(private readonly opts: FairQueueOptions) {}

  /** Runs `task` now, or when its source's turn comes; rejects with QueueFullError beyond the bounds. */
  run<T>(source: string, task: () => Promise<T>): Promise<T> {
    if (this.running < this.opts.concurrency && this.waiting === 0) return this.start(task);
    const queue = this.queues.get(source);
    if (this.waiting >= this.opts.maxQueued) return Promise.reject(new QueueFullError(`${this.waiting} reviews are waiting already`));
    if ((queue?.length ?? 0) >= this.opts.maxQueuedPerSource) {
      return Promise.reject(new QueueFullError(`${this.opts.maxQueuedPerSource} reviews from ${source} are waiting already`));
    }
    return new Promise<T>((resolve, reject) => {
      const job = (): void => void this.start(task).then(resolve, reject);
      if (queue) queue.push(job);
      else this.queues.set(source, [job]);
      this.waiting++;
    });
  }

  /** Reviews waiting, from every source. */
  get pending(): number {
    return this.waiting;
  }

  private async start<T>(task: () => Promise<T>): Promise<T> {
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.next();
    }
  }

  /** The first source in turn order starts its oldest job and goes to the back of the order. */
  private next(): void {
    const first = this.queues.entries().next();
    if (first.done) return;
    const [source, queue] = first.value;
    const job = queue.shift();
    this.queues.delete(source);
    if (queue.length > 0) this.queues.set(source, queue);
    if (job) {
      this.waiting--;
      job();
    }
  }
}
