// Durations in the Kubernetes/Go syntax (`90s`, `30m`, `720h`, `1h30m`, `1.5h`), as Go's
// time.ParseDuration reads them and as the CRD's CEL rules (`duration(self)`) check them, so the
// controller and the API server agree on every value. npm's duration parsers read a different
// language (spaces, `d`, `w`, words such as "1 hour"), which the API server would refuse: this is
// the one parser, used by every spec field that holds a duration.

const UNIT_NS: Record<string, bigint> = {
  ns: 1n, us: 1_000n, 'µs': 1_000n, 'μs': 1_000n, ms: 1_000_000n, s: 1_000_000_000n, m: 60_000_000_000n, h: 3_600_000_000_000n,
};
// µ and μ as escapes: esbuild leaves a regular expression's characters as written (scripts/bundle.mjs says why that matters).
const WHOLE = /^[-+]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|\u00b5s|\u03bcs|ms|s|m|h))+$/;
const PART = /(\d*)(?:\.(\d*))?(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/g;
/** Go's time.Duration is an int64 of nanoseconds: a longer value is refused ("invalid duration"). */
const MAX_NS = (1n << 63n) - 1n;

/** Milliseconds in a Go duration string, or undefined when it is not one. `0` alone is zero, as in Go. */
export function parseDuration(text: string): number | undefined {
  if (text === '0' || text === '+0' || text === '-0') return 0;
  if (!WHOLE.test(text)) return undefined;
  let ns = 0n;
  for (const [, whole = '', fraction = '', unit = ''] of text.matchAll(PART)) {
    const scale = UNIT_NS[unit] ?? 0n;
    // As Go does: the whole part exactly, the fraction in float64, truncated to whole nanoseconds.
    const part = fraction ? Math.trunc(Number(fraction) * (Number(scale) / 10 ** fraction.length)) : 0;
    ns += BigInt(whole || '0') * scale + BigInt(part);
    if (ns > MAX_NS + (text.startsWith('-') ? 1n : 0n)) return undefined;
  }
  const ms = Number(ns) / 1e6;
  return text.startsWith('-') ? -ms : ms;
}

/** A duration in Go's own canonical form (`1h30m0s`, `10m0s`, `90s` → `1m30s`, `500ms`), for messages. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  let rest = Math.abs(ms);
  if (rest < 1000) return `${sign}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const s = Math.round(rest) / 1000;
  return `${sign}${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}
