// The JWS the signing service returns (RFC 7515): the compact serialization for /sign and
// sign-fields, the flattened JSON serialization for sign-fields with `full: true`. The protected
// header is {alg, kid, typ} and nothing else, so a verifier picks the key by kid from the JWKS.
//
// Built here rather than with jose's CompactSign: jose 6 signs through WebCrypto, converting the
// KeyObject and hopping to the thread pool on every call, which measured 2.5× (RS256) to 18×
// (HS256) slower per token and kept the service far from its throughput target
// (test/bench/signing.ts). What is built here is only base64url(header) "." base64url(payload) and
// the signature over it (signature.ts); test/unit/signing/jws.test.ts verifies every algorithm's
// output with jose.
import type { SigningKey } from './key-store.js';
import type { MakeSignature } from './signature.js';

/** `JWT`, or `at+jwt` for RFC 9068 access tokens. */
export type TokenType = 'JWT' | 'at+jwt';

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

export interface JwsSigner {
  compact(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<string>;
  flattened(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<FlattenedJws>;
}

const encode = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export function jwsSigner(makeSignature: MakeSignature): JwsSigner {
  // The encoded header of each key and typ, made once: a key is replaced, not changed, on rotation.
  const headers = new WeakMap<SigningKey, Partial<Record<TokenType, string>>>();
  const header = (key: SigningKey, typ: TokenType): string => {
    let byTyp = headers.get(key);
    if (byTyp === undefined) headers.set(key, (byTyp = {}));
    return (byTyp[typ] ??= encode({ alg: key.alg, kid: key.kid, typ }));
  };
  const parts = async (claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<FlattenedJws> => {
    const protectedHeader = header(key, typ);
    const payload = encode(claims);
    const sig = await makeSignature(key.alg, key.key, `${protectedHeader}.${payload}`);
    return { protected: protectedHeader, payload, signature: sig.toString('base64url') };
  };
  return {
    async compact(claims, key, typ) {
      const p = await parts(claims, key, typ);
      return `${p.protected}.${p.payload}.${p.signature}`;
    },
    flattened: parts,
  };
}
