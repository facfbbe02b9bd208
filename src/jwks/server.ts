// The JWKS listener (docs/architecture.md#serving): one HTTP server (HTTPS when given TlsFiles) for every issuer,
// answering from the precomputed responses of a JwksStore. Per request: one scan of the raw header
// list, a map lookup or two, and `writeHead(status, flatHeaderArray)` + `end(buffer)` — no Date
// header, no header object, no async work, nothing that waits on the controller (docs/architecture.md#toolchain-facts).
//
// HTTP semantics:
// - GET and HEAD. HEAD sends the headers GET would send (Content-Length included) and no body.
// - Strong ETag; If-None-Match (a list, `*`, weak comparison per RFC 9110 §13.1.2) → 304 with
//   ETag, Cache-Control and the CORS header.
// - Any other method → 405 with `Allow: GET, HEAD`. One exception, a CORS preflight: an OPTIONS
//   request carrying `Access-Control-Request-Method` for a path that is served gets 204 with the
//   Access-Control-Allow-* headers, so a browser app that adds a header (If-None-Match, say) to its
//   fetch is not refused. A plain GET from a browser needs no preflight.
// - Unknown path → 404 `{"error":"not_found"}`.
// - A request that carries a body (Content-Length other than 0, or Transfer-Encoding) is answered
//   without reading it — 413 for GET/HEAD, 405 otherwise — and its connection is closed. Bodies
//   are never read into memory.
// - Two Host headers → 400 (a proxy and this server could disagree on which one counts).
// - Malformed requests, oversized headers (431) and slow requests (408) are answered by the
//   listener (http/server.ts) and the connection is closed.
// - Connection floods: above 80 % of maxConnections the connections idle longest are closed and
//   the keep-alive timeout shortened (http/overload.ts), so one client cannot lock others out.
import type http from 'node:http';
import type https from 'node:https';
import { isClosing } from '../http/listen.js';
import { markActive } from '../http/overload.js';
import { createListener } from '../http/server.js';
import type { TlsFiles } from '../http/tls.js';
import { prepareError, type PreparedResponse } from './documents.js';
import type { JwksStore } from './store.js';

export interface JwksServerOptions {
  /** Called once per answered request with the status sent (also for 400/408/431 from the parser). */
  onRequest?: (status: number) => void;
  /** Open connections beyond this are refused (`server.maxConnections`). Default 10000. */
  maxConnections?: number;
  /** Bytes of request line + headers; more gets 431. Default 16 KiB. */
  maxHeaderSize?: number;
  /** Time to receive the request headers (and, the same, the whole request). Default 10 s. */
  headersTimeoutMs?: number;
  /** Idle time a keep-alive connection is kept between requests. Default 65 s (longer than the 60 s idle timeout of common load balancers, so they close first). */
  keepAliveTimeoutMs?: number;
  /** Requests served on one connection before it is closed (spreads load across replicas); 0 for no limit. Default 10000. */
  maxRequestsPerSocket?: number;
  /** Keep-alive idle time while more than 80 % of maxConnections are open. Default 1 s. */
  pressureKeepAliveTimeoutMs?: number;
  /** Serve HTTPS (TLS 1.2 or newer) with these files, following their renewals. */
  tls?: TlsFiles;
}

/** The JWKS listener: HTTP, or HTTPS when created with `tls`. */
export type JwksServer = http.Server | https.Server;

export const DEFAULT_MAX_CONNECTIONS = 10_000;
export const DEFAULT_MAX_HEADER_SIZE = 16 * 1024;
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
export const DEFAULT_MAX_REQUESTS_PER_SOCKET = 10_000;
export const DEFAULT_PRESSURE_KEEP_ALIVE_TIMEOUT_MS = 1_000;

const NOT_FOUND = prepareError(404, 'not_found');
const METHOD_NOT_ALLOWED = prepareError(405, 'method_not_allowed', ['Allow', 'GET, HEAD']);
const BODY_NOT_ALLOWED = prepareError(413, 'request_body_not_allowed');
const DUPLICATE_HOST = prepareError(400, 'bad_request');
const PREFLIGHT_HEADERS = [
  'Access-Control-Allow-Origin', '*',
  'Access-Control-Allow-Methods', 'GET, HEAD',
  'Access-Control-Allow-Headers', '*',
  'Access-Control-Max-Age', '86400',
  'Content-Length', '0',
  'X-Content-Type-Options', 'nosniff',
];

/** Requests answered on a connection so far. */
const kServed = Symbol('signet.requestsServed');
type CountedSocket = http.IncomingMessage['socket'] & { [kServed]?: number };

