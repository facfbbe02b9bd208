// A share of the signing listener's connections per source (issue 20, point 3). Connection-flood
// relief (overload.ts) closes idle connections, but a caller whose connections are all busy
// (each waiting for the review of a made-up token) is not idle: it could hold every connection up
// to the listener's cap, and every other caller's connect would be refused. Counting connections by
// remote address and closing a source's connections beyond its share keeps room for everyone else.
import type net from 'node:net';

/** Each source's share of the listener's connections, by default. */
export const SOURCE_SHARE = 0.25;

/** Close, as soon as it is accepted, any connection beyond `perSource` open ones from the same address. */
export function limitConnectionsPerSource(server: net.Server, perSource: number): void {
  const open = new Map<string, number>();
  server.on('connection', (socket: net.Socket) => {
    const source = socket.remoteAddress ?? '';
    const count = (open.get(source) ?? 0) + 1;
    if (count > perSource) {
      socket.destroy();
      return;
    }
    open.set(source, count);
    socket.once('close', () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left > 0) open.set(source, left);
      else open.delete(source);
    });
  });
}
