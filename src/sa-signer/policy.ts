// What makes an AuthServer usable as the cluster's service-account issuer (docs/architecture.md#the-service-account-issuer), as pure
// functions: the reconciler reports the problems in the AuthServer's Ready condition, and the
// signer keeps serving its last good keyring while there are any.
import type { EffectiveSpec } from '../api/defaults.js';
import { formatDuration } from '../api/duration.js';
import { acceptedBy } from '../api/algorithms.js';
import type { Problem } from '../api/result.js';
import type { Algorithm, Reason } from '../api/types.js';

/** The algorithms the kube-apiserver accepts from an external signer (k8s.io/externaljwt apis/v1). */
const KUBE_APISERVER_ALGORITHMS: readonly Algorithm[] = acceptedBy('kubeExternalSigner');
/** The kube-apiserver refuses to start below this Metadata.max_token_expiration_seconds. */
export const MIN_MAX_TOKEN_EXPIRATION_SECONDS = 600;

export type IssuerProblem = Problem<Reason>;

/** A key the issuer would publish or sign with: the signing ref's, its next key, the verify refs'. */
export interface CandidateKey {
  secretName: string;
  kid: string;
  algorithm: Algorithm;
}

export interface IssuerCheckInput {
  /** namespace/name, for messages. */
  authServer: string;
  spec: EffectiveSpec;
  keys: readonly CandidateKey[];
  /** The issuer the kube-apiserver puts in the tokens it asks Signet to sign, once one was asked. */
  observedIssuer: string | undefined;
}

export function issuerProblems(input: IssuerCheckInput): IssuerProblem[] {
  const { spec, authServer } = input;
  const problems: IssuerProblem[] = [];
  if (input.observedIssuer !== undefined && input.observedIssuer !== spec.issuerURI) {
    problems.push({
      reason: 'ServiceAccountIssuerMismatch',
      message: `the kube-apiserver asks Signet to sign service-account tokens for issuer "${input.observedIssuer}" (its --service-account-issuer), ` +
        `but AuthServer ${authServer} (--service-account-issuer) has issuerURI "${spec.issuerURI}": make the two the same; Signet refuses to sign until they are`,
    });
  }
  const accepted = KUBE_APISERVER_ALGORITHMS.join(', ');
  for (const k of input.keys) {
    if (KUBE_APISERVER_ALGORITHMS.includes(k.algorithm)) continue;
    problems.push({
      reason: 'AlgorithmNotAcceptedByKubeAPIServer',
      message: `Secret "${k.secretName}" holds a ${k.algorithm} key (kid "${k.kid}"), but the kube-apiserver accepts only ${accepted} from an external signer: ` +
        'use an RSA or ECDSA key (set spec.tokenSignature.keyGeneration.algorithm for generated keys)',
    });
  }
  if (!KUBE_APISERVER_ALGORITHMS.includes(spec.keyGeneration.algorithm)) {
    problems.push({
      reason: 'AlgorithmNotAcceptedByKubeAPIServer',
      message: `spec.tokenSignature.keyGeneration.algorithm is ${spec.keyGeneration.algorithm}, but the kube-apiserver accepts only ${accepted} from an external signer: choose one of them`,
    });
  }
  const maxMs = spec.signing.maxTokenLifetimeMs;
  if (maxMs < MIN_MAX_TOKEN_EXPIRATION_SECONDS * 1000) {
    problems.push({
      reason: 'TokenLifetimeTooShort',
      message: `spec.signing.maxTokenLifetime is ${formatDuration(maxMs)}, but the kube-apiserver needs an external signer to allow tokens of at least 10m: set it to 10m or more`,
    });
  }
  if (spec.rotation.retainForMs < maxMs) {
    problems.push({
      reason: 'RetentionTooShort',
      message: `spec.tokenSignature.rotation.retainFor is ${formatDuration(spec.rotation.retainForMs)}, shorter than spec.signing.maxTokenLifetime (${formatDuration(maxMs)}), ` +
        `the longest service-account token the kube-apiserver issues: a replaced key would leave before the tokens it signed expire; set retainFor to at least ${formatDuration(maxMs)}`,
    });
  }
  return problems;
}

/** The key that signs: its private half, and when it was first published. */
export interface SignerChoice {
  kid: string;
  publishedSinceMs: number;
}

/**
 * Which key signs, given the one this instance signed with before and the AuthServer's Active key
 * now. Every instance signs with the Active key it last saw and never with one that its own
 * kube-apiserver has had for less than publishAhead while the previous key can still be verified:
 * the wait runs from the later of the key's publishedSince and the first FetchKeys answer of this
 * instance that held it (`fetchedSinceMs`; undefined: not fetched yet, so no wait can end), since an
 * instance that was down when the leader published it gave its API server nothing to publish. A
 * previous key that left the keyring (an emergency rotation, a removed ref) gives way at once.
 * `recheckAtMs`: when the waiting key may sign (absent while it waits for a fetch).
 */
export function chooseSigner<K extends SignerChoice>(input: {
  previous: K | undefined;
  candidate: K | undefined;
  /** kids in the keyring now */
  verifiable: ReadonlySet<string>;
  nowMs: number;
  publishAheadMs: number;
  /** When this instance's kube-apiserver first fetched the candidate. */
  fetchedSinceMs: number | undefined;
}): { signer: K | undefined; recheckAtMs?: number } {
  const { previous, candidate, verifiable, nowMs, publishAheadMs, fetchedSinceMs } = input;
  const keepPrevious = previous !== undefined && verifiable.has(previous.kid) ? previous : undefined;
  if (candidate === undefined) return { signer: keepPrevious };
  if (keepPrevious === undefined || keepPrevious.kid === candidate.kid) return { signer: candidate };
  if (fetchedSinceMs === undefined) return { signer: keepPrevious };
  const due = Math.max(candidate.publishedSinceMs, fetchedSinceMs) + publishAheadMs;
  return due <= nowMs ? { signer: candidate } : { signer: keepPrevious, recheckAtMs: due };
}
