// Connection-flood protection for a public listener (issue 9 point 10), the way Envoy's overload
// manager does it: one client that opens connections up to `maxConnections`, sends a request on
// each and leaves them idle would otherwise lock every other client out (Node refuses connections
// beyond the cap). Under connection pressure the listener closes the connections that have been
// idle longest and shortens the keep-alive idle timeout, so a new client always finds room.
//
// Cost per request: one counter increment and one property write (markActive). Everything else
// happens per connection, and the sort only when the pressure threshold is crossed.
import type http from 'node:http';
import type https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';

/** Open connections, as a share of maxConnections, at which idle ones start being closed. */
export const PRESSURE_START = 0.8;
/** Share the open connections are brought down to when the pressure threshold is crossed. */
export const PRESSURE_TARGET = 0.7;
/** Share below which the normal keep-alive idle timeout comes back. */
export const PRESSURE_END = 0.5;

export interface OverloadLevels {
  /** Open connections at which connections are closed (at most maxConnections - 1). */
  start: number;
  /** Open connections left after closing. */
  target: number;
  /** Below this, pressure is over. */
  end: number;
}

export function overloadLevels(maxConnections: number): OverloadLevels {
  const start = Math.max(1, Math.min(maxConnections - 1, Math.ceil(maxConnections * PRESSURE_START)));
  const target = Math.min(start - 1, Math.floor(maxConnections * PRESSURE_TARGET));
  return { start, target, end: Math.min(target, Math.floor(maxConnections * PRESSURE_END)) };
}

/**
 * The `count` items least recently active, oldest first. Ties keep input order (the order
 * connections were accepted in).
 */
export function leastRecentlyActive<T>(items: readonly T[], lastActive: (item: T) => number, count: number): T[] {
  if (count <= 0) return [];
  return items
    .map((item, i) => ({ item, at: lastActive(item), i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .slice(0, count)
    .map((e) => e.item);
}

const kLastActive = Symbol('signet.lastActive');
const kBusy = Symbol('signet.busy');
const kTlsSocket = Symbol('signet.tlsSocket');

type Stamped = { [kLastActive]?: number; [kBusy]?: boolean };
type TrackedSocket = net.Socket & Stamped & { [kTlsSocket]?: Stamped };

/** A logical clock: cheaper than Date.now() and only the order matters. */
let activity = 0;

/** Call once per request with `req.socket`: the connection counts as just used. */
export function markActive(socket: net.Socket): void {
  (socket as Stamped)[kLastActive] = ++activity;
}

/**
 * For a listener whose answers take time (the signing one waits on reviews and signatures): a
 * connection marked busy is answering a request and is not closed under pressure.
 */
export function markBusy(socket: net.Socket, busy: boolean): void {
  (socket as Stamped)[kBusy] = busy;
}

export interface OverloadOptions {
  /** The normal keep-alive idle timeout, restored when pressure is over. */
  keepAliveTimeoutMs: number;
  /** Keep-alive idle timeout while under pressure. */
  pressureKeepAliveTimeoutMs: number;
}

/**
 * Watch a listener's connections against its `maxConnections` (set it first). Crossing
 * PRESSURE_START closes the least recently active connections down to PRESSURE_TARGET and
 * shortens the keep-alive timeout until fewer than PRESSURE_END are open.
 *
 * A connection is "active" when it is accepted and on each request (markActive). The JWKS request
 * handler answers synchronously, so between event-loop turns no answer is being computed (a
 * listener whose answers take longer marks a connection busy meanwhile, markBusy): the
 * connections closed are idle keep-alive ones, or ones that never sent a complete request (or,
 * over TLS, never finished the handshake), the oldest first. A client in the middle of using its
 * connection has just been marked and is the last to go.
 */
export function protectFromConnectionFlood(server: http.Server | https.Server, opts: OverloadOptions): void {
  // Node reads 0 (and no value) as "no limit": then there is no cap to protect.
  if (!(server.maxConnections > 0 && Number.isFinite(server.maxConnections))) return;
  const levels = overloadLevels(server.maxConnections);
  const open = new Set<TrackedSocket>();
  let underPressure = false;

  const lastActive = (socket: TrackedSocket): number => socket[kTlsSocket]?.[kLastActive] ?? socket[kLastActive] ?? 0;
  const busy = (socket: TrackedSocket): boolean => (socket[kTlsSocket]?.[kBusy] ?? socket[kBusy]) === true;

  const relieve = (): void => {
    if (!underPressure) {
      underPressure = true;
      server.keepAliveTimeout = Math.min(opts.keepAliveTimeoutMs, opts.pressureKeepAliveTimeoutMs);
    }
    for (const socket of leastRecentlyActive([...open].filter((s) => !busy(s)), lastActive, open.size - levels.target)) {
      open.delete(socket);
      socket.destroy();
    }
  };

  // 'connection' is the TCP socket, for https too (before the handshake), so connections that
  // stall in the handshake are counted and can be closed as well.
  server.on('connection', (socket: TrackedSocket) => {
    // Closed on arrival (beyond its source's share, source-connections.ts, whose listener runs
    // first): not open, so not pressure. Counted until its 'close', a burst of them made relief
    // close other callers' fresh connections (test/load/signing-abuse.test.ts: ECONNRESET).
    if (socket.destroyed) return;
    socket[kLastActive] = ++activity;
    open.add(socket);
    socket.once('close', () => {
      open.delete(socket);
      if (underPressure && open.size < levels.end) {
        underPressure = false;
        server.keepAliveTimeout = opts.keepAliveTimeoutMs;
      }
    });
    if (open.size >= levels.start) relieve();
  });
  // Over TLS, requests arrive on the TLSSocket that wraps the TCP one: link them so the request
  // marks are found. (`_parent` is how Node's TLSSocket refers to the socket it wraps.)
  server.on('secureConnection', (tlsSocket: tls.TLSSocket) => {
    const raw = (tlsSocket as tls.TLSSocket & { _parent?: TrackedSocket | null })._parent;
    if (raw) raw[kTlsSocket] = tlsSocket as Stamped;
  });
}
