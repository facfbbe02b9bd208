// What the CLI shows of an AuthServer, computed from its status alone (pure functions of the
// object and the time). An operator without rotation writes no key state: the role stands in for it.
import { findCondition } from '../api/conditions.js';
import { KEY_STATES, type AuthServer, type KeyStatus } from '../api/types.js';

export interface KeyRow {
  kid: string;
  state: string;
  algorithm: string;
  keySize?: number;
  secretName: string;
  generated?: boolean;
  publishedSince?: string;
  activatesAt?: string;
  retiresAt?: string;
}

/** The state of a key; an operator without rotation reports only the role. */
export function stateOf(k: KeyStatus): string {
  return k.state ?? (k.role === 'SignAndVerify' ? 'Active' : 'Verify');
}

/** Every key of the AuthServer: status.keys, then retired keys that are not also listed there. */
export function keyRows(as: AuthServer): KeyRow[] {
  const rows: KeyRow[] = (as.status?.keys ?? []).map((k) => ({
    kid: k.kid, state: stateOf(k), algorithm: k.algorithm, keySize: k.keySize, secretName: k.secretName, generated: k.generated,
    publishedSince: k.publishedSince, activatesAt: k.activatesAt, retiresAt: k.retiresAt,
  }));
  for (const r of as.status?.retiredKeys ?? []) {
    const listed = rows.find((x) => x.kid === r.kid);
    if (listed) {
      listed.retiresAt ??= r.retiresAt;
      continue;
    }
    rows.push({ kid: r.kid, state: 'Retired', algorithm: r.jwk.alg, secretName: r.secretName ?? '', retiresAt: r.retiresAt });
  }
  const order = (s: string): number => {
    const i = (KEY_STATES as readonly string[]).indexOf(s);
    return i < 0 ? KEY_STATES.length : i;
  };
  return rows.sort((a, b) => order(a.state) - order(b.state));
}

/** "1 Active, 1 Next, 2 Retired". */
export function keysByState(rows: readonly KeyRow[]): string {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.state, (counts.get(r.state) ?? 0) + 1);
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ') || '<none>';
}

export interface ScheduledTransition {
  at: string;
  what: string;
}

/**
 * The next transition Signet will make: the earliest of a next key's activation, a retired key's
 * removal and status.nextRotationTime (which is the next transition by definition, so it names
 * whichever of the others falls at the same time, else the start of a rotation).
 */
export function nextTransition(as: AuthServer): ScheduledTransition | undefined {
  const rows = keyRows(as);
  const candidates: ScheduledTransition[] = [
    ...rows.filter((r) => r.state === 'Next' && r.activatesAt).map((r) => ({ at: r.activatesAt ?? '', what: `${r.kid} starts signing` })),
    ...rows.filter((r) => r.state === 'Retired' && r.retiresAt).map((r) => ({ at: r.retiresAt ?? '', what: `${r.kid} is dropped` })),
  ].filter((t) => !Number.isNaN(Date.parse(t.at)));
  const scheduled = as.status?.nextRotationTime;
  if (scheduled && !Number.isNaN(Date.parse(scheduled)) && !candidates.some((t) => Date.parse(t.at) === Date.parse(scheduled))) {
    candidates.push({ at: scheduled, what: 'a next key is published' });
  }
  return candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0];
}

export function readiness(as: AuthServer): { ready: string; reason: string; message: string } {
  const c = findCondition(as.status?.conditions, 'Ready');
  if (!c) return { ready: 'Unknown', reason: '', message: 'the operator has not reported on it yet' };
  // A status written for an older generation says nothing about the current spec.
  const stale = as.status?.observedGeneration !== undefined && as.status.observedGeneration !== as.metadata.generation;
  return { ready: stale ? 'Unknown' : c.status, reason: c.reason, message: stale ? 'the operator has not reconciled the latest change yet' : c.message };
}

export function signingKey(as: AuthServer): KeyRow | undefined {
  const rows = keyRows(as);
  return rows.find((r) => r.state === 'Active' && r.kid === as.status?.signingKeyID) ?? rows.find((r) => r.state === 'Active');
}

export function nameOf(as: AuthServer): string {
  return `${as.metadata.namespace ?? ''}/${as.metadata.name ?? ''}`;
}
