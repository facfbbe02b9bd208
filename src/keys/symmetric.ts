// Shared-secret keys (HS*, docs/architecture.md#key-material-in-secrets): the AAM default and KrakenD's HS256. Read from a
// data key `secret` (raw bytes) or a jwk.json with kty "oct", generated for keyGeneration.algorithm
// HS*. Such a key cannot be published, so it is usable only through the signing service (§9): the
// caller refuses it unless the AuthServer has signing.enabled. Messages never quote the material.
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ok } from '../api/result.js';
import { ALGORITHM_TABLE, SYMMETRIC_ALGORITHMS, isSymmetricAlgorithm, type SymmetricAlgorithm } from '../api/algorithms.js';
import { KID_ANNOTATION, type KeyIdFormat } from '../api/types.js';
import { JWK_JSON, maxBytes } from './data-keys.js';
import { stripBom } from './pem.js';
import { dataKeyRef, quoteToken, refuse } from './problem.js';
import type { AnyLoadedKey, KeyResult, LoadedKey } from './types.js';

/** The data key that holds a raw shared secret. */
export const SECRET = 'secret';

/** Bytes of secret an algorithm needs at least (its row in the algorithm table). */
function minSecretBytes(algorithm: SymmetricAlgorithm): number {
  return ALGORITHM_TABLE[algorithm].minSecretBytes;
}
const SECRET_SIZES = SYMMETRIC_ALGORITHMS.map(minSecretBytes);

export interface SymmetricKey {
  kid: string;
  algorithm: SymmetricAlgorithm;
  /** Bits of secret. */
  keySize: number;
  secretKey: KeyObject;
  dataKey: string;
}

/**
 * Whether the Secret's preferred key material is a shared secret: a `secret` data key beside none of
 * the asymmetric ones, or a jwk.json whose kty is "oct".
 */
