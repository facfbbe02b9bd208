// The Reviewer of access.ts against the API server: a TokenReview (audiences from
// --signing-token-audience) and a SubjectAccessReview on the AuthServer. These are creates that
// every replica makes (every replica signs), so the client has no leader write guard.
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig, type V1TokenReviewStatus } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../api/types.js';
import { makeApiClient } from '../kube/client.js';
import type { AccessRequest, Authentication, Identity, Reviewer } from './access.js';

/** A request waits at most this long for either review. */
export const REVIEW_TIMEOUT_MS = 5_000;

/**
 * The caller a TokenReview answer names. With audiences asked for, the answer must name one of them
 * in status.audiences: an authenticator that is not audience-aware may authenticate a token meant
 * for someone else, and the API asks clients to check (issue 20, point 4).
 */
export function reviewedCaller(status: V1TokenReviewStatus | undefined, audiences: readonly string[]): Authentication {
  const user = status?.user;
  if (!status?.authenticated || !user?.username) return { authenticated: false };
  if (audiences.length > 0 && !(status.audiences ?? []).some((a) => audiences.includes(a))) {
    return { authenticated: false, problem: `the bearer token is not for this service: it must be issued for the audience ${audiences.map((a) => `"${a}"`).join(' or ')}` };
  }
  return {
    authenticated: true,
    user: { username: user.username, groups: user.groups ?? [], ...(user.uid && { uid: user.uid }), ...(user.extra && { extra: user.extra }) },
  };
}

export function kubeReviewer(kc: KubeConfig, audiences: readonly string[]): Reviewer {
  const authn = makeApiClient(kc, AuthenticationV1Api, { timeoutMs: REVIEW_TIMEOUT_MS });
  const authz = makeApiClient(kc, AuthorizationV1Api, { timeoutMs: REVIEW_TIMEOUT_MS });
  return {
    async authenticate(token: string): Promise<Authentication> {
      const review = await authn.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length > 0 && { audiences: [...audiences] }) } },
      });
      return reviewedCaller(review.status, audiences);
    },
    async authorize(user: Identity, request: AccessRequest): Promise<boolean> {
      const review = await authz.createSubjectAccessReview({
        body: {
          apiVersion: 'authorization.k8s.io/v1',
          kind: 'SubjectAccessReview',
          spec: {
            user: user.username,
            groups: user.groups,
            ...(user.uid && { uid: user.uid }),
            ...(user.extra && { extra: user.extra }),
            resourceAttributes: { group: GROUP, resource: PLURAL, subresource: request.subresource, verb: request.verb, namespace: request.namespace, name: request.name },
          },
        },
      });
      return review.status?.allowed === true && review.status.denied !== true;
    },
  };
}
