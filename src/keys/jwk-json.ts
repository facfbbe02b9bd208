// Reads jwk.json: exactly one JWK, private or public. Only the members that make up the key are handed
// to OpenSSL; its kid and alg are kept for the caller, everything else is ignored.
import { createPrivateKey, createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { ok } from '../api/result.js';
import { curvesOf } from '../api/algorithms.js';
import { stripBom } from './pem.js';
import { dataKeyRef, errorCode, quoteToken, refuse, withArticle } from './problem.js';
import type { KeyResult } from './types.js';

export interface JwkMaterial {
  privateKey?: KeyObject;
  /** From the public members alone, so that a private JWK whose x/y/n do not fit its d can be caught. */
  publicKey: KeyObject;
  kid?: string;
  alg?: string;
}

const orList = (names: readonly string[]): string => (names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : names.join(''));
const SUPPORTED = `Signet supports kty RSA, EC with crv ${orList(curvesOf('EC'))}, and OKP with crv ${orList(curvesOf('OKP'))}`;
const PUBLIC_MEMBERS: Record<string, readonly string[]> = { RSA: ['n', 'e'], EC: ['crv', 'x', 'y'], OKP: ['crv', 'x'] };
// Node's RSA import needs the CRT members; an RSA JWK with d alone cannot be used.
const PRIVATE_MEMBERS: Record<string, readonly string[]> = { RSA: ['d', 'p', 'q', 'dp', 'dq', 'qi'], EC: ['d'], OKP: ['d'] };
const CURVES: Record<string, readonly string[]> = { EC: curvesOf('EC'), OKP: curvesOf('OKP') };
const BASE64URL = /^[A-Za-z0-9_-]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function readJwk(secret: string, dataKey: string, buf: Buffer): KeyResult<JwkMaterial> {
  const where = dataKeyRef(dataKey);
  const parseError = (what: string, fix: string) => refuse('KeyParseError', secret, where, what, fix);
  const text = stripBom(buf).toString('utf8');
  if (text.trim() === '') return refuse('KeyMaterialMissing', secret, where, 'is empty', `Put one JWK (a JSON object) in ${dataKey}.`);

  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // V8's message quotes the input, so it is not repeated.
    return parseError('is not valid JSON', `Put one JWK, a JSON object such as {"kty":"EC","crv":"P-256","x":"…","y":"…","d":"…"}, in ${dataKey}.`);
  }
  if (Array.isArray(parsed) || (isObject(parsed) && 'keys' in parsed)) {
    return parseError('holds a JWK Set (or an array), not one JWK', `Put exactly one key, one element of "keys", in ${dataKey}; use one Secret per key.`);
  }
  if (!isObject(parsed)) return parseError('does not hold a JSON object', `Put one JWK (a JSON object) in ${dataKey}.`);

  const jwk = parsed;
  if (typeof jwk.kty !== 'string') return parseError('holds a JWK without a "kty" member', `Add "kty" (RSA, EC or OKP) to the JWK in ${dataKey}.`);
  if (jwk.kty === 'oct') {
    return refuse('UnsupportedKeyType', secret, where, 'holds a symmetric key (kty "oct"), which is never published',
      `${SUPPORTED}; put an asymmetric key in ${dataKey}.`);
  }
  // hasOwn: a kty such as "constructor" must not find Object.prototype's members.
  const known = Object.hasOwn(PUBLIC_MEMBERS, jwk.kty);
  const publicNames = known ? PUBLIC_MEMBERS[jwk.kty] : undefined;
  const privateNames = known ? PRIVATE_MEMBERS[jwk.kty] : undefined;
  if (publicNames === undefined || privateNames === undefined) {
    return refuse('UnsupportedKeyType', secret, where, `holds a JWK with kty ${quoteToken(jwk.kty)}`, `${SUPPORTED}.`);
  }
  const curves = Object.hasOwn(CURVES, jwk.kty) ? CURVES[jwk.kty] : undefined;
  if (curves !== undefined && typeof jwk.crv === 'string' && !curves.includes(jwk.crv)) {
    return refuse('UnsupportedKeyType', secret, where, `holds ${withArticle(jwk.kty)} JWK on curve ${quoteToken(jwk.crv)}`, `${SUPPORTED}.`);
  }

  const isPrivate = 'd' in jwk;
  const needed = isPrivate ? [...publicNames, ...privateNames] : publicNames;
  const missing = needed.filter((m) => typeof jwk[m] !== 'string' || (m !== 'crv' && !BASE64URL.test(jwk[m])));
  if (missing.length > 0) {
    return parseError(`holds a ${isPrivate ? 'private' : 'public'} ${jwk.kty} JWK whose member(s) ${missing.join(', ')} are missing or not base64url strings`,
      `Export the whole key again into ${dataKey}${jwk.kty === 'RSA' && isPrivate ? ' (a private RSA JWK needs d, p, q, dp, dq and qi)' : ''}.`);
  }
  if (jwk.kty === 'RSA' && 'oth' in jwk) {
    return refuse('UnsupportedKeyType', secret, where, 'holds a multi-prime RSA key ("oth")', `Use a two-prime RSA key of 2048 bits or more in ${dataKey}.`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    return refuse('AlgorithmMismatch', secret, where, `holds a JWK whose "use" is ${quoteToken(jwk.use)}, not "sig"`, `Signet publishes signing keys only: set "use" to "sig" or remove it in ${dataKey}.`);
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(jwk.kid))) {
    return parseError('holds a "kid" that is not a string of 1 to 256 printable characters', `Fix or remove "kid" in ${dataKey} (without it the kid is the RFC 7638 thumbprint).`);
  }
  if (typeof jwk.kid === 'string' && isPrivate && privateNames.some((m) => jwk[m] === jwk.kid)) {
    // The kid is published; a private member pasted into it would be too.
    return parseError('holds a "kid" that repeats one of its private members', `Choose another kid or remove "kid" in ${dataKey} (without it the kid is the RFC 7638 thumbprint).`);
  }
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') {
    return parseError('holds an "alg" that is not a string', `Fix or remove "alg" in ${dataKey}.`);
  }

  // Whitelist: OpenSSL sees the key members and nothing else.
  const pick = (names: readonly string[]): JsonWebKey => Object.fromEntries([['kty', jwk.kty], ...names.map((n) => [n, jwk[n]])]) as JsonWebKey;
  let publicKey: KeyObject;
  let privateKey: KeyObject | undefined;
  try {
    publicKey = createPublicKey({ key: pick(publicNames), format: 'jwk' });
    if (isPrivate) privateKey = createPrivateKey({ key: pick([...publicNames, ...privateNames]), format: 'jwk' });
  } catch (err) {
    return parseError(`holds ${withArticle(jwk.kty)} JWK that could not be imported (${errorCode(err)}): a member is corrupted or the point is not on the curve`, `Export the key again into ${dataKey}.`);
  }
  return ok({
    publicKey,
    ...(privateKey !== undefined && { privateKey }),
    ...(typeof jwk.kid === 'string' && { kid: jwk.kid }),
    ...(typeof jwk.alg === 'string' && { alg: jwk.alg }),
  });
}
