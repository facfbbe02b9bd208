// Raw list/watch requests with the kubeconfig's credentials. The generated client cannot set the
// Accept header that asks for PartialObjectMetadata, which bounds the memory of watching Secrets.
import type { KubeConfig } from '@kubernetes/client-node';
import https from 'node:https';
import http from 'node:http';
import { createInterface } from 'node:readline';
import { API_TIMEOUT_MS, DeadlineExceededError } from './client.js';
import { SignetError } from '../api/errors.js';

export const ACCEPT_JSON = 'application/json';
export const ACCEPT_METADATA = 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json';
export const ACCEPT_METADATA_WATCH = 'application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json';

export class ApiError extends SignetError {
  override readonly code = 'ERR_SIGNET_KUBE_API';
  constructor(readonly statusCode: number, message: string) {
    super(message);
  }
}

/** Resolves with the response once its headers arrived, which must be within API_TIMEOUT_MS. */
async function request(kc: KubeConfig, path: string, accept: string, signal: AbortSignal): Promise<http.IncomingMessage> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error('kubeconfig has no current cluster');
  const url = new URL(server.replace(/\/$/, '') + path);
  const opts: https.RequestOptions = { headers: { Accept: accept } };
  await kc.applyToHTTPSOptions(opts);
  const lib = url.protocol === 'http:' ? http : https;
  return new Promise((resolve, reject) => {
    const req = lib.request(url, { ...opts, method: 'GET', signal }, (res) => {
      clearTimeout(deadline);
      if (res.statusCode === 200) return resolve(res);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { if (body.length < 4096) body += c; });
      res.on('end', () => reject(new ApiError(res.statusCode ?? 0, `GET ${url.pathname}: ${res.statusCode} ${body.slice(0, 300)}`)));
      res.on('error', reject);
    });
    // A watch then stays open as long as events come (the informer restarts a silent one).
    const deadline = setTimeout(() => req.destroy(new DeadlineExceededError(`GET ${url.pathname}: no answer from the API server within ${API_TIMEOUT_MS} ms`)), API_TIMEOUT_MS);
    req.on('error', (err) => { clearTimeout(deadline); reject(err); });
    req.end();
  });
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

/** Streams watch events line by line until the server ends the watch or `signal` aborts it. */
export async function watchStream<T>(kc: KubeConfig, path: string, accept: string, signal: AbortSignal, onEvent: (e: WatchEvent<T>) => void): Promise<void> {
  const res = await request(kc, path, accept, signal);
  const lines = createInterface({ input: res, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    onEvent(JSON.parse(line) as WatchEvent<T>);
  }
}
