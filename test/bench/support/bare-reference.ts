// Starts test/bench/support/bare-attester.ts as a child process (the bare reference for serving
// while Secrets churn) and stops it.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface BareAttester {
  jwksPort: number;
  metricsPort: number;
  stop(): Promise<void>;
}

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'bare-attester.ts');

/** Serves `body` on every path; watches the cluster KUBECONFIG points at. Ready when this resolves. */
export async function startBareAttester(body: Buffer, readyTimeoutMs = 120_000): Promise<BareAttester> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bare-attester-'));
  const file = path.join(dir, 'jwks.json');
  writeFileSync(file, body);
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], { env: { ...process.env, BARE_JWKS_FILE: file }, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ports = await new Promise<{ jwksPort: number; metricsPort: number }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the bare attester was not ready within ${readyTimeoutMs} ms`)), readyTimeoutMs);
      void exited.then(() => reject(new Error('the bare attester exited before it was ready')));
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { jwksPort: number; metricsPort: number });
      });
    });
    return { ...ports, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
