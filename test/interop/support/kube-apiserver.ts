// A second kube-apiserver of the test control plane (same etcd, its own port) whose
// --authentication-config trusts Signet issuers through the structured JWT authenticator, and the
// SelfSubjectReview that asks it who a token belongs to.
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { apiServerArgs, binaries, freePort, readControlPlane, spawnReaper, stopControlPlane } from '../../controlplane/controlplane.js';
import { eventually } from '../../support/eventually.js';

export interface JwtIssuer {
  url: string;
  audience: string;
  caPem: string;
  /** Prepended to the token's sub: the username the authenticator maps. */
  usernamePrefix: string;
}

export interface JwtApiServer {
  server: string;
  logFile: string;
  /** POSTs a SelfSubjectReview with the token: 201 and the username, or the status (401). */
  review(token: string): Promise<{ status: number; username?: string }>;
  stop(): Promise<void>;
}

/** The AuthenticationConfiguration (apiserver.config.k8s.io/v1) a platform engineer writes for these issuers. */
export function authenticationConfiguration(issuers: JwtIssuer[]): string {
  return stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'AuthenticationConfiguration',
    jwt: issuers.map((i) => ({
      issuer: { url: i.url, audiences: [i.audience], certificateAuthority: i.caPem },
      claimMappings: { username: { claim: 'sub', prefix: i.usernamePrefix } },
    })),
  });
}

function post(url: string, ca: string, token: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, timeout: 10_000, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`POST ${url} timed out`)));
    req.end(body);
  });
}

/**
 * Starts the API server against the running test control plane (KUBECONFIG) and waits for /readyz.
 * `issuers`, or an AuthenticationConfiguration document as it is (`kubectl signet authn-config`).
 */
export async function startJwtApiServer(issuers: JwtIssuer[] | string): Promise<JwtApiServer> {
  const cpDir = dirname(process.env.KUBECONFIG ?? '');
  const cp = readControlPlane(cpDir);
  if (!cp) throw new Error(`no test control plane in ${cpDir}: the interop suite runs under its jest project`);
  const pki = join(cpDir, 'pki');
  const ca = readFileSync(join(pki, 'serving.crt'), 'utf8');
  const adminToken = readFileSync(join(pki, 'tokens.csv'), 'utf8').split(',')[0] ?? '';
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-interop-apiserver-'));
  const authConfig = join(dataDir, 'authentication-config.yaml');
  writeFileSync(authConfig, typeof issuers === 'string' ? issuers : authenticationConfiguration(issuers));
  const port = await freePort();
  const logFile = join(dataDir, 'kube-apiserver.log');
  const log = openSync(logFile, 'a');
  // The flags of the control plane's own API server, with the JWT authenticator added.
  const child = spawn(join(binaries(), 'kube-apiserver'), [
    ...apiServerArgs(cp.etcdURL, port, pki),
    `--authentication-config=${authConfig}`,
  ], { stdio: ['ignore', log, log], detached: true });
  const handle = { pgids: [child.pid ?? 0], dataDir };
  spawnReaper({ ...cp, ...handle }, process.pid);
  const server = `https://127.0.0.1:${port}`;
  const api: JwtApiServer = {
    server,
    logFile,
    async review(token) {
      const res = await post(`${server}/apis/authentication.k8s.io/v1/selfsubjectreviews`, ca, token, JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }));
      if (res.status !== 201) return { status: res.status };
      const review = JSON.parse(res.body) as { status?: { userInfo?: { username?: string } } };
      return { status: res.status, username: review.status?.userInfo?.username };
    },
    stop: () => stopControlPlane(handle, { removeData: true }),
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`kube-apiserver exited with ${child.exitCode}`);
      return new Promise<boolean>((resolve) => {
        https.get(`${server}/readyz`, { ca, headers: { Authorization: `Bearer ${adminToken}` }, timeout: 2000 }, (res) => {
          res.resume();
          resolve(res.statusCode === 200);
        }).on('error', () => resolve(false));
      });
    }, { what: 'the second kube-apiserver /readyz', timeoutMs: 90_000, intervalMs: 200 });
  } catch (err) {
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    await api.stop();
    throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
  }
  return api;
}
