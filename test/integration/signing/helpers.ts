// ServiceAccounts with real tokens (TokenRequest), real RBAC on authservers/sign and
// authservers/keyset, and requests to the signing listener, for the signing tests.
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SignJWT } from 'jose';
import { clients } from '../../support/kube.js';

const c = clients();
const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);

/** Creates a ServiceAccount and returns a TokenRequest token for it (the API server's own audience). */
export async function serviceAccountToken(namespace: string, name: string, audiences: string[] = []): Promise<string> {
  await c.core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
  const review = await c.core.createNamespacedServiceAccountToken({
    namespace, name, body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences, expirationSeconds: 3600 } },
  });
  const token = review.status?.token;
  if (!token) throw new Error(`no token for ServiceAccount ${namespace}/${name}`);
  return token;
}

/**
 * A token signed the way the API server signs ServiceAccount tokens (its own key, issuer and
 * audience), expiring `expiresInSeconds` from now: negative for what a stolen token looks like
 * after its lifetime, positive for the same token while it is valid (the control).
 */
export async function serviceAccountTokenExpiringIn(namespace: string, name: string, expiresInSeconds: number): Promise<string> {
  const kubeconfig = process.env.KUBECONFIG ?? '';
  const key = createPrivateKey(readFileSync(join(dirname(kubeconfig), 'pki', 'sa.key')));
  const now = Math.floor(Date.now() / 1000);
  const sa = await c.core.readNamespacedServiceAccount({ namespace, name });
  return new SignJWT({ 'kubernetes.io': { namespace, serviceaccount: { name, uid: sa.metadata?.uid } } })
    .setProtectedHeader({ alg: 'RS256' })
    .setIssuer('https://kubernetes.default.svc').setAudience(['https://kubernetes.default.svc'])
    .setSubject(`system:serviceaccount:${namespace}:${name}`)
    .setIssuedAt(now - 700).setNotBefore(now - 700).setExpirationTime(now + expiresInSeconds).setJti(randomBytes(8).toString('hex'))
    .sign(key);
}

/**
 * Lets a ServiceAccount sign with (create on authservers/sign) and, optionally, export the keyset
 * of (create on authservers/keyset) the named AuthServers only: the resourceNames binding docs/signing.md describes.
 */
export async function grant(namespace: string, serviceAccount: string, sign: string[], keyset: string[] = []): Promise<void> {
  const name = `signer-${serviceAccount}`;
  await rbac.createNamespacedRole({
    namespace,
    body: {
      metadata: { name },
      rules: [
        { apiGroups: ['signet.dev'], resources: ['authservers/sign'], verbs: ['create'], resourceNames: sign },
        ...(keyset.length > 0 ? [{ apiGroups: ['signet.dev'], resources: ['authservers/keyset'], verbs: ['create'], resourceNames: keyset }] : []),
      ],
    },
  });
  await rbac.createNamespacedRoleBinding({
    namespace,
    body: {
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name: serviceAccount, namespace }],
    },
  });
}

export interface Reply {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** A request to the signing listener; `body` is sent as JSON unless it is a string. */
export async function call(port: number, path: string, opts: { token?: string | undefined; body?: unknown; method?: string; contentType?: string } = {}): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (opts.token !== undefined) headers.Authorization = `Bearer ${opts.token}`;
  const hasBody = opts.body !== undefined;
  if (hasBody) headers['Content-Type'] = opts.contentType ?? 'application/json';
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: opts.method ?? (hasBody ? 'POST' : 'GET'),
    headers,
    ...(hasBody ? { body: typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}