/** The JWKS server for a store. Not listening yet: see http/listen.ts. */
export function createJwksServer(store: JwksStore, opts: JwksServerOptions = {}): JwksServer {
  const onRequest = opts.onRequest;
  const headersTimeout = opts.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const maxRequestsPerSocket = (opts.maxRequestsPerSocket ?? DEFAULT_MAX_REQUESTS_PER_SOCKET) || Infinity;

  const report = (status: number): void => {
    if (onRequest === undefined) return;
    try {
      onRequest(status);
    } catch {
      // A metrics callback must not take the listener down.
    }
  };

  const send = (res: http.ServerResponse, prepared: PreparedResponse, head: boolean): void => {
    res.writeHead(prepared.status, prepared.headers);
    if (head) res.end();
    else res.end(prepared.body);
    report(prepared.status);
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.sendDate = false;
    // Node's own maxRequestsPerSocket sends `Connection: close` but leaves the connection open and
    // answers 503 to whatever comes next; RFC 9112 §9.6 wants the server to close it, so count here.
    const socket = req.socket as CountedSocket;
    markActive(socket);
    const served = (socket[kServed] ?? 0) + 1;
    socket[kServed] = served;
    if (served >= maxRequestsPerSocket || isClosing(server)) res.shouldKeepAlive = false;

    // One pass over the raw header list instead of building req.headers.
    const raw = req.rawHeaders;
    let host = '';
    let hosts = 0;
    let ifNoneMatch: string | undefined;
    let hasBody = false;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i] as string;
      switch (name.length) {
        case 4:
          if (nameIs(name, 'host')) {
            host = raw[i + 1] as string;
            hosts++;
          }
          break;
        case 13:
          if (nameIs(name, 'if-none-match')) {
            const value = raw[i + 1] as string;
            ifNoneMatch = ifNoneMatch === undefined ? value : `${ifNoneMatch}, ${value}`;
          }
          break;
        case 14:
          if (raw[i + 1] !== '0' && nameIs(name, 'content-length')) hasBody = true;
          break;
        case 17:
          if (nameIs(name, 'transfer-encoding')) hasBody = true;
          break;
      }
    }

    const method = req.method;
    const isHead = method === 'HEAD';
    if (!isHead && method !== 'GET') {
      if (hasBody) res.shouldKeepAlive = false;
      else if (method === 'OPTIONS' && isPreflight(req) && store.lookup(host, req.url ?? '') !== undefined) {
        res.writeHead(204, PREFLIGHT_HEADERS);
        res.end();
        report(204);
        return;
      }
      send(res, METHOD_NOT_ALLOWED, false);
      return;
    }
    if (hasBody) {
      res.shouldKeepAlive = false;
      send(res, BODY_NOT_ALLOWED, isHead);
      return;
    }
    if (hosts > 1) {
      res.shouldKeepAlive = false;
      send(res, DUPLICATE_HOST, isHead);
      return;
    }

    const found = store.lookup(host, req.url ?? '');
    if (found === undefined) {
      send(res, NOT_FOUND, isHead);
      return;
    }
    if (ifNoneMatch !== undefined && ifNoneMatchMatches(ifNoneMatch, found.etag)) {
      res.writeHead(304, found.notModifiedHeaders);
      res.end();
      report(304);
      return;
    }
    send(res, found, isHead);
  };

  const server = createListener(handle, {
    tls: opts.tls,
    maxConnections: opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
    maxHeaderSize: opts.maxHeaderSize ?? DEFAULT_MAX_HEADER_SIZE,
    headersTimeoutMs: headersTimeout,
    requestTimeoutMs: headersTimeout,
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    pressureKeepAliveTimeoutMs: opts.pressureKeepAliveTimeoutMs ?? DEFAULT_PRESSURE_KEEP_ALIVE_TIMEOUT_MS,
    onClientError: report,
  });
  return server;
}

/**
 * Whether a header name equals a lower-case name made of letters and '-', ignoring case, without
 * allocating a lower-cased copy. (`c | 0x20` folds A–Z onto a–z and leaves '-' as it is; no other
 * character a header name may hold folds onto a letter or '-'.)
 */
function nameIs(name: string, lower: string): boolean {
  if (name.length !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) {
    if ((name.charCodeAt(i) | 0x20) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

function isPreflight(req: http.IncomingMessage): boolean {
  return req.headers['access-control-request-method'] !== undefined;
}

/**
 * Whether an If-None-Match field value matches the current strong ETag, by the weak comparison
 * RFC 9110 §13.1.2 prescribes for it: `*` matches, and `W/"x"` matches `"x"`.
 */
export function ifNoneMatchMatches(fieldValue: string, etag: string): boolean {
  if (fieldValue === etag) return true;
  const len = fieldValue.length;
  let i = 0;
  while (i < len) {
    const c = fieldValue.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x2c /* SP HTAB , */) {
      i++;
      continue;
    }
    if (c === 0x2a /* * */) return true;
    if (c === 0x57 /* W */ && fieldValue.charCodeAt(i + 1) === 0x2f /* / */) i += 2;
    if (fieldValue.charCodeAt(i) !== 0x22 /* " */) {
      // Not an entity-tag: skip to the next list member.
      const next = fieldValue.indexOf(',', i);
      if (next === -1) return false;
      i = next + 1;
      continue;
    }
    const end = fieldValue.indexOf('"', i + 1);
    if (end === -1) return false;
    if (end + 1 - i === etag.length && fieldValue.startsWith(etag, i)) return true;
    i = end + 1;
  }
  return false;
}
