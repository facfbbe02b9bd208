// The defaults of DESIGN §1. The CRD applies the same defaults on admission; the reconciler applies
// them again so that an object written before a default existed still behaves as documented.
import type { AuthServerSpec, DeletionPolicy, KeyGenerationMode, KeyIdFormat, Algorithm, RsaKeySize, SecretRef } from './types.js';

export const DEFAULT_CACHE_MAX_AGE_SECONDS = 300;

export interface EffectiveSpec {
  issuerURI: string;
  signAndVerifyKeyRef: SecretRef;
  extraVerifyKeyRefs: SecretRef[];
  keyGeneration: { mode: KeyGenerationMode; algorithm: Algorithm; rsaKeySize: RsaKeySize; deletionPolicy: DeletionPolicy };
  keyIdFormat: KeyIdFormat;
  cacheMaxAgeSeconds: number;
  discoveryEnabled: boolean;
}

export function effectiveSpec(spec: AuthServerSpec): EffectiveSpec {
  const ts = spec.tokenSignature;
  const gen = ts.keyGeneration ?? {};
  return {
    issuerURI: spec.issuerURI,
    signAndVerifyKeyRef: ts.signAndVerifyKeyRef,
    extraVerifyKeyRefs: ts.extraVerifyKeyRefs ?? [],
    keyGeneration: {
      mode: gen.mode ?? 'IfMissing',
      algorithm: gen.algorithm ?? 'RS256',
      rsaKeySize: gen.rsaKeySize ?? 2048,
      deletionPolicy: gen.deletionPolicy ?? 'Retain',
    },
    keyIdFormat: ts.keyIdFormat ?? 'Thumbprint',
    cacheMaxAgeSeconds: spec.jwks?.cacheMaxAgeSeconds ?? DEFAULT_CACHE_MAX_AGE_SECONDS,
    discoveryEnabled: spec.discovery?.enabled ?? true,
  };
}
