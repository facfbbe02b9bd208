// RFC 7638 JWK thumbprint: SHA-256 over the required public members only, in lexicographic order,
// without whitespace; base64url without padding.
import { createHash } from 'node:crypto';

export interface ThumbprintMembers {
  kty: string;
  n?: string | undefined;
  e?: string | undefined;
  crv?: string | undefined;
  x?: string | undefined;
  y?: string | undefined;
}

const REQUIRED: Record<string, readonly (keyof ThumbprintMembers)[]> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** Throws when the kty is not RSA, EC or OKP or a required member is missing: callers pass validated keys. */
export function thumbprint(jwk: ThumbprintMembers): string {
  const names = Object.hasOwn(REQUIRED, jwk.kty) ? REQUIRED[jwk.kty] : undefined;
  if (names === undefined) throw new Error('thumbprint: kty must be RSA, EC or OKP');
  const members: Record<string, string> = {};
  for (const name of names) {
    const value = jwk[name];
    if (typeof value !== 'string' || value === '') throw new Error(`thumbprint: member ${name} is missing`);
    members[name] = value; // inserted in lexicographic order, which JSON.stringify keeps
  }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}
