// Time, in one place: Signet computes in epoch milliseconds, reads ISO strings from status and
// annotations, and writes them to the second. Every component takes a Clock, so a test runs years
// of rotations, or a lease that expires, without waiting.

/** Milliseconds since the epoch, as Date.now gives them. */
export type Clock = () => number;

export const systemClock: Clock = () => Date.now();

/** An ISO time from status or an annotation, in ms; undefined when absent or unreadable. */
export function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

/** A time as status and annotations hold it: to the second, fraction dropped (RFC 3339, as the API server writes). */
export const statusTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A time as status writes it, rounded up to the second: a key is never said to be served earlier than it was. */
export const ceilStatusTime = (ms: number): string => statusTime(Math.ceil(ms / 1000) * 1000);
