// The retry delay shared by the work queue and the informers: exponential growth, capped at the
// maximum, jittered between half the ceiling and the ceiling (never collapsing to zero).
import { backoffDelay, type BackoffPolicy } from '../../../src/controller/backoff.js';

const policy: BackoffPolicy = { baseMs: 200, maxMs: 300_000 };

function ceiling(failures: number, p: BackoffPolicy): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, failures - 1));
}

describe('backoffDelay', () => {
  it('stays between half the ceiling and the ceiling, and never above the maximum, for any jitter', () => {
    const randoms = [0, 1e-9, 0.25, 0.5, 0.75, 0.999999999];
    for (let failures = 1; failures <= 40; failures++) {
      for (const r of randoms) {
        const d = backoffDelay(failures, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(ceiling(failures, policy) / 2);
        expect(d).toBeLessThanOrEqual(ceiling(failures, policy));
        expect(d).toBeLessThanOrEqual(policy.maxMs);
      }
    }
  });

  it('uses Math.random by default and still respects the bounds', () => {
    for (let i = 0; i < 500; i++) {
      const failures = 1 + (i % 12);
      const d = backoffDelay(failures, policy);
      expect(d).toBeGreaterThanOrEqual(ceiling(failures, policy) / 2);
      expect(d).toBeLessThanOrEqual(ceiling(failures, policy));
    }
  });

  it('doubles per failure until it reaches the maximum, then stays there', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    const lowest = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, p, () => 0));
    const highest = [1, 2, 3, 4, 5, 6, 7].map((n) => backoffDelay(n, p, () => 0.999999999));
    expect(lowest).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(highest).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('never falls to zero: the first retry waits at least half the base delay', () => {
    expect(backoffDelay(1, { baseMs: 200, maxMs: 1000 }, () => 0)).toBe(100);
    // 0 failures (a caller counting from zero) is treated as the first retry, not as a shorter one.
    expect(backoffDelay(0, { baseMs: 200, maxMs: 1000 }, () => 0)).toBe(100);
  });

  it('stays finite and at most the maximum after very many failures', () => {
    for (const failures of [60, 1100, 1_000_000]) {
      const d = backoffDelay(failures, policy, () => 0.5);
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(policy.maxMs / 2);
      expect(d).toBeLessThanOrEqual(policy.maxMs);
    }
  });
});
