// Whether two values would serialise to the same JSON, member order aside: how a status decided
// here compares with the one the API server holds (which has no undefined members, and its own
// member order). Without serialising both, which at 10,000 AuthServers was most of a decision.

export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    // JSON writes an undefined array element as null.
    return a.every((x, i) => jsonEqual(x ?? null, b[i] ?? null));
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x).filter((k) => x[k] !== undefined);
  if (keys.length !== Object.keys(y).filter((k) => y[k] !== undefined).length) return false;
  return keys.every((k) => y[k] !== undefined && jsonEqual(x[k], y[k]));
}
