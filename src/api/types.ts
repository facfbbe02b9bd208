// The AuthServer API (DESIGN §1), described once. crds/authservers.signet.dev.yaml is the schema
// the API server enforces; test/unit/api/crd-agreement.test.ts keeps the two in step.
import type { V1ObjectMeta } from '@kubernetes/client-node';

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

export const ALGORITHMS = [
  'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;
export type RsaKeySize = (typeof RSA_KEY_SIZES)[number];

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

export interface TokenSignature {
  signAndVerifyKeyRef: SecretRef;
  extraVerifyKeyRefs?: SecretRef[];
  keyGeneration?: KeyGeneration;
  keyIdFormat?: KeyIdFormat;
}

export interface JwksSettings {
  cacheMaxAgeSeconds?: number;
}

export interface DiscoverySettings {
  enabled?: boolean;
}

export interface AuthServerSpec {
  issuerURI: string;
  tokenSignature: TokenSignature;
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
}

export const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export const CONDITION_TYPES = ['SignAndVerifyKeyResolved', 'ExtraVerifyKeysResolved', 'Ready'] as const;
export type ConditionType = (typeof CONDITION_TYPES)[number];

export const REASONS = [
  'Resolved', 'SecretNotFound', 'KeyMaterialMissing', 'KeyParseError', 'UnsupportedKeyType',
  'KeyTooWeak', 'KeyMismatch', 'AlgorithmMismatch', 'GenerationFailed', 'InvalidIssuerURI', 'IssuerConflict',
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
  conditions?: Condition[];
}

export interface AuthServer {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta;
  spec: AuthServerSpec;
  status?: AuthServerStatus;
}

export type EventReason = 'KeyGenerated' | 'SigningKeyChanged' | 'KeyInvalid' | 'SecretNotFound' | 'IssuerConflict';
