// Raw requests with the kubeconfig's credentials, over the keep-alive Agent the generated clients
// share (client.ts), with the same deadline and write guard. For the list/watch requests, whose
// Accept header asks for PartialObjectMetadata (bounding the memory of watching Secrets; the
// generated client cannot set it), and for the two requests a reconcile makes per changed Secret
// (its GET and the status write): the generated client's request and object machinery cost more
// CPU than the request itself (docs/architecture.md#serving-while-secrets-churn).
import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { API_TIMEOUT_MS, DeadlineExceededError, keepAliveAgent, refuseUnwritable, sharedAgent } from './client.js';
import { SignetError } from '../api/errors.js';

export const ACCEPT_JSON = 'application/json';
export const ACCEPT_METADATA = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const ACCEPT_METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export class ApiError extends SignetError {
  override readonly code = 'ERR_SIGNET_KUBE_API';
  /** The response body (a Status object), as apiErrorMessage (errors.ts) reads it. */
  readonly body: string | undefined;
  constructor(readonly statusCode: number, message: string, body?: string) {
    super(message);
    this.body = body;
  }
}

/** Where the API server is, and the request options (the Authorization header, the keep-alive Agent). */
async function target(kc: KubeConfig, path: string): Promise<{ url: URL; lib: typeof http | typeof https; opts: https.RequestOptions }> {
  const { server, lib, opts } = await connection(kc);
  return { url: new URL(server + path), lib, opts };
}

interface Connection {
  server: string;
  lib: typeof http | typeof https;
  opts: https.RequestOptions;
}

/**
 * How long the credentials read from a kubeconfig are used before it is asked again: each time,
 * client-node reads the CA file and builds an Agent that is thrown away (two requests per changed
 * Secret), while a token it reads from a file (a projected ServiceAccount token) changes only
 * when client-node reads that file again, once a minute.
 */
const CONNECTION_TTL_MS = 1_000;
const connections = new WeakMap<KubeConfig, { until: number; connection: Promise<Connection> }>();

/** The kubeconfig's server and credentials, asked of it at most once per CONNECTION_TTL_MS (requests at once share one ask). */
function connection(kc: KubeConfig): Promise<Connection> {
  const known = connections.get(kc);
  if (known && performance.now() < known.until) return known.connection;
  const asked = { until: performance.now() + CONNECTION_TTL_MS, connection: readConnection(kc) };
  connections.set(kc, asked);
  asked.connection.catch(() => {
    if (connections.get(kc) === asked) connections.delete(kc);
  });
  return asked.connection;
}

async function readConnection(kc: KubeConfig): Promise<Connection> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const creds: https.RequestOptions = { headers: {} };
  await kc.applyToHTTPSOptions(creds);
  const secure = !server.startsWith('http:');
  const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = creds;
  // The TLS options stay with the Agent: on each request they would only make its pool key long.
  const agent = creds.agent === undefined || creds.agent === false
    ? keepAliveAgent(kc, secure, { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername })
    : sharedAgent(kc, creds.agent) ?? creds.agent;
  return { server: server.replace(/\/$/, ''), lib: secure ? https : http, opts: { headers: creds.headers, agent } };
}

/** Resolves with the response once its headers arrived, which must be within API_TIMEOUT_MS. */
async function request(kc: KubeConfig, path: string, accept: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const { url, lib, opts } = await target(kc, path);
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...opts, headers: { ...opts.headers, Accept: accept }, method: 'GET', signal }, (res) => {
      clearTimeout(deadline);
      if (res.statusCode === 200) return resolve(res);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 4096) body += c; });
      res.on('end', () => reject(new ApiError(res.statusCode ?? 0, `GET ${url.pathname}: ${res.statusCode} ${body.slice(0, 300)}`, body)));
      res.on('error', reject);
    });
    // A watch then stays open as long as events come (the informer restarts a silent one).
    const deadline = setTimeout(() => req.destroy(new DeadlineExceededError(`GET ${url.pathname}: no answer from the API server within ${API_TIMEOUT_MS} ms`)), API_TIMEOUT_MS);
    req.on('error', (err) => { clearTimeout(deadline); reject(err); });
    req.end();
  });
}

export interface JsonRequestOptions {
  method: 'GET' | 'PUT';
  /** Sent as JSON. */
  body?: unknown;
  /** Asked when a write is sent; the write is refused (NotLeaderError) when it says false. */
  canWrite?: () => boolean;
  /** From sending the request to having read the whole response; API_TIMEOUT_MS unless shorter is asked. */
  timeoutMs?: number;
}

/** One JSON request and its JSON answer; a non-2xx answer throws ApiError with the API server's Status in its body. */
export async function requestJson<T>(kc: KubeConfig, path: string, req: JsonRequestOptions): Promise<T> {
  const what = `${req.method} ${path.split('?')[0]}`;
  refuseUnwritable(req.canWrite, req.method, what);
  const { url, lib, opts } = await target(kc, path);
  const timeoutMs = req.timeoutMs ?? API_TIMEOUT_MS;
  const payload = req.body === undefined ? undefined : JSON.stringify(req.body);
  const headers = { ...opts.headers, Accept: ACCEPT_JSON, ...(payload !== undefined && { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) };
  // A timer cleared with the answer rather than AbortSignal.timeout: a signal and its timer would
  // outlive each of the hundreds of requests a second a resync makes by the whole deadline.
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const r = lib.request(url, { ...opts, headers, method: req.method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(deadline);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', fail);
    });
    const deadline = setTimeout(() => {
      const err = new DeadlineExceededError(`${what}: no answer from the API server within ${timeoutMs} ms`);
      fail(err);
      r.destroy(err);
    }, timeoutMs);
    function fail(err: Error): void {
      clearTimeout(deadline);
      reject(err);
    }
    r.on('error', fail);
    r.end(payload);
  });
  if (status < 200 || status > 299) throw new ApiError(status, `${what}: ${status} ${text.slice(0, 300)}`, text);
  return JSON.parse(text) as T;
}

export async function getJson<T>(kc: KubeConfig, path: string, accept: string, signal: AbortSignal): Promise<T> {
  const res = await request(kc, path, accept, signal);
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as T;
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/**
 * Streams watch events line by line until the server ends the watch or `signal` aborts it. Lines
 * are cut from the bytes as they come (node:readline decodes each chunk into strings and splits
 * them with a regular expression: a tenth of what a replica allocates while every Secret changes).
 */
export async function watchStream<T>(kc: KubeConfig, path: string, accept: string, signal: AbortSignal, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
  const res = await request(kc, path, accept, signal);
  const emit = (line: Buffer): void => {
    const text = line.toString('utf8');
    if (text.trim() !== '') onEvent(JSON.parse(text) as WatchEvent<T>);
  };
  // The start of a line whose newline has not come yet, in the chunks it came in.
  let partial: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, nl);
      emit(partial.length === 0 ? piece : Buffer.concat([...partial, piece]));
      partial = [];
      start = nl + 1;
    }
    if (start < chunk.length) partial.push(chunk.subarray(start));
  }
  if (partial.length > 0) emit(Buffer.concat(partial));
}
