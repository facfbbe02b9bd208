// Runs the real operator (src/main.ts through tsx) as a child process against the test control
// plane, on free loopback ports, and talks to its listeners.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { freePort } from '../controlplane/controlplane.js';
import { eventually } from './eventually.js';
import { repoRoot } from './kube.js';

export interface RunningOperator {
  jwksPort: number;
  metricsPort: number;
  process: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL, as a crash would. */
  kill(): Promise<void>;
}

export async function startOperator(args: string[]): Promise<RunningOperator> {
  const [jwksPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main.ts'),
    '--kubeconfig', process.env.KUBECONFIG ?? '',
    '--jwks-bind-address', `127.0.0.1:${jwksPort}`, '--metrics-bind-address', `127.0.0.1:${metricsPort}`,
    '--log-level', 'debug', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const collect = (b: Buffer): void => { logs.push(...b.toString().split('\n').filter(Boolean)); };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const op: RunningOperator = {
    jwksPort, metricsPort, process: child, logs,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`operator exited with ${child.exitCode}: ${logs.slice(-5).join('\n')}`);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      return res.status === 200;
    }, { what: 'operator /readyz', timeoutMs: 30_000, intervalMs: 100 });
  } catch (err) {
    await op.kill();
    throw err;
  }
  return op;
}

export interface JwksResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  keys: Array<Record<string, unknown>>;
}

/** GET with an explicit Host header (fetch does not let a caller choose it). */
export function getJwks(port: number, path: string, host = `127.0.0.1:${port}`): Promise<JwksResponse> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { Host: host } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const keys = res.statusCode === 200 ? (JSON.parse(text) as { keys: Array<Record<string, unknown>> }).keys : [];
        resolve({ status: res.statusCode ?? 0, headers: res.headers, keys });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}
