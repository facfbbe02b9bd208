// Exponential backoff with full jitter, as AWS defines it ("Exponential Backoff And Jitter"):
// sleep = random_between(0, min(cap, base * 2 ** attempt)). Spreading retries over the whole
// interval de-synchronises clients that failed together best. One formula for the work queue and
// the informers.
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

function backoffCeiling(failures: number, policy: BackoffPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, failures - 1));
}

/**
 * Delay before retry number `failures` (1 = first retry): uniform in [0, min(maxMs, baseMs * 2^(failures-1))].
 */
export function backoffDelay(failures: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeiling(failures, policy));
}
