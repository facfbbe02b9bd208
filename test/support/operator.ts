// Runs the real operator (src/main.ts through tsx) as a child process against the test control
// plane, on free loopback ports, and talks to its listeners.
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { freePort } from '../controlplane/controlplane.js';
import { eventually } from './eventually.js';
import { imageEnv, imageNodeOptions } from './image-entrypoint.js';
import { installCrd, repoRoot } from './kube.js';

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

export interface OperatorLaunch {
  /**
   * A compiled entry point (e.g. dist/main.js) run with node and the image's Node options, as the image does. Default:
   * $SIGNET_OPERATOR_JS (`make test` sets it to the fresh build, which starts in a fraction of
   * tsx's time on a loaded machine), else src/main.ts through tsx.
   */
  entry?: string;
  /** Working folder (default: the repository). */
  cwd?: string;
  /** Environment (default: this process's); the image's ENV (Dockerfile) is set beneath it. */
  env?: NodeJS.ProcessEnv;
  /** Called right after the spawn, before the wait for /readyz: for a caller that watches the start-up itself. */
  onSpawn?: (op: RunningOperator) => void;
  /** How long to wait for /readyz before killing it (default 30 s). */
  readyTimeoutMs?: number;
  /** What the start waits for (default: /readyz answers 200): for an operator whose API is not there yet. */
  until?: (op: RunningOperator) => boolean | Promise<boolean>;
}

/**
 * Starts the operator with its listeners on free loopback ports and waits for /readyz. `args`
 * come after the defaults, so a --kubeconfig or --log-level in them wins.
 */
export async function startOperator(args: string[], launch: OperatorLaunch = {}): Promise<RunningOperator> {
  const [jwksPort, metricsPort] = [await freePort(), await freePort()];
  const entry = launch.entry ?? process.env.SIGNET_OPERATOR_JS;
  const program = entry ? [entry] : ['--import', 'tsx', join(repoRoot, 'src/main.ts')];
  const child = spawn(process.execPath, [...imageNodeOptions(), ...program,
    '--kubeconfig', process.env.KUBECONFIG ?? '', '--log-level', 'debug',
    '--jwks-bind-address', `127.0.0.1:${jwksPort}`, '--metrics-bind-address', `127.0.0.1:${metricsPort}`,
    ...args], { cwd: launch.cwd ?? repoRoot, env: { ...imageEnv(), ...(launch.env ?? process.env) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const collect = (b: Buffer): void => { logs.push(...b.toString().split('\n').filter(Boolean)); };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const op: RunningOperator = {
    jwksPort, metricsPort, process: child, logs,
    async stop() {
      if (running()) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
  launch.onSpawn?.(op);
  // An operator that exits at start (a refused flag or file) fails the start at once, with its whole log.
  const closed = new Promise<never>((_resolve, reject) => child.on('close', (code) => reject(new Error(`operator exited with ${code}`))));
  try {
    await Promise.race([closed, eventually(async () => {
      if (launch.until) return launch.until(op);
      const res = await fetch(`http://127.0.0.1:${metricsPort}/readyz`);
      return res.status === 200;
    }, { what: 'operator /readyz', timeoutMs: launch.readyTimeoutMs ?? 30_000, intervalMs: 100 })]);
  } catch (err) {
    await op.kill();
    throw new Error(`${(err as Error).message}\noperator logs:\n${logs.slice(-20).join('\n')}`, { cause: err });
  }
  return op;
}

/**
 * One operator per test file, watching the file's namespace, with the CRD installed first;
 * stopped (and required to exit 0) after the file. Like `make run`, it honours the allow-unsafe
 * annotation (--allow-insecure-issuers): tests use http issuers. `args` may be a function, called
 * when the operator starts, for flags that name things created in beforeAll (a namespace, a file).
 */
export function useOperator(ns: { readonly name: string }, args: string[] | (() => string[]) = []): RunningOperator {
  let op: RunningOperator | undefined;
  beforeAll(async () => {
    await installCrd();
    op = await startOperator(['--namespace', ns.name, '--allow-insecure-issuers', ...(typeof args === 'function' ? args() : args)]);
  });
  afterAll(async () => {
    if (op) expect(await op.stop()).toBe(0);
  });
  const current = (): RunningOperator => {
    if (!op) throw new Error('the operator is not running: useOperator works inside tests');
    return op;
  };
  return {
    get jwksPort() { return current().jwksPort; },
    get metricsPort() { return current().metricsPort; },
    get process() { return current().process; },
    get logs() { return current().logs; },
    stop: () => current().stop(),
    kill: () => current().kill(),
  };
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
