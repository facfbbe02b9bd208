// The issuer's keyring as the kube-apiserver sees it (docs/architecture.md#the-service-account-issuer): the keys FetchKeys returns (the
// Active key, the Next key, verify refs, retired keys until retiresAt, as PKIX DER), the key Sign
// uses, and what Metadata says. Built here, as a pure function, from what a reconcile of the
// issuer AuthServer decided; the state file (state-file.ts) keeps the same thing for cold starts.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { EffectiveSpec } from '../api/defaults.js';
import type { Algorithm, AuthServerStatus } from '../api/types.js';
import type { AnyLoadedKey, PublicJwk } from '../keys/types.js';

export interface KeyringKey {
  kid: string;
  alg: Algorithm;
  /** SubjectPublicKeyInfo, DER. */
  der: Buffer;
  /** A verify ref marked excludeFromDiscovery: verified, never published, never signs. */
  excludeFromDiscovery: boolean;
}

export interface Signer {
  kid: string;
  alg: Algorithm;
  privateKey: KeyObject;
  publishedSinceMs: number;
}

export interface Keyring {
  issuerURI: string;
  keys: KeyringKey[];
  /** Absent while there is no key that may sign. */
  signer?: Signer;
  maxTokenExpirationSeconds: number;
  refreshHintSeconds: number;
  publishAheadMs: number;
  /** When the keys last changed (FetchKeys' data_timestamp). */
  dataTimestampMs: number;
}

/** What a reconcile of the issuer AuthServer gives the keyring. */
export interface ReconciledIssuer {
  spec: EffectiveSpec;
  status: AuthServerStatus;
  /** The JWKs the AuthServer serves (document.keys). */
  served: readonly PublicJwk[];
  /** The loaded keys of the refs: the signing key's private half, the excluded verify refs' public one. */
  refs: ReadonlyArray<{ secretName: string; key: AnyLoadedKey | undefined }>;
}

function der(jwk: PublicJwk): Buffer {
  const { kty, n, e, crv, x, y } = jwk;
  return createPublicKey({ key: { kty, n, e, crv, x, y }, format: 'jwk' }).export({ type: 'spki', format: 'der' });
}

/**
 * The keyring a reconcile describes, before the signer rule (policy.ts chooseSigner): the keys in
 * order of docs/architecture.md#rotation, and the Active key with its private half as the candidate signer.
 */
export function keyringFrom(r: ReconciledIssuer): { keyring: Omit<Keyring, 'signer' | 'dataTimestampMs'>; candidate: Signer | undefined } {
  const excluded = new Set(r.spec.extraVerifyKeyRefs.filter((ref) => ref.excludeFromDiscovery).map((ref) => ref.name));
  const served = new Map(r.served.map((jwk) => [jwk.kid, jwk]));
  const keys: KeyringKey[] = [];
  let candidate: Signer | undefined;
  for (const k of r.status.keys ?? []) {
    const loaded = r.refs.find((ref) => ref.secretName === k.secretName && ref.key?.kid === k.kid)?.key;
    const isExcluded = k.state === 'Verify' && excluded.has(k.secretName);
    const jwk = isExcluded ? loaded?.publicJwk : served.get(k.kid);
    if (!jwk || keys.some((e) => e.kid === k.kid)) continue;
    keys.push({ kid: k.kid, alg: k.algorithm, der: der(jwk), excludeFromDiscovery: isExcluded });
    if (k.state === 'Active' && loaded?.privateKey) {
      candidate = { kid: k.kid, alg: k.algorithm, privateKey: loaded.privateKey, publishedSinceMs: Date.parse(k.publishedSince) };
    }
  }
  return {
    keyring: {
      issuerURI: r.spec.issuerURI,
      keys,
      maxTokenExpirationSeconds: Math.floor(r.spec.signing.maxTokenLifetimeMs / 1000),
      refreshHintSeconds: Math.max(1, r.spec.cacheMaxAgeSeconds),
      publishAheadMs: r.spec.rotation.publishAheadMs,
    },
    candidate,
  };
}

/** Whether two keyrings give the kube-apiserver the same answers. */
export function sameKeyring(a: Keyring | undefined, b: Keyring | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  const { signer: sa, ...ra } = a;
  const { signer: sb, ...rb } = b;
  return sa?.kid === sb?.kid && isDeepStrictEqual(ra, rb);
}

/** Whether the published keys differ (so data_timestamp moves). */
export function sameKeys(a: readonly KeyringKey[], b: readonly KeyringKey[]): boolean {
  return a.length === b.length && a.every((k, i) => k.kid === b[i]?.kid && k.excludeFromDiscovery === b[i]?.excludeFromDiscovery && k.der.equals(b[i]?.der ?? Buffer.alloc(0)));
}
