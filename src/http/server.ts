// A hardened HTTP(S) listener, the same for the JWKS and the signing service: header and request
// deadlines, a connection cap with flood relief (overload.ts) and optionally a share per source
// (source-connections.ts), HTTPS from TlsFiles that follows their renewals, and complete answers
// to what the HTTP parser refuses before a request exists.
import http from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { protectFromConnectionFlood } from './overload.js';
import { limitConnectionsPerSource } from './source-connections.js';
import type { TlsFiles } from './tls.js';

export interface ListenerOptions {
  /** Serve HTTPS (TLS 1.2 or newer) with these files, following their renewals; plain HTTP without. */
  tls?: TlsFiles | undefined;
  /** Open connections beyond this are refused (`server.maxConnections`); above 80 % the idle ones are closed. */
  maxConnections: number;
  /** Open connections from one address beyond this are closed as soon as they are accepted; no limit without. */
  maxConnectionsPerSource?: number;
  /** Bytes of request line + headers; more gets 431. */
  maxHeaderSize: number;
  /** Time to receive the request headers (and the TLS handshake). */
  headersTimeoutMs: number;
  /** Time to receive the whole request. */
  requestTimeoutMs: number;
  /** Idle time a keep-alive connection is kept between requests. */
  keepAliveTimeoutMs: number;
  /** Keep-alive idle time while more than 80 % of maxConnections are open. */
  pressureKeepAliveTimeoutMs: number;
  /** Called with the status of each answer to a request the parser refused (400, 408, 431). */
  onClientError?: (status: number) => void;
}

/** Complete raw answers for the errors the HTTP parser reports before a request exists. */
const CLIENT_ERROR_RESPONSES = new Map<number, Buffer>(
  (
    [
      [400, 'Bad Request', 'bad_request'],
      [408, 'Request Timeout', 'request_timeout'],
      [431, 'Request Header Fields Too Large', 'request_header_fields_too_large'],
    ] as const
  ).map(([status, reason, error]) => {
    const body = JSON.stringify({ error });
    return [
      status,
      Buffer.from(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
          `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
        'latin1',
      ),
    ];
  }),
);

/** A listener answering with `handler`; HTTPS when `opts.tls` is given. Not listening yet: see listen.ts. */
export function createListener(handler: http.RequestListener, opts: ListenerOptions): http.Server | https.Server {
  const headersTimeout = opts.headersTimeoutMs;
  const httpOptions: http.ServerOptions = {
    maxHeaderSize: opts.maxHeaderSize,
    headersTimeout,
    requestTimeout: opts.requestTimeoutMs,
    keepAliveTimeout: opts.keepAliveTimeoutMs,
    // How often headersTimeout/requestTimeout are checked (Node's default, 30 s, held a trickled header 31 s).
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
    noDelay: true,
  };
  let server: http.Server | https.Server;
  if (opts.tls) {
    // The handshake gets the time the request headers get (Node's default is 120 s).
    const secure = https.createServer({ ...httpOptions, ...opts.tls.options, handshakeTimeout: headersTimeout }, handler);
    opts.tls.serve(secure);
    server = secure;
  } else {
    server = http.createServer(httpOptions, handler);
  }
  server.maxConnections = opts.maxConnections;
  // Before the flood relief's listener, which does not count a connection closed here as open.
  if (opts.maxConnectionsPerSource !== undefined) limitConnectionsPerSource(server, opts.maxConnectionsPerSource);
  protectFromConnectionFlood(server, { keepAliveTimeoutMs: opts.keepAliveTimeoutMs, pressureKeepAliveTimeoutMs: opts.pressureKeepAliveTimeoutMs });
  answerClientErrors(server, opts.onClientError ?? (() => undefined));
  return server;
}

/**
 * Answer what the HTTP parser refuses before a request exists (a malformed request 400, oversized
 * headers 431, a request not complete within the timeout 408) and close the connection.
 */
function answerClientErrors(server: http.Server | https.Server, report: (status: number) => void): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (err.code !== 'ECONNRESET' && socket.writable && (!inFlight || !inFlight.headersSent)) {
      const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      socket.write(CLIENT_ERROR_RESPONSES.get(status));
      report(status);
    }
    socket.destroy();
  });
}
