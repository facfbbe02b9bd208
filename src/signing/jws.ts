// The JWS the signing service returns, made with jose: the compact serialization for /sign and
// sign-fields, the flattened JSON serialization for sign-fields with `full: true`. The protected
// header is {alg, kid, typ} and nothing else, so a verifier picks the key by kid from the JWKS.
import { CompactSign, FlattenedSign, type FlattenedJWS } from 'jose';
import type { SigningKey } from './key-store.js';

/** `JWT`, or `at+jwt` for RFC 9068 access tokens. */
export type TokenType = 'JWT' | 'at+jwt';

const encoder = new TextEncoder();

function header(key: SigningKey, typ: TokenType) {
  return { alg: key.alg, kid: key.kid, typ };
}

export function signCompact(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader(header(key, typ)).sign(key.key);
}

export function signFlattened(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<FlattenedJWS> {
  return new FlattenedSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader(header(key, typ)).sign(key.key);
}
