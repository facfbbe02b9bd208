// Poll until a condition holds, with a deadline: tests wait for what they expect, never sleep.
export interface EventuallyOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Says what was awaited, in the failure message. */
  what?: string;
}

export async function eventually<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, opts: EventuallyOptions = {}): Promise<T> {
  const until = Date.now() + (opts.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== null && v !== false) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      const why = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 30_000} ms waiting for ${opts.what ?? 'condition'}${why}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}
