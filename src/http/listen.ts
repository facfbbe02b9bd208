// Starting and stopping a listener, the same for every one (JWKS, signing, metrics).
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseHostPort, type HostPort } from './host-port.js';

/** Servers close() was called on. */
const closing = new WeakSet<http.Server | https.Server>();

/** Whether close() has begun on `server`: its answers should carry `Connection: close` from now on. */
export function isClosing(server: http.Server | https.Server): boolean {
  return closing.has(server);
}

/**
 * Start listening on `host:port` (port 0 picks a free one; a flag's string or config's HostPort,
 * parsed by parseHostPort either way); resolves with the bound address.
 */
export function listen(server: http.Server | https.Server, address: string | HostPort): Promise<AddressInfo> {
  const { host, port } = typeof address === 'string' ? parseHostPort('bind address', address) : address;
  const bindHost = host === '' ? undefined : host;
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen(port, bindHost, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Graceful stop: stop accepting connections, close idle keep-alive connections now, let requests
 * in flight finish (a handler that reads isClosing answers them with `Connection: close`), and
 * destroy whatever is still open after `timeoutMs`. Resolves when every connection is gone.
 */
export function close(server: http.Server | https.Server, timeoutMs: number): Promise<void> {
  closing.add(server);
  return new Promise((resolve) => {
    const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
    timer.unref();
    server.close(() => {
      clearTimeout(timer);
      resolve();
    });
    server.closeIdleConnections();
  });
}
