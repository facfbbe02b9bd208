// The Reviewer of access.ts against the API server: a TokenReview (audiences from
// --signing-token-audience) and a SubjectAccessReview on the AuthServer. These are creates that
// every replica makes (every replica signs), so the client has no leader write guard.
import { AuthenticationV1Api, AuthorizationV1Api, type KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL } from '../api/types.js';
import { makeApiClient } from '../kube/client.js';
import type { AccessRequest, Authentication, Identity, Reviewer } from './access.js';

/** A request waits at most this long for either review. */
export const REVIEW_TIMEOUT_MS = 5_000;

export function kubeReviewer(kc: KubeConfig, audiences: readonly string[]): Reviewer {
  const authn = makeApiClient(kc, AuthenticationV1Api, { timeoutMs: REVIEW_TIMEOUT_MS });
  const authz = makeApiClient(kc, AuthorizationV1Api, { timeoutMs: REVIEW_TIMEOUT_MS });
  return {
    async authenticate(token: string): Promise<Authentication> {
      const review = await authn.createTokenReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token, ...(audiences.length > 0 && { audiences: [...audiences] }) } },
      });
      const status = review.status;
      const user = status?.user;
      if (!status?.authenticated || !user?.username) return { authenticated: false };
      return {
        authenticated: true,
        user: { username: user.username, groups: user.groups ?? [], ...(user.uid && { uid: user.uid }), ...(user.extra && { extra: user.extra }) },
      };
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
