// Whether the kube-apiserver's structured JWT authenticator (AuthenticationConfiguration `jwt[]`,
// GA in Kubernetes 1.34), the most common consumer of an issuer in a cluster, can use an
// AuthServer. It accepts only an https issuer, finds the keys through
// {issuer}/.well-known/openid-configuration, and verifies only the algorithms the algorithm table
// marks kubeAuthenticator (src/api/algorithms.ts). docs/kube-apiserver.md explains.
import { acceptedBy } from './algorithms.js';
import type { Algorithm, AuthServerStatus, KeyStatus } from './types.js';

const KUBE_AUTHENTICATOR_ALGORITHMS: readonly Algorithm[] = acceptedBy('kubeAuthenticator');

export interface KubeAuthenticatorInput {
  issuerURI: string;
  discoveryEnabled: boolean;
  /** The key that signs, when one is resolved. */
  signingKey?: Pick<KeyStatus, 'secretName' | 'algorithm'> | undefined;
}

/** What keeps the kube-apiserver from trusting this issuer, each saying how to fix it; empty when nothing does. */
export function kubeAuthenticatorProblems(input: KubeAuthenticatorInput): string[] {
  const problems: string[] = [];
  if (!URL.canParse(input.issuerURI) || new URL(input.issuerURI).protocol !== 'https:') {
    problems.push(`spec.issuerURI "${input.issuerURI}" is not https, and the authenticator accepts only https issuers; serve the issuer over https`);
  }
  if (!input.discoveryEnabled) {
    problems.push('spec.discovery.enabled is false, and the authenticator finds the keys through the discovery document; set it to true');
  }
  const key = input.signingKey;
  if (key && !KUBE_AUTHENTICATOR_ALGORITHMS.includes(key.algorithm)) {
    problems.push(`the signing key in Secret "${key.secretName}" is ${key.algorithm}, which the authenticator does not verify (it accepts RS, PS and ES algorithms); sign with an RS256 or ES256 key`);
  }
  return problems;
}

/**
 * The problems to announce: those of `current` that the previous status did not already show, so
 * that an unchanged problem is announced once. Status does not record spec.discovery, so after a
 * spec edit a disabled discovery counts as new again.
 */
export function newKubeAuthenticatorProblems(previous: AuthServerStatus, generation: number, current: KubeAuthenticatorInput): string[] {
  const known = previous.issuerURI === undefined ? [] : kubeAuthenticatorProblems({
    issuerURI: previous.issuerURI,
    discoveryEnabled: previous.observedGeneration === generation ? current.discoveryEnabled : true,
    signingKey: previous.keys?.find((k) => k.role === 'SignAndVerify'),
  });
  return kubeAuthenticatorProblems(current).filter((p) => !known.includes(p));
}
