// The JWKS listener in a thread of its own (jwks/serving-thread.ts, jwks/thread.ts): it answers while
// the main thread is blocked, serves what the main thread hands it, holds readiness until it does,
// counts what it answered, and says why it cannot start.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { JwksServingThread, JwksThreadStartError } from '../../../src/jwks/serving-thread.js';
import type { Logger } from '../../../src/observability/logger.js';
import { doc, ecKey, request } from './helpers.js';

const quiet = { error: () => quiet, warn: () => quiet, info: () => quiet, debug: () => quiet } as unknown as Logger;
const LOOPBACK = { host: '127.0.0.1', port: 0 };
const ISSUER_JWKS = '/team-a/oauth2/jwks';
const HOST = { host: 'login.example.com' };

let thread: JwksServingThread | undefined;
/** What onExit heard: a thread that ends before stop() is a failure of the test that started it. */
let exits: Error[] = [];
afterEach(async () => {
  await thread?.stop(1_000);
  thread = undefined;
  expect(exits).toEqual([]);
  exits = [];
});

async function start(): Promise<JwksServingThread> {
  thread = await JwksServingThread.start({ bind: LOOPBACK }, { log: quiet, onExit: (err) => exits.push(err) });
  return thread;
}

/** The kids of the JWKS the thread serves on the issuer's route. */
async function servedKids(t: JwksServingThread): Promise<string[]> {
  const reply = await request(t.address.port, { path: ISSUER_JWKS, headers: HOST });
  return (JSON.parse(reply.text) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
}

/** Poll until the thread serves every change handed over, as readiness reports it. */
async function served(t: JwksServingThread): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!t.readiness({ ready: true, message: 'ok' }).ready) {
    if (Date.now() > deadline) throw new Error('the thread did not serve the documents within 10 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

it('answers JWKS requests while the main thread is blocked', async () => {
  const t = await start();
  t.set(doc({ keys: [ecKey('k1')] }));
  await served(t);
  // execFileSync blocks this thread's event loop until curl exits: a listener on this thread could
  // not answer, and curl would give up after 5 s.
  const body = execFileSync('curl', ['-sS', '--max-time', '5', '-H', 'Host: login.example.com', `http://127.0.0.1:${t.address.port}${ISSUER_JWKS}`], { encoding: 'utf8' });
  expect(JSON.parse(body)).toEqual({ keys: [expect.objectContaining({ kid: 'k1' })] });
});

it('holds readiness until the thread serves what was handed over, and serves changes and deletions', async () => {
  const t = await start();
  t.set(doc({ keys: [ecKey('k1')] }));
  expect(t.readiness({ ready: true, message: 'ok' })).toEqual({ ready: false, message: 'waiting for the JWKS listener to serve 1 document changes' });
  // The controller's own answer passes through while it is not ready.
  expect(t.readiness({ ready: false, message: 'waiting for the first list of AuthServers and Secrets' })).toEqual({ ready: false, message: 'waiting for the first list of AuthServers and Secrets' });
  await served(t);
  expect(await servedKids(t)).toEqual(['k1']);

  t.set(doc({ keys: [ecKey('k2'), ecKey('k1')] }));
  // Asked after a change, the thread answers from it: messages arrive in order.
  expect(await t.servedJwks('team-a', 'login', ['k2', 'k3'])).toEqual([ecKey('k2')]);
  await served(t);
  expect(await servedKids(t)).toEqual(['k2', 'k1']);

  t.delete('team-a', 'login');
  expect(await t.servedJwks('team-a', 'login', ['k2'])).toEqual([]);
  await served(t);
  expect((await request(t.address.port, { path: ISSUER_JWKS, headers: HOST })).status).toBe(404);
});

it('serves every one of many changes made at once (handed over in batches), the last change of each AuthServer winning', async () => {
  const t = await start();
  const issuer = (i: number): { name: string; issuerURI: string } => ({ name: `login-${i}`, issuerURI: `https://login-${i}.example.com/team-a` });
  for (let i = 0; i < 300; i++) t.set(doc({ ...issuer(i), keys: [ecKey(`k${i}`)] }));
  t.set(doc({ ...issuer(0), keys: [ecKey('replaced')] }));
  t.delete('team-a', 'login-1');
  await served(t);
  const kids = async (i: number): Promise<string[] | number> => {
    const reply = await request(t.address.port, { path: ISSUER_JWKS, headers: { host: `login-${i}.example.com` } });
    return reply.status === 200 ? (JSON.parse(reply.text) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid) : reply.status;
  };
  expect(await kids(0)).toEqual(['replaced']);
  expect(await kids(1)).toBe(404);
  expect(await kids(2)).toEqual(['k2']);
  expect(await kids(299)).toEqual(['k299']);
});

it('counts the requests it answered by status code, each once', async () => {
  const t = await start();
  t.set(doc());
  await served(t);
  for (let i = 0; i < 3; i++) expect((await request(t.address.port, { path: ISSUER_JWKS, headers: HOST })).status).toBe(200);
  expect((await request(t.address.port, { path: '/nope', headers: HOST })).status).toBe(404);
  const stats = await t.stats();
  expect(stats?.requests).toEqual({ 200: 3, 404: 1 });
  expect(stats?.loopDelayMaxSeconds).toBeGreaterThan(0);
  expect((await t.stats())?.requests).toEqual({});
});

it('says why it cannot start: an address in use, or TLS files it cannot read', async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const failure = JwksServingThread.start({ bind: { host: '127.0.0.1', port } }, { log: quiet, onExit: () => undefined });
    await expect(failure).rejects.toThrow(JwksThreadStartError);
    await expect(failure).rejects.toMatchObject({ stage: 'listen', message: expect.stringContaining('EADDRINUSE') });
  } finally {
    taken.close();
  }

  const dir = mkdtempSync(path.join(tmpdir(), 'signet-jwks-thread-'));
  writeFileSync(path.join(dir, 'tls.crt'), 'not a certificate');
  writeFileSync(path.join(dir, 'tls.key'), 'not a key');
  const tls = JwksServingThread.start({ bind: LOOPBACK, tls: { certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') } }, { log: quiet, onExit: () => undefined });
  await expect(tls).rejects.toMatchObject({ stage: 'tls', message: expect.stringContaining('does not hold a PEM certificate') });
});

it('stops: the port is free again', async () => {
  const t = await start();
  const { port } = t.address;
  await t.stop(1_000);
  thread = undefined;
  await expect(promisify(execFile)('curl', ['-sS', '--max-time', '2', `http://127.0.0.1:${port}/`])).rejects.toThrow(/Connection refused|Failed to connect/);
});