export function holdsSymmetricKey(data: Record<string, Buffer>): boolean {
  const asymmetric = ['key.pem', 'pub.pem', 'tls.key', 'tls.crt'].some((k) => Object.hasOwn(data, k));
  if (asymmetric) return false;
  if (Object.hasOwn(data, SECRET)) return true;
  const jwk = data[JWK_JSON];
  if (jwk === undefined || !Object.hasOwn(data, JWK_JSON) || jwk.length > maxBytes(JWK_JSON)) return false;
  try {
    const parsed = JSON.parse(stripBom(jwk).toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null && (parsed as { kty?: unknown }).kty === 'oct';
  } catch {
    return false;
  }
}

interface RawSecret {
  bytes: Buffer;
  dataKey: string;
  jwkKid?: string;
  jwkAlg?: string;
}

function readRaw(secretName: string, data: Record<string, Buffer>): KeyResult<RawSecret> {
  if (Object.hasOwn(data, SECRET)) {
    const bytes = data[SECRET] ?? Buffer.alloc(0);
    if (bytes.length > maxBytes(SECRET)) {
      return refuse('KeyParseError', secretName, dataKeyRef(SECRET), `is ${bytes.length} bytes; Signet reads at most ${maxBytes(SECRET)} bytes from it`, `Put a random secret of ${Math.min(...SECRET_SIZES)} to ${Math.max(...SECRET_SIZES)} bytes in it.`);
    }
    return ok({ bytes, dataKey: SECRET });
  }
  const where = dataKeyRef(JWK_JSON);
  const jwk = JSON.parse(stripBom(data[JWK_JSON] ?? Buffer.alloc(0)).toString('utf8')) as Record<string, unknown>;
  if (typeof jwk.k !== 'string' || !/^[A-Za-z0-9_-]*$/.test(jwk.k)) {
    return refuse('KeyParseError', secretName, where, 'holds an "oct" JWK whose member "k" is missing or not a base64url string', `Put the shared secret, base64url-encoded, in "k" in ${JWK_JSON}.`);
  }
  if (jwk.use !== undefined && jwk.use !== 'sig') {
    return refuse('AlgorithmMismatch', secretName, where, `holds a JWK whose "use" is ${quoteToken(jwk.use)}, not "sig"`, `Set "use" to "sig" or remove it in ${JWK_JSON}.`);
  }
  if (jwk.kid !== undefined && (typeof jwk.kid !== 'string' || !/^[\x20-\x7e]{1,256}$/.test(jwk.kid) || jwk.kid === jwk.k)) {
    return refuse('KeyParseError', secretName, where, 'holds a "kid" that is not a string of 1 to 256 printable characters (or repeats "k")', `Fix or remove "kid" in ${JWK_JSON}.`);
  }
  if (jwk.alg !== undefined && typeof jwk.alg !== 'string') {
    return refuse('KeyParseError', secretName, where, 'holds an "alg" that is not a string', `Fix or remove "alg" in ${JWK_JSON}.`);
  }
  return ok({
    bytes: Buffer.from(jwk.k, 'base64url'),
    dataKey: JWK_JSON,
    ...(typeof jwk.kid === 'string' && { jwkKid: jwk.kid }),
    ...(typeof jwk.alg === 'string' && { jwkAlg: jwk.alg }),
  });
}

/**
 * The kid of a shared secret that records none: an HMAC of it keyed by the Secret's uid. A plain hash
 * (such as the RFC 7638 thumbprint) would let whoever reads status, events or metrics test guesses of
 * a weak secret offline; the uid is known only to those who may read the Secret anyway.
 */
function saltedKid(bytes: Buffer, uid: string): string {
  return createHmac('sha256', `signet.dev/kid:${uid}`).update(bytes).digest('base64url');
}

/** A new random kid, written on a Secret Signet generates with a shared secret (annotation signet.dev/kid). */
export function generateKid(): string {
  return randomBytes(16).toString('base64url');
}

export interface SymmetricInput {
  secretName: string;
  data: Record<string, Buffer>;
  /** The Secret's signet.dev/algorithm annotation. */
  annotation?: string | undefined;
  /** The Secret's annotations (signet.dev/kid) and uid. */
  annotations?: Readonly<Record<string, string>> | undefined;
  uid?: string | undefined;
  keyIdFormat: KeyIdFormat;
}

/** Reads a shared secret that holdsSymmetricKey() found; refuses an unknown algorithm or a short secret. */
export function readSymmetricKey(input: SymmetricInput): KeyResult<SymmetricKey> {
  const { secretName } = input;
  let raw: KeyResult<RawSecret>;
  try {
    raw = readRaw(secretName, input.data);
  } catch {
    return refuse('KeyParseError', secretName, dataKeyRef(JWK_JSON), 'is not valid JSON', `Put one JWK, such as {"kty":"oct","k":"…","alg":"HS256"}, in ${JWK_JSON}.`);
  }
  if (!raw.ok) return raw;
  const { bytes, dataKey, jwkKid, jwkAlg } = raw.value;
  const annotation = input.annotation?.trim();
  const named = annotation !== undefined && annotation !== '' ? annotation : jwkAlg;
  const setting = annotation !== undefined && annotation !== '' ? 'the annotation signet.dev/algorithm' : `"alg" in ${dataKey}`;
  const algorithm = named ?? 'HS256';
  if (!isSymmetricAlgorithm(algorithm)) {
    return refuse('AlgorithmMismatch', secretName, dataKeyRef(dataKey), `holds a shared secret, but ${setting} names algorithm ${quoteToken(algorithm)}`,
      `Set ${setting} to one of ${SYMMETRIC_ALGORITHMS.join(', ')}, or remove it to use HS256.`);
  }
  const min = minSecretBytes(algorithm);
  if (bytes.length < min) {
    return refuse('KeyTooWeak', secretName, dataKeyRef(dataKey), `holds a ${bytes.length}-byte shared secret; ${algorithm} needs at least ${min} bytes`,
      `Create a longer one, e.g. \`head -c ${min} /dev/urandom > secret\` and \`kubectl create secret generic ${secretName} --from-file=secret\`.`);
  }
  const recorded = input.annotations?.[KID_ANNOTATION];
  const kid = input.keyIdFormat === 'SecretName' ? secretName : jwkKid ?? recorded ?? saltedKid(bytes, input.uid ?? secretName);
  return ok({ kid, algorithm, keySize: bytes.length * 8, secretKey: createSecretKey(bytes), dataKey });
}

/** A new random secret as long as the algorithm's hash, for keyGeneration.algorithm HS*. */
export function generateSecret(algorithm: SymmetricAlgorithm): Buffer {
  return randomBytes(minSecretBytes(algorithm));
}

/** Whether a loaded key is an asymmetric one, which has a JWK to publish. */
export function isPublishable(key: AnyLoadedKey): key is LoadedKey {
  return key.publicJwk !== undefined;
}
