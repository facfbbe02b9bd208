// Bad input to the cluster's service-account signer (docs/architecture.md#the-service-account-issuer): a socket path that is taken, a
// state file that is too open, corrupt or another issuer's. Each stops Signet at start with what
// to fix, and leaves what it found as it was.
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { installCrd, useNamespace } from '../../support/kube.js';
import { startOperator } from '../../support/operator.js';

const ns = useNamespace('sa-bad-input');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-bad-'));
let goodState = '';

const signetArgs = (socket: string, stateFile: string, issuer = `${ns.name}/cluster-issuer`): string[] => ['--namespace', ns.name,
  '--service-account-signer-socket', socket, '--service-account-issuer', issuer, '--service-account-signer-state-file', stateFile];

beforeAll(async () => {
  await installCrd();
  // A good state file, written by Signet itself, for the cases that spoil one.
  const stateFile = join(dir, 'good.json');
  const op = await startOperator(signetArgs(join(dir, 'good.sock'), stateFile));
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: `https://sa-bad-input.signet.test/${ns.name}`, tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' } } });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  goodState = await eventually(() => { try { return readFileSync(stateFile, 'utf8'); } catch { return undefined; } }, { what: 'the state file', timeoutMs: 20_000, intervalMs: 200 });
  expect(await op.stop()).toBe(0);
}, 120_000);

/** Starts Signet and expects it to exit at start with `message` in its log. */
async function refusedAtStart(args: string[], message: string): Promise<void> {
  const started = await startOperator(args).then(async (op) => { await op.stop(); return 'started'; }, (err: Error) => err.message);
  expect(started).toMatch(/^operator exited with 2/);
  // startOperator's error carries the log's tail; the refusal says what to fix.
  expect(started).toContain(message);
}

it('a socket path that is a file: refused, the file left as it is', async () => {
  const path = join(dir, 'taken.sock');
  writeFileSync(path, 'not a socket');
  await refusedAtStart(signetArgs(path, join(dir, 'state-a.json')), 'exists and is not a socket: Signet does not remove it');
  expect(readFileSync(path, 'utf8')).toBe('not a socket');
}, 60_000);

it('a socket another process serves: refused, that process keeps its socket', async () => {
  const path = join(dir, 'served.sock');
  // Signet's probe connects and hangs up at once: that connection's EPIPE is no failure.
  const other = createServer((c) => { c.on('error', () => undefined); c.end('still mine'); });
  await new Promise<void>((resolve) => other.listen(path, resolve));
  try {
    await refusedAtStart(signetArgs(path, join(dir, 'state-b.json')), 'is being served by another process: stop it, or give another path');
    const answer = await new Promise<string>((resolve, reject) => {
      const c = connect(path);
      let got = '';
      c.on('data', (d) => { got += d.toString(); });
      c.on('end', () => resolve(got));
      c.on('error', reject);
    });
    expect(answer).toBe('still mine');
  } finally {
    await new Promise<void>((resolve) => other.close(() => resolve()));
  }
}, 60_000);

it('a state file others may read: refused with the chmod to run, the file left as it is', async () => {
  const path = join(dir, 'open.json');
  writeFileSync(path, goodState, { mode: 0o644 });
  chmodSync(path, 0o644);
  await refusedAtStart(signetArgs(join(dir, 'c.sock'), path), `state file ${path} has mode 0644, but it holds a private key: run chmod 600 ${path}`);
  expect(statSync(path).mode & 0o777).toBe(0o644);
  expect(readFileSync(path, 'utf8')).toBe(goodState);
}, 60_000);

it('a corrupt state file: refused with what to do, the file left as it is', async () => {
  const path = join(dir, 'corrupt.json');
  const corrupt = goodState.slice(0, Math.floor(goodState.length / 2));
  writeFileSync(path, corrupt, { mode: 0o600 });
  await refusedAtStart(signetArgs(join(dir, 'd.sock'), path), `state file ${path} is not a Signet service-account signer state (not JSON`);
  expect(readFileSync(path, 'utf8')).toBe(corrupt);
}, 60_000);

it('the state file of another issuer: refused, the file left as it is', async () => {
  const path = join(dir, 'other.json');
  writeFileSync(path, goodState, { mode: 0o600 });
  await refusedAtStart(signetArgs(join(dir, 'e.sock'), path, `${ns.name}/other-issuer`), `belongs to AuthServer ${ns.name}/cluster-issuer, not ${ns.name}/other-issuer`);
  expect(readFileSync(path, 'utf8')).toBe(goodState);
}, 60_000);
