// The defaults of docs/architecture.md#the-authserver-api. The CRD applies the same defaults on admission; the reconciler applies
// them again so that an object written before a default existed still behaves as documented.
import { parseDuration } from './duration.js';
import type { AuthServerSpec, DeletionPolicy, KeyGenerationMode, KeyIdFormat, Algorithm, RsaKeySize, SecretRef, VerifyKeyRef } from './types.js';

export const DEFAULT_CACHE_MAX_AGE_SECONDS = 300;
export const DEFAULT_MAX_TOKEN_LIFETIME = '1h';
export const DEFAULT_TOKEN_LIFETIME = '10m';

/** spec.signing with defaults applied and durations in milliseconds. */
export interface EffectiveSigning {
  enabled: boolean;
  maxTokenLifetimeMs: number;
  defaultTokenLifetimeMs: number;
  allowKeysetExport: boolean;
}

export interface EffectiveSpec {
  issuerURI: string;
  signAndVerifyKeyRef: SecretRef;
  extraVerifyKeyRefs: VerifyKeyRef[];
  keyGeneration: { mode: KeyGenerationMode; algorithm: Algorithm; rsaKeySize: RsaKeySize; deletionPolicy: DeletionPolicy };
  keyIdFormat: KeyIdFormat;
  cacheMaxAgeSeconds: number;
  discoveryEnabled: boolean;
  signing: EffectiveSigning;
  rotation: EffectiveRotation;
}

export const DEFAULT_RETAIN_FOR = '24h';

/**
 * spec.tokenSignature.rotation with defaults applied and durations in milliseconds. publishAhead
 * and retainFor apply to a manual rotation (signet.dev/rotate) even without a rotation block.
 */
export interface EffectiveRotation {
  /** Whether spec.tokenSignature.rotation is set: keys replaced in place are retained only then. */
  configured: boolean;
  /** A new signing key this often; undefined: no schedule. */
  periodMs: number | undefined;
  publishAheadMs: number;
  retainForMs: number;
}

/**
 * The default publishAhead, max(10m, 2 × cacheMaxAge + 30 s): verifiers cache the JWKS for max-age,
 * the kube-apiserver keeps keys 30 s past it, and one more max-age covers a cache filled just
 * before the next key appeared. It depends on jwks.cacheMaxAgeSeconds, so the CRD cannot default it.
 */
export function defaultPublishAheadMs(cacheMaxAgeSeconds: number): number {
  return Math.max(600_000, 2 * cacheMaxAgeSeconds * 1000 + 30_000);
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
    signing: effectiveSigning(spec),
    rotation: effectiveRotation(spec),
  };
}

// The CRD refuses what does not parse and a default above the max; an object stored before that
// rule falls back to the defaults, and the default never exceeds the max.
function effectiveSigning(spec: AuthServerSpec): EffectiveSigning {
  const s = spec.signing ?? {};
  const positive = (value: string | undefined, fallback: string): number => {
    const ms = value === undefined ? undefined : parseDuration(value);
    return ms !== undefined && ms > 0 ? ms : (parseDuration(fallback) ?? 0);
  };
  const maxTokenLifetimeMs = positive(s.maxTokenLifetime, DEFAULT_MAX_TOKEN_LIFETIME);
  return {
    enabled: s.enabled ?? false,
    maxTokenLifetimeMs,
    defaultTokenLifetimeMs: Math.min(positive(s.defaultTokenLifetime, DEFAULT_TOKEN_LIFETIME), maxTokenLifetimeMs),
    allowKeysetExport: s.allowKeysetExport ?? false,
  };
}

// The CRD refuses what does not parse and a publishAhead not under period; an object stored before
// those rules gets the defaults for what does not parse, and no schedule for a period that does not.
function effectiveRotation(spec: AuthServerSpec): EffectiveRotation {
  const r = spec.tokenSignature.rotation;
  const read = (value: string | undefined): number | undefined => {
    const ms = value === undefined ? undefined : parseDuration(value);
    return ms !== undefined && ms >= 0 ? ms : undefined;
  };
  const period = read(r?.period);
  return {
    configured: r !== undefined,
    periodMs: period !== undefined && period > 0 ? period : undefined,
    publishAheadMs: read(r?.publishAhead) ?? defaultPublishAheadMs(spec.jwks?.cacheMaxAgeSeconds ?? DEFAULT_CACHE_MAX_AGE_SECONDS),
    retainForMs: read(r?.retainFor) ?? (parseDuration(DEFAULT_RETAIN_FOR) ?? 0),
  };
}
