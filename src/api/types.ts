// The AuthServer API (docs/architecture.md#the-authserver-api), described once. crds/authservers.signet.dev.yaml is the schema
// the API server enforces; test/unit/api/crd-agreement.test.ts keeps the two in step.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { Algorithm, RsaKeySize } from './algorithms.js';

export const GROUP = 'signet.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;
export const KIND = 'AuthServer';
export const PLURAL = 'authservers';

/** Annotation on an AuthServer: "true" allows an http:// issuer (development only). */
export const ALLOW_UNSAFE_ISSUER_ANNOTATION = 'signet.dev/allow-unsafe-issuer-uri';
/** Annotation on a Secret that chooses the algorithm of its key. */
export const ALGORITHM_ANNOTATION = 'signet.dev/algorithm';
/** Labels on Secrets that Signet generates. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'signet';
export const AUTHSERVER_LABEL = 'signet.dev/authserver';
/** Annotation on an AuthServer: any new value starts a rotation now, pre-publication respected (docs/architecture.md#rotation). */
export const ROTATE_ANNOTATION = 'signet.dev/rotate';
/** Annotation on an AuthServer: any new value makes a new key sign at once and drops the old one at once. */
export const ROTATE_EMERGENCY_ANNOTATION = 'signet.dev/rotate-emergency';
/**
 * Annotation on a Secret Signet did not generate, written by someone who may write that Secret:
 * the AuthServers (names, comma-separated) that may sign with its private key.
 */
export const ALLOW_SIGNING_BY_ANNOTATION = 'signet.dev/allow-signing-by';
/** Annotation on a Secret: "true" lets the signing service export its private key (fixed when Signet generates it). */
export const EXPORTABLE_ANNOTATION = 'signet.dev/exportable';
/** Annotation on a Secret holding a shared secret (HS*): its kid (random, written when Signet generates it). */
export const KID_ANNOTATION = 'signet.dev/kid';

// The algorithms and RSA key sizes are the algorithm table's (src/api/algorithms.ts); the CRD's enums follow it.
export { ALGORITHMS, ASYMMETRIC_ALGORITHMS, RSA_KEY_SIZES, SYMMETRIC_ALGORITHMS } from './algorithms.js';
export type { Algorithm, AsymmetricAlgorithm, RsaKeySize, SymmetricAlgorithm } from './algorithms.js';

export const KEY_GENERATION_MODES = ['IfMissing', 'Never'] as const;
export type KeyGenerationMode = (typeof KEY_GENERATION_MODES)[number];

export const DELETION_POLICIES = ['Retain', 'Delete'] as const;
export type DeletionPolicy = (typeof DELETION_POLICIES)[number];

export const KEY_ID_FORMATS = ['Thumbprint', 'SecretName'] as const;
export type KeyIdFormat = (typeof KEY_ID_FORMATS)[number];

export interface SecretRef {
  name: string;
}

export interface KeyGeneration {
  mode?: KeyGenerationMode;
  algorithm?: Algorithm;
  rsaKeySize?: RsaKeySize;
  deletionPolicy?: DeletionPolicy;
}

/** A verify-only key (spec.tokenSignature.extraVerifyKeyRefs[]). */
export interface VerifyKeyRef extends SecretRef {
  /**
   * Verify only, never published in the JWKS or discovery: for the key that signed the cluster's
   * legacy Secret-based service-account tokens (docs/architecture.md#the-service-account-issuer), returned to the kube-apiserver with
   * exclude_from_oidc_discovery.
   */
  excludeFromDiscovery?: boolean;
}

export interface TokenSignature {
  signAndVerifyKeyRef: SecretRef;
  extraVerifyKeyRefs?: VerifyKeyRef[];
  keyGeneration?: KeyGeneration;
  keyIdFormat?: KeyIdFormat;
  rotation?: Rotation;
}

/** Scheduled rotation and retention of replaced keys (docs/architecture.md#rotation). Durations in Go syntax (src/api/duration.ts). */
export interface Rotation {
  period?: string;
  publishAhead?: string;
  retainFor?: string;
}

export interface JwksSettings {
  cacheMaxAgeSeconds?: number;
}

export interface DiscoverySettings {
  enabled?: boolean;
}

/** The signing service for this AuthServer (docs/architecture.md#the-signing-service). Durations in Go syntax (src/api/duration.ts). */
export interface SigningSettings {
  enabled?: boolean;
  maxTokenLifetime?: string;
  defaultTokenLifetime?: string;
  allowKeysetExport?: boolean;
}

