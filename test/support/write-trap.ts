// A loopback proxy between the operator and the test API server that can catch one write: the
// crash tests arm it with a predicate on the request (method, path, JSON body) and learn when the
// operator sends that write. "before": the write is held and never forwarded, so a kill then lands
// before the API server applied it, whatever the timing. "after": the write is forwarded and its
// answer held back, so a kill then lands after the API server applied it and before the operator
// learned so. Everything else (reads, watches, other writes) passes through unchanged.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubeConfig } from './kube.js';

export interface TrappedWrite {
  method: string;
  path: string;
  body: unknown;
}

export type TrapMoment = 'before' | 'after';

export interface WriteTrap {
  /** A kubeconfig that sends the operator's requests through the proxy. */
  kubeconfig: string;
  /**
   * Catches the first write after this call for which `matches` says true; resolves once it is
   * held (before: not forwarded; after: applied, answer not delivered).
   */
  arm(matches: (w: TrappedWrite) => boolean, moment: TrapMoment): Promise<TrappedWrite>;
  close(): Promise<void>;
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export async function startWriteTrap(): Promise<WriteTrap> {
  const kc = kubeConfig();
  const cluster = kc.getCurrentCluster();
  const user = kc.getCurrentUser();
  if (!cluster || !user?.token) throw new Error('the test kubeconfig has no current cluster or token');
  const upstream = new URL(cluster.server);
  const ca = cluster.caData ? Buffer.from(cluster.caData, 'base64') : undefined;
  const agent = new https.Agent({ keepAlive: true, ...(ca && { ca }) });
  let trap: { matches: (w: TrappedWrite) => boolean; moment: TrapMoment; caught: (w: TrappedWrite) => void } | undefined;
  const sockets = new Set<Socket>();

  /** Sends the request on; with no `res`, the answer is read and dropped, then `answered` is called. */
  const forward = (req: http.IncomingMessage, body: Buffer | undefined, res: http.ServerResponse | undefined, answered?: () => void): void => {
    const up = https.request({
      host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, agent,
      headers: { ...req.headers, host: upstream.host, ...(body && { 'content-length': String(body.length) }) },
    }, (answer) => {
      if (!res) {
        answer.resume();
        answer.on('end', () => answered?.());
        return;
      }
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    up.on('error', () => res?.destroy());
    res?.on('close', () => { if (!res.writableFinished) up.destroy(); });
    if (body) up.end(body);
    else req.pipe(up);
  };

  const server = http.createServer((req, res) => {
    if (!WRITES.has(req.method ?? '')) {
      forward(req, undefined, res);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const armed = trap;
      if (armed) {
        let parsed: unknown;
        try {
          parsed = body.length ? JSON.parse(body.toString()) : undefined;
        } catch {
          parsed = undefined;
        }
        const write = { method: req.method ?? '', path: (req.url ?? '').split('?')[0] ?? '', body: parsed };
        if (armed.matches(write)) {
          trap = undefined;
          // Either way the operator waits for an answer that never comes (it is killed meanwhile).
          if (armed.moment === 'before') armed.caught(write);
          else forward(req, body, undefined, () => armed.caught(write));
          return;
        }
      }
      forward(req, body, res);
    });
  });

  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const dir = mkdtempSync(join(tmpdir(), 'signet-trap-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, [
    'apiVersion: v1', 'kind: Config', 'current-context: trap',
    'clusters:', `- name: trap`, `  cluster: {server: "http://127.0.0.1:${(server.address() as AddressInfo).port}", insecure-skip-tls-verify: true}`,
    'users:', `- name: trap`, `  user: {token: "${user.token}"}`,
    'contexts:', `- name: trap`, `  context: {cluster: trap, user: trap}`, '',
  ].join('\n'), { mode: 0o600 });

  return {
    kubeconfig,
    arm: (matches, moment) => new Promise((caught) => { trap = { matches, moment, caught }; }),
    async close() {
      trap = undefined;
      for (const s of sockets) s.destroy();
      agent.destroy();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
