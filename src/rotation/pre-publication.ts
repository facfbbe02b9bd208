// A manual change of the signing key takes effect at once (AppSSO semantics), but a key that signs
// before verifiers' cached JWKS can hold it breaks their verification for up to one max-age: that
// is worth a Warning event (SigningKeyNotPrePublished), and this is the check.
import { parseTime } from '../api/time.js';
import type { KeyStatus } from '../api/types.js';

export interface SigningChange {
  previousSigningKid: string | undefined;
  previousKeys: readonly KeyStatus[];
  kid: string;
  secretName: string;
  /** Signet generated the signing Secret. */
  managed: boolean;
  now: number;
  cacheMaxAgeSeconds: number;
}

/**
 * How long the new signing key had been served when it began to sign, when that is less than one
 * cache max-age; undefined when it is no such change. Signet's own changes of a Secret it generated
 * are not manual edits: a promotion waited publishAhead, an emergency rotation is deliberate.
 */
export function notPrePublished(change: SigningChange): { servedForMs: number } | undefined {
  const { previousSigningKid, previousKeys, kid, secretName, managed, now, cacheMaxAgeSeconds } = change;
  if (previousSigningKid === undefined || previousSigningKid === kid) return undefined;
  const before = previousKeys.find((k) => k.kid === previousSigningKid);
  if (managed && before?.secretName === secretName) return undefined;
  const since = parseTime(previousKeys.find((k) => k.kid === kid)?.publishedSince);
  const servedForMs = since === undefined ? 0 : Math.max(0, now - since);
  return servedForMs < cacheMaxAgeSeconds * 1000 ? { servedForMs } : undefined;
}