export interface AuthServerSpec {
  issuerURI: string;
  tokenSignature: TokenSignature;
  signing?: SigningSettings;
  jwks?: JwksSettings;
  discovery?: DiscoverySettings;
}

export const KEY_ROLES = ['SignAndVerify', 'VerifyOnly'] as const;
export type KeyRole = (typeof KEY_ROLES)[number];

export interface KeyStatus {
  secretName: string;
  kid: string;
  role: KeyRole;
  algorithm: Algorithm;
  keySize: number;
  generated: boolean;
  publishedSince: string;
  state?: KeyState;
  /** Next: when it starts signing; Active (under rotation): when it started. */
  activatesAt?: string;
  /** Retired: when it leaves the JWKS. */
  retiresAt?: string;
}

export const KEY_STATES = ['Active', 'Next', 'Verify', 'Retired'] as const;
export type KeyState = (typeof KEY_STATES)[number];

/** The public members of a served JWK, as status.retiredKeys keeps them. */
export interface RetiredJwk {
  kty: string;
  kid: string;
  use: string;
  alg: string;
  n?: string;
  e?: string;
  crv?: string;
  x?: string;
  y?: string;
  x5c?: string[];
  'x5t#S256'?: string;
}

/** A replaced key, still served (verify-only) until retiresAt. */
export interface RetiredKey {
  kid: string;
  secretName: string;
  retiresAt: string;
  jwk: RetiredJwk;
  /** HMAC by Signet over the entry and its AuthServer (rotation/seal.ts): an entry without a valid one is never served. */
  seal?: string;
}

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export const CONDITION_TYPES = ['SignAndVerifyKeyResolved', 'ExtraVerifyKeysResolved', 'Ready'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const REASONS = [
  'Resolved', 'SecretNotFound', 'KeyMaterialMissing', 'KeyParseError', 'UnsupportedKeyType',
  'KeyTooWeak', 'KeyMismatch', 'AlgorithmMismatch', 'GenerationFailed', 'InvalidIssuerURI', 'IssuerConflict',
  'IssuerNotAllowed', 'InsecureIssuerNotAllowed',
  'SecretNotManaged', 'SecretNotOwned',
  // The cluster's service-account issuer (docs/architecture.md#the-service-account-issuer, src/sa-signer/policy.ts).
  'ServiceAccountIssuerMismatch', 'AlgorithmNotAcceptedByKubeAPIServer', 'RetentionTooShort', 'TokenLifetimeTooShort',
] as const;
export type Reason = (typeof REASONS)[number];

export interface Condition {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface AuthServerStatus {
  observedGeneration?: number;
  issuerURI?: string;
  jwksURI?: string;
  signingKeyID?: string;
  tokenSignatureKeyCount?: number;
  keys?: KeyStatus[];
  /** With rotation: the next transition Signet will make. */
  nextRotationTime?: string;
  /** Public halves of replaced keys, served until retiresAt; ten at most. */
  retiredKeys?: RetiredKey[];
  /** What Signet read from each referenced Secret it publishes only, sealed: a replica that sees the same version of the Secret serves from this without reading it. */
  attestedSecrets?: AttestedSecret[];
  conditions?: Condition[];
}

/**
 * What Signet parsed from one referenced Secret at one resourceVersion (public halves and the
 * Secret's rotation record, never private key material), so that every replica can serve the
 * AuthServer from one LIST (controller/attestation.ts).
 */
export interface AttestedSecret {
  secretName: string;
  /** The Secret's version the facts were read at: they are used only while the Secret is at that version. */
  resourceVersion: string;
  /** The parse result, as JSON. */
  facts: string;
  /** Signet's HMAC over the entry and its AuthServer (rotation/seal.ts): an entry without a valid one is never used. */
  seal: string;
}

export interface AuthServer {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta;
  spec: AuthServerSpec;
  status?: AuthServerStatus;
}

export type EventReason = 'KeyGenerated' | 'SigningKeyChanged' | 'KeyInvalid' | 'SecretNotFound' | 'IssuerConflict'
  | 'NextKeyPublished' | 'KeyRetired' | 'RetiredKeyRefused' | 'SigningKeyNotPrePublished' | 'EmergencyRotation' | 'PublishAheadTooShort' | 'NotUsableByKubeAPIServer'
  | 'KeysetExported';
