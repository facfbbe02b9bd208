// What the keys module gives the controller: a verdict on one Secret's key material.
import type { KeyObject } from 'node:crypto';
import type { Algorithm, AsymmetricFamily, Curve, SymmetricAlgorithm } from '../api/algorithms.js';
import type { Problem, Result } from '../api/result.js';
import type { KeyIdFormat } from '../api/types.js';

/** A JWK holding public parameters only, ready to publish. */
export interface PublicJwk {
  kty: AsymmetricFamily;
  kid: string;
  use: 'sig';
  alg: Algorithm;
  n?: string;
  e?: string;
  crv?: Curve;
  x?: string;
  y?: string;
  x5c?: string[];
  'x5t#S256'?: string;
}

export interface LoadedKey {
  kid: string;
  algorithm: Algorithm;
  /** Bits for RSA; curve size for EC (256, 384, 521); 256 for Ed25519. */
  keySize: number;
  publicJwk: PublicJwk;
  /** Present when the Secret holds the private half. Never serialised. */
  privateKey?: KeyObject;
  /** The data key the material was read from (key.pem, pub.pem, tls.key, jwk.json). */
  dataKey: string;
}

export type KeyProblemReason =
  | 'KeyMaterialMissing'
  | 'KeyParseError'
  | 'UnsupportedKeyType'
  | 'KeyTooWeak'
  | 'KeyMismatch'
  | 'AlgorithmMismatch';

/** Why a Secret's material was refused; the message names the Secret and data key and says how to fix it. */
export type KeyProblem = Problem<KeyProblemReason>;

/** A verdict of keys/: the value, or the KeyProblem. */
export type KeyResult<T> = Result<T, KeyProblemReason>;

/** A shared secret (HS*, docs/architecture.md#key-material-in-secrets): it signs through the signing service only and has nothing to publish. */
export interface LoadedSymmetricKey {
  kid: string;
  algorithm: SymmetricAlgorithm;
  /** Bits of secret. */
  keySize: number;
  publicJwk?: undefined;
  /** The secret KeyObject. Never serialised. */
  privateKey: KeyObject;
  /** `secret` or `jwk.json`. */
  dataKey: string;
}

/** What loadKey gives when shared secrets are allowed. */
export type AnyLoadedKey = LoadedKey | LoadedSymmetricKey;

export interface SigningKeyInput extends SecretKeyInput {
  /**
   * A shared secret (HS*) is accepted: only for the signing ref of an AuthServer with
   * spec.signing.enabled, since such a key can be used through the signing service alone.
   */
  allowSymmetric: boolean;
}

export interface SecretKeyInput {
  /** Secret name, used in messages and as kid with keyIdFormat SecretName. */
  secretName: string;
  /** The Secret's data, base64-decoded. */
  data: Record<string, Buffer>;
  annotations: Record<string, string>;
  /** The signing ref needs the private half; a verify-only ref does not. */
  requirePrivate: boolean;
  keyIdFormat: KeyIdFormat;
  /**
   * The names to report for the data keys read, when `data` holds them under other names: for the
   * next key of a rotation, "key.pem" and "pub.pem" are the Secret's next.key.pem and next.pub.pem.
   */
  dataKeyNames?: Readonly<Record<string, string>>;
  /** The Secret's uid: salts the kid of a shared secret that has none recorded, so the kid is no hash of the secret alone. */
  uid?: string;
}

/** A generated shared secret (HS*), stored raw in data key `secret`. */
export interface GeneratedSecretMaterial {
  secret: Buffer;
}

export interface GeneratedKeyMaterial {
  /** PKCS#8 PEM. */
  'key.pem': string;
  /** SPKI PEM. */
  'pub.pem': string;
}
