// Tokens as a workload that mounts a Signet Secret would sign them: with the key.pem (PKCS#8) of
// the Secret, the kid Signet publishes for it and the issuer's algorithm.
import { generateKeyPair, randomUUID, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { SignJWT, importPKCS8, type CryptoKey } from 'jose';
import type { Algorithm } from '../../../src/api/types.js';
import { clients } from '../../support/kube.js';

export const AUDIENCE = 'signet-interop';
/** openid-client checks ID tokens, which carry the nonce of the login that asked for them. */
export const NONCE = 'interop-nonce';

export interface SigningKey {
  alg: Algorithm;
  kid: string;
  key: CryptoKey | KeyObject;
}

/** The private key in a Secret's key.pem. */
export async function keyFromSecret(namespace: string, secretName: string, alg: Algorithm, kid: string): Promise<SigningKey> {
  const secret = await clients().core.readNamespacedSecret({ namespace, name: secretName });
  const pem = Buffer.from(secret.data?.['key.pem'] ?? '', 'base64').toString('utf8');
  if (!pem.includes('BEGIN PRIVATE KEY')) throw new Error(`Secret ${namespace}/${secretName} holds no PKCS#8 key.pem`);
  return { alg, kid, key: await importPKCS8(pem, alg) };
}

/**
 * A key of the same type that Signet never saw: under a kid that no issuer serves, or under the
 * kid of a served key (a forgery that only the signature check catches).
 */
export async function foreignKey(alg: Algorithm, kid = `foreign-${randomUUID()}`): Promise<SigningKey> {
  const gen = promisify(generateKeyPair) as (type: string, opts: object) => Promise<{ privateKey: KeyObject }>;
  const { privateKey } = alg === 'EdDSA' ? await gen('ed25519', {})
    : alg === 'ES256' ? await gen('ec', { namedCurve: 'P-256' })
      : await gen('rsa', { modulusLength: 2048 });
  return { alg, kid, key: privateKey };
}

/** A fresh token (its own jti, so no verifier's cache of earlier answers applies). */
export async function signToken(k: SigningKey, issuer: string, subject: string, lifetimeSeconds = 600): Promise<string> {
  return new SignJWT({ nonce: NONCE })
    .setProtectedHeader({ alg: k.alg, kid: k.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject(subject)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${lifetimeSeconds}s`)
    .setJti(randomUUID())
    .sign(k.key);
}
