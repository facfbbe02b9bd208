// Exponential backoff with full jitter; one formula for the work queue and the informers.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** Delay before retry number `failures` (1 = first retry). */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
  // Half fixed, half jittered: retries spread out without ever collapsing to zero.
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
