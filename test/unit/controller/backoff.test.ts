// The retry delay shared by the work queue and the informers: full jitter (AWS): uniform between
// zero and an exponentially growing ceiling capped at the maximum.
import { backoffDelay, type BackoffPolicy } from '../../../src/controller/backoff.js';

const policy: BackoffPolicy = { baseMs: 200, maxMs: 300_000 };

function backoffCeiling(failures: number, p: BackoffPolicy): number {
  return Math.min(p.maxMs, p.baseMs * 2 ** Math.max(0, failures - 1));
}

describe('backoffDelay', () => {
  it('stays between zero and the ceiling, and never above the maximum, for any jitter', () => {
    const randoms = [0, 1e-9, 0.25, 0.5, 0.75, 0.999999999];
    for (let failures = 1; failures <= 40; failures++) {
      for (const r of randoms) {
        const d = backoffDelay(failures, policy, () => r);
        expect(d).toBeGreaterThanOrEqual(0);
        expect(d).toBeLessThanOrEqual(backoffCeiling(failures, policy));
        expect(d).toBeLessThanOrEqual(policy.maxMs);
      }
    }
  });

  it('is the jitter times the ceiling: zero jitter retries at once, full jitter waits the whole ceiling', () => {
    const p = { baseMs: 100, maxMs: 1000 };
    const n = [1, 2, 3, 4, 5, 6, 7];
    expect(n.map((f) => backoffCeiling(f, p))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
    expect(n.map((f) => backoffDelay(f, p, () => 0))).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(n.map((f) => backoffDelay(f, p, () => 0.5))).toEqual([50, 100, 200, 400, 500, 500, 500]);
    expect(n.map((f) => backoffDelay(f, p, () => 0.999999999))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('spreads delays over the whole interval, not only its upper half (full, not equal, jitter)', () => {
    const failures = 6; // ceiling 6.4 s
    const ceiling = backoffCeiling(failures, policy);
    const delays = Array.from({ length: 2000 }, () => backoffDelay(failures, policy));
    const lowerHalf = delays.filter((d) => d < ceiling / 2).length;
    // Uniform over [0, ceiling]: about half fall in the lower half (equal jitter puts none there).
    expect(lowerHalf).toBeGreaterThan(800);
    expect(lowerHalf).toBeLessThan(1200);
    const mean = delays.reduce((a, b) => a + b, 0) / delays.length;
    expect(mean).toBeGreaterThan(ceiling * 0.4);
    expect(mean).toBeLessThan(ceiling * 0.6);
  });

  it('treats 0 failures (a caller counting from zero) as the first retry', () => {
    expect(backoffDelay(0, { baseMs: 200, maxMs: 1000 }, () => 0.5)).toBe(100);
    expect(backoffDelay(1, { baseMs: 200, maxMs: 1000 }, () => 0.5)).toBe(100);
  });

  it('stays finite and at most the maximum after very many failures', () => {
    for (const failures of [60, 1100, 1_000_000]) {
      const d = backoffDelay(failures, policy, () => 0.5);
      expect(Number.isFinite(d)).toBe(true);
      expect(d).toBe(policy.maxMs / 2);
    }
  });
});
