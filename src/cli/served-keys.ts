// The keys an AuthServer serves, fetched from outside the cluster: from --jwks-url, else from
// status.jwksURI when this machine reaches it, else through the API server's service proxy to
// Signet's Service (/authservers/{namespace}/{name}/oauth2/jwks, docs/architecture.md#serving). The public halves in
// status.retiredKeys are added, so a retired key is known even when no JWKS could be fetched.
import http from 'node:http';
import https from 'node:https';
import type { JWK } from 'jose';
import type { Cluster } from './context.js';
import { hostIndependentJwksPath } from '../api/route.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { AuthServer } from '../api/types.js';
import { keyRows } from './view.js';
import type { ServedKey } from './token-check.js';

export interface FetchedKeys {
  keys: ServedKey[];
  /** Where the JWKS came from, or "" when only status was available. */
  source: string;
  /** What was tried and failed, for the message when nothing was reachable. */
  attempts: string[];
}

const TIMEOUT_MS = 3000;

function getText(url: string, ca: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : u.protocol === 'http:' ? http : undefined;
    if (!lib) {
      reject(new Error(`unsupported scheme ${u.protocol}`));
      return;
    }
    const req = lib.get(u, { timeout: TIMEOUT_MS, ...(ca ? { ca } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(`HTTP ${res.statusCode}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}

function parseJwks(text: string): JWK[] {
  const doc = JSON.parse(text) as { keys?: unknown };
  if (!Array.isArray(doc.keys)) throw new Error('the answer is not a JWK set ({"keys": [...]})');
  return doc.keys as JWK[];
}

/** Signet's JWKS Service, through the API server (the chart labels its objects part-of=signet). */
async function viaServiceProxy(cluster: Cluster, as: AuthServer): Promise<{ text: string; source: string }> {
  const services = await cluster.core.listServiceForAllNamespaces({ labelSelector: 'app.kubernetes.io/part-of=signet' });
  const svc = services.items.find((s) => s.spec?.ports?.some((p) => p.name === 'http'));
  if (!svc?.metadata?.name || !svc.metadata.namespace) throw new Error('no Service labelled app.kubernetes.io/part-of=signet with a port named http');
  // The proxy path is relative to the Service: no leading slash.
  const path = hostIndependentJwksPath(as.metadata.namespace ?? '', as.metadata.name ?? '').slice(1);
  const text = await cluster.core.connectGetNamespacedServiceProxyWithPath({ name: `${svc.metadata.name}:http`, namespace: svc.metadata.namespace, path });
  return { text: typeof text === 'string' ? text : JSON.stringify(text), source: `service ${svc.metadata.namespace}/${svc.metadata.name} via the API server: /${path}` };
}

export async function servedKeys(cluster: Cluster, as: AuthServer, opts: { jwksUrl?: string; caFile?: string; ca?: string }): Promise<FetchedKeys> {
  const attempts: string[] = [];
  let jwks: JWK[] | undefined;
  let source = '';
  const urls = opts.jwksUrl ? [opts.jwksUrl] : as.status?.jwksURI ? [as.status.jwksURI] : [];
  for (const url of urls) {
    try {
      jwks = parseJwks(await getText(url, opts.ca));
      source = url;
    } catch (err) {
      attempts.push(`${url}: ${(err as Error).message}`);
    }
  }
  if (!jwks && !opts.jwksUrl) {
    try {
      const got = await viaServiceProxy(cluster, as);
      jwks = parseJwks(got.text);
      source = got.source;
    } catch (err) {
      attempts.push(`Signet's Service through the API server: ${apiErrorMessage(err)}`);
    }
  }
  const rows = keyRows(as);
  const known = (kid: string | undefined): { state: string; secretName: string } => {
    const r = rows.find((x) => x.kid === kid);
    return { state: r?.state ?? '', secretName: r?.secretName ?? '' };
  };
  const keys: ServedKey[] = (jwks ?? []).map((jwk) => ({ jwk, ...known(jwk.kid) }));
  for (const r of as.status?.retiredKeys ?? []) {
    if (r.jwk && !keys.some((k) => k.jwk.kid === r.kid)) keys.push({ jwk: r.jwk, state: 'Retired', secretName: r.secretName ?? '' });
  }
  return { keys, source, attempts };
}
