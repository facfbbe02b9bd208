// What the rotation tests share: reading the generated Secret as a workload that mounts it would,
// signing with its key.pem, and watching the JWKS, the Secret and the status over time.
import { createPublicKey } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, createRemoteJWKSet, exportJWK, importPKCS8, jwtVerify } from 'jose';
import type { AuthServer } from '../../../src/api/types.js';
import { getAuthServer } from '../../support/authservers.js';
import { clients } from '../../support/kube.js';
import { getJwks } from '../../support/operator.js';

const c = clients();

export interface SecretKeys {
  resourceVersion: string;
  /** The kid of key.pem and of next.key.pem (RFC 7638 thumbprints, as Signet publishes them). */
  active: string;
  next?: string;
  keyPem: string;
}

async function thumbprintOf(pem: string): Promise<string> {
  return calculateJwkThumbprint(await exportJWK(createPublicKey(pem)));
}

export async function readSecretKeys(namespace: string, name: string): Promise<SecretKeys | undefined> {
  const s = await c.core.readNamespacedSecret({ namespace, name }).catch(() => undefined);
  const data = s?.data ?? {};
  if (!data['key.pem']) return undefined;
  const keyPem = Buffer.from(data['key.pem'], 'base64').toString();
  const nextPem = data['next.key.pem'] ? Buffer.from(data['next.key.pem'], 'base64').toString() : undefined;
  return {
    resourceVersion: s?.metadata?.resourceVersion ?? '', active: await thumbprintOf(keyPem), keyPem,
    ...(nextPem ? { next: await thumbprintOf(nextPem) } : {}),
  };
}

/** Signs a token with the Secret's key.pem, as a workload that mounts the Secret does. */
export async function signWith(keys: SecretKeys, alg: string, issuer: string): Promise<string> {
  const key = await importPKCS8(keys.keyPem, alg);
  return new SignJWT({ sub: 'workload' }).setProtectedHeader({ alg, kid: keys.active }).setIssuer(issuer).setIssuedAt().setExpirationTime('2m').sign(key);
}

export function jwksPath(namespace: string, name: string): string {
  return `/authservers/${namespace}/${name}/oauth2/jwks`;
}

/**
 * jose's remote JWKS, caching as long as the issuer's max-age allows. With `cooldownMs` 0 it
 * refetches on any unknown kid; with the max-age it does not before its cache is stale, as a
 * verifier that honours Cache-Control does, so a key that signed before it was published fails.
 */
export function remoteVerifier(port: number, path: string, cacheMaxAgeMs: number, issuer: string, cooldownMs = 0): (token: string) => Promise<string> {
  const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${port}${path}`), { cacheMaxAge: cacheMaxAgeMs, cooldownDuration: cooldownMs });
  return async (token) => String((await jwtVerify(token, jwks, { issuer })).protectedHeader.kid);
}

export async function servedKids(port: number, path: string): Promise<string[]> {
  const res = await getJwks(port, path).catch(() => undefined);
  return (res?.keys ?? []).map((k) => String(k.kid));
}

export async function statusOf(namespace: string, name: string): Promise<AuthServer['status']> {
  return (await getAuthServer(namespace, name)).status;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
