// The seals on what Signet keeps in status: status.retiredKeys (issue 20) and status.attestedSecrets
// (issue 21, controller/attestation.ts). Signet serves keys from the status it wrote, and anyone who
// may write authservers/status could otherwise publish a key of their own there (on an issuer the
// kube-apiserver trusts, a login as any subject). Each entry carries an HMAC, keyed by a secret only
// Signet reads (kube/status-key.ts), over the AuthServer it belongs to and every member Signet
// relies on; an entry without a valid seal is never used, and the leader rewrites the status.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AttestedSecret, AuthServer, RetiredKey } from '../api/types.js';
import { ceilStatusTime, parseTime } from '../api/time.js';

export type UnsealedRetiredKey = Omit<RetiredKey, 'seal'>;

export type UnsealedAttestation = Omit<AttestedSecret, 'seal'>;

export interface Sealer {
  seal(owner: string, entry: UnsealedRetiredKey): string;
  verify(owner: string, entry: RetiredKey): boolean;
  sealAttestation(owner: string, entry: UnsealedAttestation): string;
  verifyAttestation(owner: string, entry: AttestedSecret): boolean;
}

/** Members in a fixed order, so the MAC does not depend on how JSON was serialised. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical((value as Record<string, unknown>)[k])]));
  }
  return value;
}

/** The AuthServer a seal binds an entry to (its namespace/name), so an entry cannot be moved to another. */
export function sealOwner(as: AuthServer): string {
  return `${as.metadata.namespace ?? ''}/${as.metadata.name ?? ''}`;
}

/** A sealer with this key; `owner` is sealOwner() of the AuthServer. */
export function hmacSealer(key: Buffer): Sealer {
  const mac = (owner: string, e: UnsealedRetiredKey): Buffer =>
    createHmac('sha256', key).update(JSON.stringify(canonical({ owner, kid: e.kid, secretName: e.secretName, retiresAt: e.retiresAt, jwk: e.jwk }))).digest();
  // A JSON array, where a retired key's input is a JSON object: neither seal passes for the other.
  const attestationMac = (owner: string, e: UnsealedAttestation): Buffer =>
    createHmac('sha256', key).update(JSON.stringify(['attested', owner, e.secretName, e.resourceVersion, e.facts])).digest();
  return {
    seal: (owner, entry) => mac(owner, entry).toString('base64url'),
    verify: (owner, entry) => matches(entry.seal, mac(owner, entry)),
    sealAttestation: (owner, entry) => attestationMac(owner, entry).toString('base64url'),
    verifyAttestation: (owner, entry) => matches(entry.seal, attestationMac(owner, entry)),
  };
}

function matches(seal: unknown, want: Buffer): boolean {
  if (typeof seal !== 'string') return false;
  const given = Buffer.from(seal, 'base64url');
  return given.length === want.length && timingSafeEqual(given, want);
}

export interface TrustedRetired {
  trusted: RetiredKey[];
  /** Entries refused: no valid seal, a kid that is not its JWK's, or a kid seen before. */
  refused: RetiredKey[];
}

/**
 * The retired keys of a status that Signet may serve: sealed for this AuthServer, the entry's kid
 * the JWK's own, each kid once, and retiresAt no later than now + retainFor (a status cannot keep a
 * key longer than the spec allows).
 */
export function trustedRetired(owner: string, entries: readonly RetiredKey[], sealer: Sealer, now: number, retainForMs: number): TrustedRetired {
  const trusted: RetiredKey[] = [];
  const refused: RetiredKey[] = [];
  const seen = new Set<string>();
  const latest = now + retainForMs;
  for (const e of entries) {
    if (!sealer.verify(owner, e) || e.jwk?.kid !== e.kid || seen.has(e.kid) || parseTime(e.retiresAt) === undefined) {
      refused.push(e);
      continue;
    }
    seen.add(e.kid);
    trusted.push((parseTime(e.retiresAt) ?? 0) > latest ? { ...e, retiresAt: ceilStatusTime(latest) } : e);
  }
  return { trusted, refused };
}
