// Start the benchmark's JWKS server in a child process (optionally pinned to one core) and talk
// to it over IPC.
import { spawn } from 'node:child_process';
import path from 'node:path';
import type { IssuerDocument } from '../../../src/jwks/types.js';
import { REPO_ROOT } from './bench.js';
import { imageEnv, imageNodeOptions } from '../../support/image-entrypoint.js';
import { pinned } from './tools.js';

export type ToChild = { type: 'set'; docs: IssuerDocument[] } | { type: 'keygen'; count: number; bits: number; concurrency: number } | { type: 'stop' };

export type FromChild =
  | { type: 'listening'; port: number }
  | { type: 'set-done'; size: number }
  | { type: 'keygen-done'; ms: number; keys: number; loopDelayP99Ms: number; loopDelayMaxMs: number }
  | { type: 'error'; message: string };

export interface JwksProcess {
  port: number;
  pid: number;
  /** Send a message and wait for the first answer of the given type. */
  request<T extends FromChild['type']>(msg: ToChild, answer: T, timeoutMs?: number): Promise<Extract<FromChild, { type: T }>>;
  stop(): Promise<void>;
}

const CHILD = path.join(REPO_ROOT, 'test/bench/support/jwks-server-child.ts');
/** The child serves HTTPS with these files when both are set. */
export const TLS_CERT_ENV = 'SIGNET_BENCH_TLS_CERT_FILE';
export const TLS_KEY_ENV = 'SIGNET_BENCH_TLS_KEY_FILE';
/** The child runs the bare node:http(s) reference instead of Signet's listener when this is "1". */
export const BARE_ENV = 'SIGNET_BENCH_BARE';

/** Spawn the server; `cpu` pins it (and its thread pool) with taskset when taskset exists; `tls` makes it HTTPS; `bare` runs the bare reference. */
export async function startJwksProcess(opts: { cpu?: number; tls?: { certFile: string; keyFile: string }; bare?: boolean } = {}): Promise<JwksProcess> {
  // With the image's Node options and environment (its young-generation size, its malloc arenas), the
  // bare reference too: both run as the operator does in a pod.
  const node = [process.execPath, ...imageNodeOptions(), '--import', 'tsx', CHILD];
  const [cmd, ...args] = opts.cpu === undefined ? node : pinned(opts.cpu, node);
  const env = {
    ...process.env,
    ...imageEnv(),
    ...(opts.tls && { [TLS_CERT_ENV]: opts.tls.certFile, [TLS_KEY_ENV]: opts.tls.keyFile }),
    ...(opts.bare && { [BARE_ENV]: '1' }),
  };
  const child = spawn(cmd as string, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const waitFor = <T extends FromChild['type']>(type: T, timeoutMs: number): Promise<Extract<FromChild, { type: T }>> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`benchmark server: no ${type} within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (raw: unknown): void => {
        const msg = raw as FromChild;
        if (msg.type === type) finish(undefined, msg as Extract<FromChild, { type: T }>);
        else if (msg.type === 'error') finish(new Error(`benchmark server: ${msg.message}`));
      };
      const onExit = (code: number | null): void => finish(new Error(`benchmark server exited (${code}) before ${type}`));
      function finish(err: Error | undefined, value?: Extract<FromChild, { type: T }>): void {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value as Extract<FromChild, { type: T }>);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });

  let listening: { port: number };
  try {
    listening = await waitFor('listening', 30_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    port: listening.port,
    pid: child.pid ?? 0,
    request: (msg, answer, timeoutMs = 30_000) => {
      const p = waitFor(answer, timeoutMs);
      child.send(msg);
      return p;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        if (child.connected) child.send({ type: 'stop' } satisfies ToChild);
        else child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
