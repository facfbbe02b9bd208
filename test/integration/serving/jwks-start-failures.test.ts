// The JWKS listener's thread cannot start (jwks/serving-thread.ts): the operator says why and exits,
// as it did when the listener ran on its main thread. TLS files it cannot use → exit 2 naming the
// flags to fix; an address in use → exit 1, `cannot listen`.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageEnv, imageNodeOptions } from '../../support/image-entrypoint.js';
import { repoRoot } from '../../support/kube.js';

/** Run the operator until it exits; its exit code and its log lines, parsed. */
async function runToExit(args: string[]): Promise<{ code: number | null; logs: Array<Record<string, unknown>> }> {
  const entry = process.env.SIGNET_OPERATOR_JS;
  const program = entry ? [entry] : ['--import', 'tsx', join(repoRoot, 'src/main.ts')];
  const child = spawn(process.execPath, [...imageNodeOptions(), ...program, '--kubeconfig', process.env.KUBECONFIG ?? '', '--metrics-bind-address', '127.0.0.1:0', ...args], {
    cwd: repoRoot, env: { ...imageEnv(), ...process.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  return { code, logs: out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

it('exits 2 naming the flags to fix when the JWKS TLS files hold no certificate and key', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-bad-tls-'));
  writeFileSync(join(dir, 'tls.crt'), 'not a certificate\n');
  writeFileSync(join(dir, 'tls.key'), 'not a key\n');
  const { code, logs } = await runToExit(['--jwks-bind-address', '127.0.0.1:0', '--jwks-tls-cert-file', join(dir, 'tls.crt'), '--jwks-tls-key-file', join(dir, 'tls.key')]);
  expect(code).toBe(2);
  expect(logs).toContainEqual(expect.objectContaining({
    level: 'error', message: 'cannot serve the JWKS over HTTPS: fix --jwks-tls-cert-file / --jwks-tls-key-file',
    error: expect.stringContaining(`${join(dir, 'tls.crt')} does not hold a PEM certificate`),
  }));
}, 30_000);

it('exits 1 with `cannot listen` when the JWKS address is taken', async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  try {
    const { port } = taken.address() as net.AddressInfo;
    const { code, logs } = await runToExit(['--jwks-bind-address', `127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', message: 'cannot listen', error: expect.stringContaining('EADDRINUSE') }));
  } finally {
    taken.close();
  }
}, 30_000);
