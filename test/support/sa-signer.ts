// The cluster's service-account issuer under test (docs/architecture.md#the-service-account-issuer): a second kube-apiserver of the test
// control plane (same etcd, its own port) whose service-account tokens are signed by Signet over
// --service-account-signing-endpoint, or, for the migration, by key files; and what a user does
// with it: TokenRequest, TokenReview, SelfSubjectReview, /openid/v1/jwks, discovery.
import { spawn } from 'node:child_process';
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { apiServerArgs, binaries, freePort, readControlPlane, spawnReaper, stopControlPlane } from '../controlplane/controlplane.js';
import { eventually } from './eventually.js';
import { kubeConfig } from './kube.js';

export interface SignerApiServer {
  server: string;
  /** The CA (its self-signed serving certificate) a client trusts the API server with. */
  caFile: string;
  logFile: string;
  /** A kubeconfig (the admin's) that talks to this API server: for a Signet that reads from the API server it signs for. */
  kubeconfig: string;
  /** JSON request as the admin (or with `token`). */
  request(method: string, path: string, body?: unknown, token?: string): Promise<Answer>;
  /** TokenRequest for namespace/serviceaccount: the token, or the failed answer. */
  tokenRequest(namespace: string, serviceAccount: string, expirationSeconds?: number): Promise<{ status: number; token?: string; message?: string }>;
  /** TokenReview: whether the API server accepts the token, and as whom. */
  tokenReview(token: string): Promise<{ authenticated: boolean; username?: string; error?: string }>;
  /** SelfSubjectReview with the token as the bearer: the username, or the status (401). */
  whoami(token: string): Promise<{ status: number; username?: string }>;
  jwks(): Promise<{ keys: Array<Record<string, string>> }>;
  /** Stops it (SIGTERM) and starts it again with the same flags and port. */
  restart(mode?: SignerMode): Promise<void>;
  /** Stops it (SIGTERM), keeping its port and data for up(). */
  down(): Promise<void>;
  /** Starts it again after down(), with the same flags and port. */
  up(mode?: SignerMode): Promise<void>;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
  /** The body as JSON, as the API documents it (undefined when it is not JSON). */
  json: Json;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the answers' shapes are the Kubernetes API's, read as JSON
type Json = Record<string, any> | undefined;

/** Signet's socket, or key files (before a migration). */
export type SignerMode = { socket: string } | { keyFile: string; pubFile: string };

interface ControlPlaneFiles {
  etcdURL: string;
  pki: string;
  ca: string;
  adminToken: string;
}

function controlPlaneFiles(): ControlPlaneFiles {
  const cpDir = dirname(process.env.KUBECONFIG ?? '');
  const cp = readControlPlane(cpDir);
  if (!cp) throw new Error(`no test control plane in ${cpDir}: run under the jest project "integration"`);
  const pki = join(cpDir, 'pki');
  return { etcdURL: cp.etcdURL, pki, ca: readFileSync(join(pki, 'serving.crt'), 'utf8'), adminToken: readFileSync(join(pki, 'tokens.csv'), 'utf8').split(',')[0] ?? '' };
}

/** The control plane's flags without its own service-account key files and issuer, with these instead. */
function args(cp: ControlPlaneFiles, port: number, issuer: string, mode: SignerMode, extra: string[]): string[] {
  const own = /^--service-account-(key-file|signing-key-file|issuer)=/;
  const signer = 'socket' in mode
    ? [`--service-account-signing-endpoint=${mode.socket}`]
    : [`--service-account-key-file=${mode.pubFile}`, `--service-account-signing-key-file=${mode.keyFile}`];
  return [...apiServerArgs(cp.etcdURL, port, cp.pki).filter((a) => !own.test(a)), `--service-account-issuer=${issuer}`, ...signer, ...extra];
}

function call(url: string, ca: string, method: string, token: string, body?: unknown, accept = 'application/json'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method, ca, timeout: 30_000, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: accept } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: Json;
        try { json = JSON.parse(text) as Json; } catch { json = undefined; }
        resolve({ status: res.statusCode ?? 0, body: text, json });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/**
 * Starts the API server and waits for /readyz. `--request-timeout=15s` so that a TokenRequest to
 * an absent signer fails in a test's time (the API server waits for the socket until then).
 * `port`: for an issuer that is the API server's own URL (https://127.0.0.1:PORT).
 */
export async function startSignerApiServer(opts: { issuer: string; mode: SignerMode; extraArgs?: string[]; port?: number }): Promise<SignerApiServer> {
  const cp = controlPlaneFiles();
  const dataDir = mkdtempSync(join(tmpdir(), 'signet-sa-apiserver-'));
  const port = opts.port ?? await freePort();
  const logFile = join(dataDir, 'kube-apiserver.log');
  const extra = ['--request-timeout=15s', ...(opts.extraArgs ?? [])];
  const handle = { pgids: [0], dataDir };
  const server = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dataDir, 'kubeconfig');
  const admin = kubeConfig();
  const own = new KubeConfig();
  own.loadFromOptions({ clusters: admin.clusters.map((c) => ({ ...c, server })), users: admin.users, contexts: admin.contexts, currentContext: admin.currentContext });
  writeFileSync(kubeconfig, own.exportConfig(), { mode: 0o600 });
  const start = async (mode: SignerMode): Promise<void> => {
    const log = openSync(logFile, 'a');
    const c = spawn(join(binaries(), 'kube-apiserver'), args(cp, port, opts.issuer, mode, extra), { stdio: ['ignore', log, log], detached: true });
    handle.pgids = [c.pid ?? 0];
    spawnReaper({ ...handle }, process.pid);
    try {
      await eventually(async () => {
        if (c.exitCode !== null) throw new Error(`kube-apiserver exited with ${c.exitCode}`);
        return (await call(`${server}/readyz`, cp.ca, 'GET', cp.adminToken).catch(() => ({ status: 0 }))).status === 200;
      }, { what: 'the signer-backed kube-apiserver /readyz', timeoutMs: 90_000, intervalMs: 200 });
    } catch (err) {
      const tail = readFileSync(logFile, 'utf8').split('\n').filter((l) => /signer|sign|error|E\d{4}/i.test(l)).slice(-15).join('\n');
      throw new Error(`${(err as Error).message}\n${tail}`, { cause: err });
    }
  };
  const stopProcess = async (): Promise<void> => {
    await stopControlPlane(handle, { removeData: false });
    // A pgid once ours may be reused: never signal it again.
    handle.pgids = [0];
  };
  const api: SignerApiServer = {
    server,
    caFile: join(cp.pki, 'serving.crt'),
    logFile,
    kubeconfig,
    request: (method, path, body, token) => call(`${server}${path}`, cp.ca, method, token ?? cp.adminToken, body),
    async tokenRequest(namespace, serviceAccount, expirationSeconds = 600) {
      const res = await api.request('POST', `/api/v1/namespaces/${namespace}/serviceaccounts/${serviceAccount}/token`, {
        apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds },
      });
      const answer = res.json as { status?: { token?: string }; message?: string } | undefined;
      return res.status === 201 ? { status: res.status, token: String(answer?.status?.token) } : { status: res.status, message: answer?.message ?? res.body };
    },
    async tokenReview(token) {
      const res = await api.request('POST', '/apis/authentication.k8s.io/v1/tokenreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
      if (res.status !== 201) throw new Error(`TokenReview answered ${res.status}: ${res.body}`);
      const st = (res.json as { status?: { authenticated?: boolean; user?: { username?: string }; error?: string } } | undefined)?.status ?? {};
      return { authenticated: st.authenticated === true, ...(st.user?.username && { username: st.user.username }), ...(st.error && { error: st.error }) };
    },
    async whoami(token) {
      const res = await api.request('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' }, token);
      const review = res.json as { status?: { userInfo?: { username?: string } } } | undefined;
      return res.status === 201 ? { status: res.status, ...(review?.status?.userInfo?.username !== undefined && { username: review.status.userInfo.username }) } : { status: res.status };
    },
    async jwks() {
      const res = await call(`${server}/openid/v1/jwks`, cp.ca, 'GET', cp.adminToken, undefined, 'application/jwk-set+json');
      if (res.status !== 200) throw new Error(`/openid/v1/jwks answered ${res.status}: ${res.body}`);
      return res.json as { keys: Array<Record<string, string>> };
    },
    async restart(mode = opts.mode) {
      await stopProcess();
      await start(mode);
    },
    down: stopProcess,
    async up(mode = opts.mode) {
      await start(mode);
    },
    async stop() {
      await stopControlPlane(handle, { removeData: true });
    },
  };
  await start(opts.mode);
  return api;
}

/** The claims and header of a compact JWS, unverified. */
export function decodeJwt(token: string): { header: Record<string, string>; claims: Record<string, unknown> } {
  const [h = '', p = ''] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), claims: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}
