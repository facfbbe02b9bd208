// Runs the compiled operator (`node dist/main.js`, as the image does) from a given folder, with the
// listeners on free loopback ports, for the packaging tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../controlplane/controlplane.js';
import { eventually } from '../../support/eventually.js';
import { repoRoot } from '../../support/kube.js';

export interface DistProcess {
  jwksPort: number;
  metricsPort: number;
  process: ChildProcess;
  logs: string[];
  /** SIGTERM, then the exit code (null when a signal ended it). */
  stop(): Promise<number | null>;
}

/** Fails with the fix when dist/ has not been built. */
export function requireDist(dir = repoRoot): string {
  const main = join(dir, 'dist/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (or \`make build\`; \`make integration\` builds first)`);
  return main;
}

/** The environment of the container: the test runner's NODE_OPTIONS (jest's ESM flags) left out. */
function runtimeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '--enable-source-maps' };
  delete env.KUBECONFIG;
  return env;
}

/** Starts `node dist/main.js <args>` in `dir` and waits for /readyz 200 on its metrics port. */
export async function startDist(dir: string, args: string[]): Promise<DistProcess> {
  requireDist(dir);
  const [jwksPort, metricsPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, ['dist/main.js', ...args,
    '--jwks-bind-address', `127.0.0.1:${jwksPort}`, '--metrics-bind-address', `127.0.0.1:${metricsPort}`],
  { cwd: dir, env: runtimeEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: string[] = [];
  const collect = (b: Buffer): void => { logs.push(...b.toString().split('\n').filter(Boolean)); };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const proc: DistProcess = {
    jwksPort, metricsPort, process: child, logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
  try {
    await eventually(async () => {
      if (child.exitCode !== null) throw new Error(`node dist/main.js exited with ${child.exitCode}: ${logs.slice(-5).join('\n')}`);
      return (await fetch(`http://127.0.0.1:${metricsPort}/readyz`)).status === 200;
    }, { what: `/readyz of node dist/main.js in ${dir}`, timeoutMs: 30_000, intervalMs: 100 });
  } catch (err) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(err as Error).message}\noperator logs:\n${logs.slice(-20).join('\n')}`, { cause: err });
  }
  return proc;
}

/** Drops each `--flag value` pair of the given flags (startDist chooses the bind addresses). */
export function withoutFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (flags.includes(args[i] ?? '')) i++;
    else out.push(args[i] ?? '');
  }
  return out;
}
