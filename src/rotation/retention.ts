// Retired keys (docs/architecture.md#rotation): the public half of a replaced key stays in the JWKS, verify-only, until
// retiresAt, so the tokens it signed keep verifying. A key is replaced by Signet's own promotion,
// or in place by whoever owns a Secret (cert-manager renewing tls.key, External Secrets) when
// rotation.retainFor is set. status.retiredKeys is the record: ten at most, the oldest goes first.
import type { KeyStatus, RetiredJwk, RetiredKey } from '../api/types.js';
import { statusTime } from '../api/time.js';

export const MAX_RETIRED_KEYS = 10;

/** A key that has just been replaced, to keep until `retiresAt`. */
export interface Replaced {
  kid: string;
  secretName: string;
  jwk: RetiredJwk;
  retiresAt: number;
}

export interface Retention {
  /** What status.retiredKeys holds now, soonest retiresAt first. */
  retired: RetiredKey[];
  /** Dropped at their retiresAt. */
  expired: RetiredKey[];
  /** Dropped early to keep ten at most. */
  evicted: RetiredKey[];
  /** The soonest retiresAt still ahead. */
  dueAt?: number;
}

const at = (k: RetiredKey): number => Date.parse(k.retiresAt);

/**
 * The retired keys after this reconcile: expired ones out, the newly replaced ones in (a key
 * already retired keeps the later of its two retiresAt: it may have signed since), ten at most.
 */
export function retain(previous: readonly RetiredKey[], replaced: readonly Replaced[], now: number): Retention {
  const byKid = new Map<string, RetiredKey>();
  for (const k of previous) byKid.set(k.kid, k);
  for (const r of replaced) {
    const known = byKid.get(r.kid);
    if (known && at(known) >= r.retiresAt) continue;
    byKid.set(r.kid, { kid: r.kid, secretName: r.secretName, retiresAt: statusTime(r.retiresAt), jwk: r.jwk });
  }
  const all = [...byKid.values()].sort((a, b) => at(a) - at(b));
  const expired = all.filter((k) => !(at(k) > now));
  const live = all.filter((k) => at(k) > now);
  const evicted = live.splice(0, Math.max(0, live.length - MAX_RETIRED_KEYS));
  return { retired: live, expired, evicted, ...(live[0] ? { dueAt: at(live[0]) } : {}) };
}

/** A key now served by a ref, as the reconciler resolved it. */
export interface ServedRef {
  secretName: string;
  kid: string;
  generated: boolean;
}

/**
 * Keys whose Secret now holds another key: the ref still names the Secret, the Secret resolves,
 * and the kid the status recorded for it is served by no ref any more. Generated Secrets are left
 * out: only Signet changes them, and it retires what it promotes itself (an emergency rotation
 * drops the old key on purpose). `jwkOf` knows the public JWKs this process served; a key
 * replaced while no replica ran cannot be recovered and is not retained.
 */
export function replacedInPlace(previous: readonly KeyStatus[], served: readonly ServedRef[], jwkOf: (kid: string) => RetiredJwk | undefined): Array<Omit<Replaced, 'retiresAt'>> {
  const servedKids = new Set(served.map((s) => s.kid));
  const out: Array<Omit<Replaced, 'retiresAt'>> = [];
  for (const old of previous) {
    if (old.generated || old.state === 'Retired' || old.state === 'Next' || servedKids.has(old.kid)) continue;
    const now = served.find((s) => s.secretName === old.secretName && !s.generated);
    const jwk = jwkOf(old.kid);
    if (now && jwk) out.push({ kid: old.kid, secretName: old.secretName, jwk });
  }
  return out;
}

/**
 * Generated signing keys the leader has just promoted away: the status still calls the key Active,
 * but its Secret now holds the key that status called Next. The leader writes the status that
 * retires the old key before it changes the Secret (docs/architecture.md#rotation), so only a replica whose Secret
 * watch ran ahead of its AuthServer watch sees this; it keeps serving the old key, as the status
 * it has not seen yet says, instead of dropping it for the moment between the two events. An
 * emergency rotation's new key was never Next: the old key is dropped, as it should be.
 */
export function promotedUnseen(previous: readonly KeyStatus[], served: readonly ServedRef[], jwkOf: (kid: string) => RetiredJwk | undefined): Array<Omit<Replaced, 'retiresAt'>> {
  const out: Array<Omit<Replaced, 'retiresAt'>> = [];
  for (const old of previous) {
    if (!old.generated || old.state !== 'Active') continue;
    const promoted = served.some((s) => s.secretName === old.secretName && s.kid !== old.kid && previous.some((p) => p.kid === s.kid && p.state === 'Next' && p.secretName === old.secretName));
    const jwk = jwkOf(old.kid);
    if (promoted && jwk) out.push({ kid: old.kid, secretName: old.secretName, jwk });
  }
  return out;
}
