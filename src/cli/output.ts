// How the CLI prints: kubectl-like tables (upper-case headers, columns padded with three spaces),
// kubectl-like ages, and -o json|yaml for scripts.
import { stringify } from 'yaml';

export const OUTPUT_FORMATS = ['table', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** Columns padded to their widest cell, as `kubectl get` prints them. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  return [line(headers), ...rows.map(line)].join('\n') + '\n';
}

/** A machine-readable rendering of `data`. */
export function serialize(data: unknown, format: 'json' | 'yaml'): string {
  return format === 'json' ? `${JSON.stringify(data, null, 2)}\n` : stringify(data, { lineWidth: 0 });
}

/** kubectl's short human duration (k8s.io/apimachinery duration.HumanDuration): 45s, 3m20s, 5h, 3d4h, 400d. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (d < 8) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

/** "5m ago" for a past time, "in 5m" for a future one, "" when absent or unparsable. */
export function relative(iso: string | undefined, now: number): string {
  const t = iso === undefined ? NaN : Date.parse(iso);
  if (Number.isNaN(t)) return '';
  return t <= now ? `${humanDuration(now - t)} ago` : `in ${humanDuration(t - now)}`;
}

/** The age of a past time ("<none>" as kubectl prints a missing value). */
export function age(iso: string | undefined, now: number): string {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? '<none>' : humanDuration(now - t);
}
