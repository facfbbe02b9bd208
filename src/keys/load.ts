// loadKey: the one verdict the controller asks for. Pure and synchronous: OpenSSL parses in
// microseconds, and the private key's self-test signature costs about a millisecond (RSA 4096: a few).
// It never throws: anything unexpected becomes a KeyParseError.
import { createHash, createPublicKey } from 'node:crypto';
import { curvesOf, SYMMETRIC_ALGORITHMS } from '../api/algorithms.js';
import { fail, ok } from '../api/result.js';
import { ALGORITHM_ANNOTATION, KID_ANNOTATION } from '../api/types.js';
import { JWK_JSON, PUB_PEM, TLS_KEY } from './data-keys.js';
import { parseSecretData } from './parse.js';
import { dataKeyRef, errorCode, refuse, SUPPORTED_KEYS } from './problem.js';
import { toPublicJwk } from './public-jwk.js';
import { holdsSymmetricKey, readSymmetricKey, SECRET } from './symmetric.js';
import type { AnyLoadedKey, KeyResult, LoadedKey, LoadedSymmetricKey, SecretKeyInput, SigningKeyInput } from './types.js';
import { checkPair, chooseAlgorithm, describeKey } from './validate.js';

/**
 * The refusal as the Secret names its data keys. Every message quotes a data key as "name", so the
 * names of data read from elsewhere (the next key: "key.pem" is next.key.pem) are put back here.
 */
function named(result: KeyResult<AnyLoadedKey>, names: Readonly<Record<string, string>> | undefined): KeyResult<AnyLoadedKey> {
  if (result.ok || names === undefined) return result;
  let message = result.problem.message;
  for (const [read, reported] of Object.entries(names)) message = message.replaceAll(`"${read}"`, `"${reported}"`);
  return fail(result.problem.reason, message);
}

function loadSymmetric(input: SecretKeyInput & Partial<SigningKeyInput>): KeyResult<LoadedSymmetricKey> {
  const dataKey = Object.hasOwn(input.data, SECRET) ? SECRET : JWK_JSON;
  const where = dataKeyRef(dataKey);
  const what = `holds a symmetric key (a shared secret, ${SYMMETRIC_ALGORITHMS.join('/')}), which is never published`;
  if (!input.requirePrivate) {
    return refuse('UnsupportedKeyType', input.secretName, where, what, 'A verify-only ref needs a public key: reference this Secret from signAndVerifyKeyRef of an AuthServer with spec.signing.enabled, or put an asymmetric key in it.');
  }
  if (!input.allowSymmetric) {
    return refuse('UnsupportedKeyType', input.secretName, where, what,
      `It can sign only through the signing service: set spec.signing.enabled: true on the AuthServer, or put an asymmetric key (${SUPPORTED_KEYS}) in the Secret.`);
  }
  const read = readSymmetricKey({ secretName: input.secretName, data: input.data, annotation: input.annotations?.[ALGORITHM_ANNOTATION], annotations: input.annotations, uid: input.uid, keyIdFormat: input.keyIdFormat });
  if (!read.ok) return read;
  const { kid, algorithm, keySize, secretKey } = read.value;
  return ok({ kid, algorithm, keySize, privateKey: secretKey, dataKey: read.value.dataKey });
}

