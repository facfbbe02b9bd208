// The second listener: /metrics (Prometheus), /healthz (the process answers), /readyz (serving every issuer it listed).
import http from 'node:http';
import type { Readiness } from '../jwks/types.js';

/** The metrics to expose: the text exposition in chunks (metrics.ts), all or only the families named, and its content type. */
export interface Exposition {
  contentType: string;
  chunks(names?: ReadonlySet<string>): AsyncIterable<string>;
}

export function createHealthServer(metrics: Exposition, readiness: () => Readiness): http.Server {
  return http.createServer((req, res) => {
    const [path, query] = (req.url ?? '/').split('?');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const { ready, message } = readiness();
      res.writeHead(ready ? 200 : 503, { 'Content-Type': 'text/plain' }).end(`${message}\n`);
    } else if (path === '/metrics') {
      // ?name[]=a&name[]=b: only those metric families, as Prometheus' client_python allows.
      const names = new URLSearchParams(query ?? '').getAll('name[]');
      void expose(metrics, res, names.length > 0 ? new Set(names) : undefined);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
}

/**
 * Streamed a chunk at a time, waiting for the client to take each, so that a scrape of thousands
 * of issuers neither holds the event loop nor buffers the whole text.
 */
async function expose(metrics: Exposition, res: http.ServerResponse, names: ReadonlySet<string> | undefined): Promise<void> {
  try {
    for await (const chunk of metrics.chunks(names)) {
      if (res.destroyed) return;
      if (!res.headersSent) res.writeHead(200, { 'Content-Type': metrics.contentType });
      if (!res.write(chunk)) await drained(res);
    }
    res.end();
  } catch (err) {
    if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${(err as Error).message}\n`);
    else res.destroy(err as Error);
  }
}

/** Resolves when the response can take more, or is closed. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
