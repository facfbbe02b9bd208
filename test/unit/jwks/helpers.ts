// Shared by the JWKS tests: documents, a real server on 127.0.0.1:0, and raw HTTP requests
// (fetch cannot set Host, which routing depends on).
import http from 'node:http';
import net from 'node:net';
import type { PublicJwk } from '../../../src/keys/types.js';
import { checkIssuer } from '../../../src/api/issuer.js';
import type { IssuerDocument, PublishedSettings } from '../../../src/jwks/types.js';
import { JwksStore } from '../../../src/jwks/store.js';
import { createJwksServer, type JwksServerOptions } from '../../../src/jwks/server.js';
import { close, listen } from '../../../src/http/listen.js';

export function rsaKey(kid: string, alg: PublicJwk['alg'] = 'RS256'): PublicJwk {
  return { kty: 'RSA', kid, use: 'sig', alg, n: `n-of-${kid}`, e: 'AQAB' };
}

export function ecKey(kid: string): PublicJwk {
  return { kty: 'EC', kid, use: 'sig', alg: 'ES256', crv: 'P-256', x: `x-of-${kid}`, y: `y-of-${kid}` };
}

/**
 * A document as the controller hands it over: served on the route of its issuer URI unless
 * `servedOnIssuer: false` (or the URI is not one the controller would serve).
 */
export function doc(overrides: Partial<PublishedSettings> & { servedOnIssuer?: boolean } = {}): IssuerDocument {
  const { servedOnIssuer = true, ...settings } = overrides;
  const published: PublishedSettings = {
    namespace: 'team-a',
    name: 'login',
    issuerURI: 'https://login.example.com/team-a',
    keys: [rsaKey('k1'), rsaKey('k2')],
    cacheMaxAgeSeconds: 300,
    discoveryEnabled: true,
    ...settings,
  };
  const check = checkIssuer(published.issuerURI, true);
  return servedOnIssuer && check.ok ? { ...published, servedOnIssuer: true, issuerRoute: check.value.route } : { ...published, servedOnIssuer: false };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface TestServer {
  store: JwksStore;
  server: http.Server;
  port: number;
  statuses: number[];
  get(path: string, headers?: Record<string, string>, method?: string): Promise<Reply>;
  stop(): Promise<void>;
}

export async function startServer(opts: JwksServerOptions = {}): Promise<TestServer> {
  const store = new JwksStore();
  const statuses: number[] = [];
  const server = createJwksServer(store, { ...opts, onRequest: (s) => statuses.push(s) });
  const { port } = await listen(server, '127.0.0.1:0');
  return {
    store,
    server,
    port,
    statuses,
    get: (path, headers = {}, method = 'GET') => request(port, { path, headers, method }),
    stop: () => close(server, 1_000),
  };
}

/** One request on its own connection; `headers.host` overrides the Host header. */
export function request(port: number, opts: { path: string; headers?: Record<string, string>; method?: string; body?: string }): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: opts.path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** Send raw bytes on a fresh connection and collect everything until the server closes it. */
export function rawExchange(port: number, payload: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The server may reset a connection it refused while we were still writing.
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resolve(Buffer.concat(chunks).toString('latin1'));
      else reject(err);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.write(payload);
  });
}

/** Resolves with the socket once connected. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything a socket receives until it closes. */
export function readUntilClose(socket: net.Socket): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

export function parseJson(reply: Reply): unknown {
  return JSON.parse(reply.text) as unknown;
}
