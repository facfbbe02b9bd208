// What every benchmark module shares: its shape, the machine line, and small statistics helpers.
// Benchmarks print figures; they are not timed tests and do not fail on a missed target.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** A benchmark module's default export. run.ts runs them in sequence. */
export interface Bench {
  /** Short name, also what `npm run bench -- NAME` selects by (substring). */
  name: string;
  /** One line saying what is measured and the target. */
  description: string;
  run(): Promise<void>;
}

/** The repository root (test/bench/support → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'unknown CPU'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** The p-th percentile (0–100) of unsorted samples, nearest-rank. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? NaN;
}

export function ms(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a';
}

export function rate(value: number): string {
  return Number.isFinite(value) ? `${Math.round(value).toLocaleString('en-US')} req/s` : 'n/a';
}

/** `✓` when the figure meets the target, `✗` otherwise, with the target spelled out. */
export function verdict(ok: boolean, target: string): string {
  return `${ok ? '✓ meets' : '✗ misses'} target ${target}`;
}

export function heading(title: string): void {
  console.log(`\n=== ${title} ===`);
}
