// The second listener: /metrics (Prometheus), /healthz (the process answers), /readyz (serving every issuer it listed).
import http from 'node:http';
import type { Registry } from 'prom-client';

export function createHealthServer(registry: Registry, readiness: () => { ready: boolean; message: string }): http.Server {
  return http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
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
      registry.metrics().then(
        (body) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`${err.message}\n`),
      );
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
    }
  });
}
