// The JWS the signing service returns (RFC 7515): the compact serialization for /sign and
// sign-fields, the flattened JSON serialization for sign-fields with `full: true`. The protected
// header is {alg, kid, typ} and nothing else, so a verifier picks the key by kid from the JWKS.
//
// The signature is made with node:crypto on the KeyObject the store holds, not with jose's
// CompactSign: jose 6 signs through WebCrypto, converting the KeyObject and hopping to the thread
// pool on every call, which measured 2.5× (RS256) to 18× (HS256) slower per token here and kept the
// service far from the throughput target (test/bench/signing.ts). What is built here is only
// base64url(header) "." base64url(payload) and the algorithm's signature over it; the unit test
// test/unit/signing/jws.test.ts verifies every algorithm's output with jose.
import { createHmac, constants, sign, type KeyObject, type SignKeyObjectInput, type SignPrivateKeyInput } from 'node:crypto';
import type { Algorithm } from '../api/types.js';
import type { SigningKey } from './key-store.js';

/** `JWT`, or `at+jwt` for RFC 9068 access tokens. */
export type TokenType = 'JWT' | 'at+jwt';

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
}

/** How each algorithm signs (RFC 7518 §3): the digest and the key options of node:crypto. */
interface Method {
  digest: string | null;
  hmac?: boolean;
  options?: Omit<SignKeyObjectInput & SignPrivateKeyInput, 'key'>;
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
const P1363 = { dsaEncoding: 'ieee-p1363' as const };
const METHODS: Record<Algorithm, Method> = {
  RS256: { digest: 'sha256' }, RS384: { digest: 'sha384' }, RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', options: PSS }, PS384: { digest: 'sha384', options: PSS }, PS512: { digest: 'sha512', options: PSS },
  ES256: { digest: 'sha256', options: P1363 }, ES384: { digest: 'sha384', options: P1363 }, ES512: { digest: 'sha512', options: P1363 },
  EdDSA: { digest: null },
  HS256: { digest: 'sha256', hmac: true }, HS384: { digest: 'sha384', hmac: true }, HS512: { digest: 'sha512', hmac: true },
};

function signature(alg: Algorithm, key: KeyObject, input: string): Promise<Buffer> {
  const method = METHODS[alg];
  const data = Buffer.from(input, 'latin1');
  if (method.hmac) return Promise.resolve(createHmac(method.digest ?? '', key).update(data).digest());
  const keyInput = { key, ...method.options };
  // An RSA signature takes milliseconds (RSA-4096: several): the callback form makes it on libuv's
  // thread pool, so the listeners keep answering meanwhile. EC and Ed25519 take tens of microseconds,
  // less than the hop to the pool would cost.
  if (key.asymmetricKeyType !== 'rsa') return Promise.resolve(sign(method.digest, data, keyInput));
  return new Promise((resolve, reject) => {
    sign(method.digest, data, keyInput, (err, sig) => (err ? reject(err) : resolve(sig)));
  });
}

async function parts(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<FlattenedJws> {
  const protectedHeader = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ })).toString('base64url');
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const sig = await signature(key.alg, key.key, `${protectedHeader}.${payload}`);
  return { protected: protectedHeader, payload, signature: sig.toString('base64url') };
}

export async function signCompact(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<string> {
  const p = await parts(claims, key, typ);
  return `${p.protected}.${p.payload}.${p.signature}`;
}

export function signFlattened(claims: Record<string, unknown>, key: SigningKey, typ: TokenType): Promise<FlattenedJws> {
  return parts(claims, key, typ);
}