function load(input: SecretKeyInput & Partial<SigningKeyInput>): KeyResult<AnyLoadedKey> {
  const secret = input.secretName;
  if (holdsSymmetricKey(input.data ?? {})) return loadSymmetric(input);
  const parsed = parseSecretData(secret, input.data ?? {});
  if (!parsed.ok) return parsed;
  const { dataKey, privateKey, publicHalf, certChain, jwkKid, jwkAlg } = parsed.value;

  if (privateKey === undefined && input.requirePrivate) {
    // pub.pem is read before tls.key and jwk.json (docs/architecture.md#key-material-in-secrets): say so when one of those is what the user meant.
    const skipped = dataKey === PUB_PEM ? [TLS_KEY, JWK_JSON].filter((k) => Object.hasOwn(input.data ?? {}, k)) : [];
    const order = skipped.length > 0 ? ` Signet reads "pub.pem" before ${skipped.map((k) => `"${k}"`).join(' and ')}: remove "pub.pem" from this Secret to have ${skipped[0]} read.` : '';
    return refuse('KeyMaterialMissing', secret, dataKeyRef(dataKey), 'holds only a public key, but the signing key (signAndVerifyKeyRef) needs the private half',
      `Put the private key in "key.pem", "tls.key" or "jwk.json" (a JWK with "d"), or reference this Secret from extraVerifyKeyRefs instead.${order}`);
  }
  const stated = privateKey !== undefined ? createPublicKey(privateKey) : publicHalf?.key;
  if (stated === undefined) throw new Error('parseSecretData returns a private or a public key');

  const shape = describeKey(secret, dataKeyRef(dataKey), stated);
  if (!shape.ok) return shape;
  let published = stated;
  if (privateKey !== undefined) {
    const pair = checkPair(secret, dataKey, privateKey, shape.value, publicHalf);
    if (!pair.ok) return pair;
    published = pair.value;
  }
  const algorithm = chooseAlgorithm(secret, dataKey, shape.value, { annotation: input.annotations?.[ALGORITHM_ANNOTATION], jwkAlg });
  if (!algorithm.ok) return algorithm;

  // SecretName wins when asked for; otherwise a kid written in jwk.json is honoured, else the thumbprint.
  const kid = input.keyIdFormat === 'SecretName' ? secret : jwkKid;
  const publicJwk = toPublicJwk(published, { alg: algorithm.value, kid, certChain });
  return ok({
    kid: publicJwk.kid,
    algorithm: algorithm.value,
    keySize: shape.value.keySize,
    publicJwk,
    ...(privateKey !== undefined && { privateKey }),
    dataKey,
  });
}

/** With allowSymmetric, a shared secret (HS*) is a key too; without, it is refused (UnsupportedKeyType). */
export function loadKey(input: SigningKeyInput): KeyResult<AnyLoadedKey>;
export function loadKey(input: SecretKeyInput): KeyResult<LoadedKey>;
export function loadKey(input: SecretKeyInput | SigningKeyInput): KeyResult<AnyLoadedKey> {
  try {
    return named(load({ ...input, annotations: readAnnotations(input.annotations) }), input.dataKeyNames);
  } catch (err) {
    return fail('KeyParseError',
      `Secret "${input.secretName}" key material (key.pem, pub.pem, tls.key/tls.crt or jwk.json) could not be read (${errorCode(err)}). ` +
      `Check that the Secret holds one unencrypted RSA, EC or ${curvesOf('OKP').join(' or ')} key in one of those data keys.`);
  }
}

/** The only annotations a key's parse reads: keyInputDigest covers them, and loadKey sees no other. */
const READ_ANNOTATIONS = [ALGORITHM_ANNOTATION, KID_ANNOTATION] as const;

function readAnnotations(annotations: Readonly<Record<string, string>> | undefined): Record<string, string> {
  return Object.fromEntries(READ_ANNOTATIONS.flatMap((a) => (annotations && Object.hasOwn(annotations, a) ? [[a, annotations[a] as string]] : [])));
}

/**
 * A digest of everything loadKey reads of a Secret (its uid, data and the annotations it honours),
 * besides the options: a Secret that changed otherwise (a label, an annotation of another tool)
 * keeps its parse (controller/observe.ts), where parsing again costs a millisecond per RSA key.
 */
export function keyInputDigest(input: Pick<SecretKeyInput, 'data' | 'annotations' | 'uid'>): string {
  const hash = createHash('sha256').update(JSON.stringify([input.uid ?? '', Object.entries(readAnnotations(input.annotations))]));
  for (const key of Object.keys(input.data).sort()) {
    const value = input.data[key] as Buffer;
    hash.update(JSON.stringify([key, value.length])).update(value);
  }
  return hash.digest('base64url');
}
