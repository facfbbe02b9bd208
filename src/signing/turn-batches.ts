// Synchronous jobs run on the event loop in batches, one batch per turn of the loop, each batch at
// most a time budget long (and at least one job). A burst of requests is read in one turn and its
// jobs run back to back in the next, which keeps each kind of work hot in the CPU's caches; between
// batches the loop answers I/O, so other listeners wait at most one batch.
export class TurnBatches {
  private readonly queue: Array<() => void> = [];

  constructor(private readonly budgetMs: number) {}

  run<T>(job: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const first = this.queue.push(() => {
        try {
          resolve(job());
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }) === 1;
      if (first) setImmediate(this.flush);
    });
  }

  private readonly flush = (): void => {
    const until = performance.now() + this.budgetMs;
    let done = 0;
    do {
      this.queue[done++]!();
    } while (done < this.queue.length && performance.now() < until);
    this.queue.splice(0, done);
    if (this.queue.length > 0) setImmediate(this.flush);
  };
}
