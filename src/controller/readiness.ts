// When a replica may report ready (docs/architecture.md#serving): everything is listed and every AuthServer listed has
// its documents published, so a replica that joins a rolling update never answers 404 for an issuer
// that exists. An AuthServer whose reconcile keeps failing (its Secret cannot be read, say) is
// settled too once it has failed FAILURES_THAT_SETTLE times in a row: its failure is its own and
// must not hold every other issuer's replica out of service.
import type { Readiness } from '../jwks/types.js';

export const FAILURES_THAT_SETTLE = 3;

export interface ReadinessInput {
  synced: boolean;
  listed: readonly string[];
  published: ReadonlySet<string>;
  /** Consecutive failed reconciles per AuthServer key. */
  failures: ReadonlyMap<string, number>;
}

export function readinessOf({ synced, listed, published, failures }: ReadinessInput): Readiness {
  if (!synced) return { ready: false, message: 'waiting for the first list of AuthServers and Secrets' };
  const waiting = listed.filter((k) => !published.has(k) && (failures.get(k) ?? 0) < FAILURES_THAT_SETTLE).length;
  if (waiting > 0) return { ready: false, message: `waiting for ${waiting} of ${listed.length} AuthServers to be published` };
  return { ready: true, message: 'ok' };
}
