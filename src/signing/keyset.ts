// The private JWK set of GET .../keyset (docs/architecture.md#the-signing-service): the active key first, then the next key, for
// signers that must hold the key themselves (Kong's external keyset, KrakenD's jwk_url). Built per
// request and never cached or logged: only callers allowed `get` on authservers/keyset see it.
import type { SigningEntry, SigningKey } from './key-store.js';

const ASYMMETRIC_MEMBERS = ['kty', 'crv', 'n', 'e', 'x', 'y', 'd', 'p', 'q', 'dp', 'dq', 'qi'] as const;

function privateJwk(key: SigningKey): Record<string, unknown> {
  const exported = key.key.export({ format: 'jwk' }) as Record<string, unknown>;
  const jwk: Record<string, unknown> = {};
  if (exported.kty === 'oct') {
    jwk.kty = 'oct';
    jwk.k = exported.k;
  } else {
    for (const m of ASYMMETRIC_MEMBERS) if (exported[m] !== undefined) jwk[m] = exported[m];
  }
  return { ...jwk, kid: key.kid, use: 'sig', alg: key.alg };
}

export function privateKeySet(entry: SigningEntry): { keys: Array<Record<string, unknown>> } {
  return { keys: [entry.active, entry.next].filter((k): k is SigningKey => k !== undefined).map(privateJwk) };
}
