// One client that opens connections up to the listener's cap, sends one request on each and keeps
// them idle must not lock anyone else out (issue 9 point 10). The attack runs for real on
// 127.0.0.1, over HTTP and HTTPS, against a server whose maxConnections is lowered so that it takes
// a second or two.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { JwksStore } from '../../../src/jwks/store.js';
import { leastRecentlyActive, overloadLevels } from '../../../src/http/overload.js';
import { createJwksServer, type JwksServer } from '../../../src/jwks/server.js';
import { close, listen } from '../../../src/http/listen.js';
import { TlsFiles } from '../../../src/http/tls.js';
import { silentLogger } from '../../support/logger.js';
import { eventually } from '../../support/eventually.js';
import { makeSelfSignedCert } from '../../support/keys.js';
import { connect, doc, request } from './helpers.js';

/** How a client reaches the listener: a connected socket, and one GET on a new connection. */
interface Transport {
  connect(port: number): Promise<net.Socket>;
  get(port: number): Promise<number>;
}

const HTTP: Transport = {
  connect,
  get: async (port) => (await request(port, { path: JWKS, headers: { host: 'login.example.com' } })).status,
};

const HTTPS: Transport = {
  connect: (port) =>
    new Promise((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => resolve(socket));
      socket.once('error', reject);
    }),
  get: (port) =>
    new Promise((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: JWKS, headers: { host: 'login.example.com' }, agent: false, rejectUnauthorized: false }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
    }),
};

const CAP = 50;
/** Hundreds of TLS handshakes on a loaded 2-core machine can take longer than jest's 5 s. */
const FLOOD_TIMEOUT_MS = 30_000;
const JWKS = '/team-a/oauth2/jwks';
const REQUEST = `GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\n\r\n`;

/** A connection that sent one request, got its answer and is kept open; undefined if refused. */
async function idleConnection(t: Transport, port: number): Promise<net.Socket | undefined> {
  let socket: net.Socket;
  try {
    socket = await t.connect(port);
  } catch {
    return undefined;
  }
  socket.on('error', () => undefined);
  const answered = await new Promise<boolean>((resolve) => {
    socket.once('data', () => resolve(true));
    socket.once('close', () => resolve(false));
    socket.write(REQUEST);
  });
  if (!answered) socket.destroy();
  return answered ? socket : undefined;
}

/** The attacker: `total` connections, `parallel` at a time, each answered once and left idle. */
async function flood(t: Transport, port: number, total: number, parallel = 20): Promise<net.Socket[]> {
  const held: net.Socket[] = [];
  for (let i = 0; i < total; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, total - i) }, () => idleConnection(t, port)));
    for (const s of batch) if (s) held.push(s);
  }
  return held;
}

/** Everyone else: `n` concurrent requests, each on a new connection. Returns how many failed. */
async function legitimateFailures(t: Transport, port: number, n: number): Promise<number> {
  const results = await Promise.allSettled(Array.from({ length: n }, () => t.get(port)));
  return results.filter((r) => r.status === 'rejected' || r.value !== 200).length;
}

/** A client's keep-alive connection; ask() sends a request on it and waits for the whole answer. */
async function keepAliveClient(t: Transport, port: number): Promise<{ socket: net.Socket; ask(): Promise<string> }> {
  const socket = await t.connect(port);
  let buffered = '';
  let waiting: ((reply: string) => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    const end = buffered.indexOf('\r\n\r\n');
    const length = Number(/\r\ncontent-length: (\d+)/i.exec(buffered)?.[1] ?? NaN);
    if (end !== -1 && buffered.length >= end + 4 + length && waiting) {
      const reply = buffered;
      buffered = '';
      waiting(reply);
    }
  });
  return {
    socket,
    ask: () =>
      new Promise((resolve, reject) => {
        waiting = resolve;
        socket.once('close', () => reject(new Error('the server closed the connection')));
        socket.write(REQUEST);
      }),
  };
}

describe.each([
  ['HTTP', HTTP, false],
  ['HTTPS', HTTPS, true],
] as const)('connection flood over %s', (_name, t, secure) => {
  const held: net.Socket[] = [];
  let server: JwksServer;
  let port: number;
  let files: TlsFiles | undefined;
  let dir: string | undefined;

  beforeAll(async () => {
    if (!secure) return;
    dir = mkdtempSync(path.join(tmpdir(), 'signet-flood-'));
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    writeFileSync(path.join(dir, 'tls.crt'), makeSelfSignedCert(privateKey, 'localhost'));
    writeFileSync(path.join(dir, 'tls.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    files = await TlsFiles.load({ certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') }, { log: silentLogger });
  });
  afterAll(() => {
    files?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    const store = new JwksStore();
    store.set(doc());
    server = createJwksServer(store, { maxConnections: CAP, ...(files && { tls: files }) });
    ({ port } = await listen(server, '127.0.0.1:0'));
  });
  afterEach(async () => {
    for (const s of held.splice(0)) s.destroy();
    await close(server, 1_000);
  });

  it('serves every other client while one client holds idle keep-alive connections up to the cap', async () => {
    held.push(...(await flood(t, port, 2 * CAP)));
    expect(await legitimateFailures(t, port, 20)).toBe(0);
    // The attacker lost its oldest connections and never reached the cap.
    expect(held.filter((s) => !s.destroyed && !s.readableEnded).length).toBeLessThan(CAP);
  }, FLOOD_TIMEOUT_MS);

  it('serves every other client while the attacker keeps reopening what is closed', async () => {
    held.push(...(await flood(t, port, CAP)));
    let attacking = true;
    const attacker = (async () => {
      while (attacking) held.push(...(await flood(t, port, 20)));
    })();
    let failures = 0;
    for (let round = 0; round < 5; round++) failures += await legitimateFailures(t, port, 20);
    attacking = false;
    await attacker;
    expect(failures).toBe(0);
  }, FLOOD_TIMEOUT_MS);

  it('closes the connections idle longest and keeps one in use, shortening the idle timeout meanwhile', async () => {
    // The legitimate keep-alive connection is the oldest one, but it is in use.
    const client = await keepAliveClient(t, port);
    held.push(client.socket);
    expect(await client.ask()).toMatch(/^HTTP\/1\.1 200 /);
    expect(server.keepAliveTimeout).toBe(65_000);
    const early = await flood(t, port, CAP / 2);
    held.push(...early);
    for (let i = 0; i < 5; i++) {
      held.push(...(await flood(t, port, CAP / 5)));
      // Still the same connection: the idle ones went first.
      expect(await client.ask()).toMatch(/^HTTP\/1\.1 200 /);
    }
    const reply = await client.ask();
    expect(server.keepAliveTimeout).toBe(1_000);
    expect(reply).toMatch(/\r\nKeep-Alive: timeout=1\r\n/i);
    expect(early.every((s) => s.destroyed || s.readableEnded)).toBe(true);
    // Pressure over: the normal idle timeout is back.
    for (const s of held.splice(0)) s.destroy();
    await eventually(() => server.keepAliveTimeout === 65_000, { timeoutMs: 5_000, what: 'the normal keep-alive timeout' });
  }, FLOOD_TIMEOUT_MS);
});

describe('overload decisions', () => {
  it('starts at 80 % of the cap, closes down to 70 %, ends below 50 %', () => {
    expect(overloadLevels(10_000)).toEqual({ start: 8_000, target: 7_000, end: 5_000 });
    expect(overloadLevels(100)).toEqual({ start: 80, target: 70, end: 50 });
    const tiny = overloadLevels(2);
    expect(tiny.start).toBeLessThan(2);
    expect(tiny.target).toBeLessThan(tiny.start);
  });

  it('picks the least recently active, oldest first, ties in accept order', () => {
    const items = [
      { id: 'a', at: 5 },
      { id: 'b', at: 1 },
      { id: 'c', at: 9 },
      { id: 'd', at: 1 },
    ];
    expect(leastRecentlyActive(items, (i) => i.at, 3).map((i) => i.id)).toEqual(['b', 'd', 'a']);
    expect(leastRecentlyActive(items, (i) => i.at, 0)).toEqual([]);
    expect(leastRecentlyActive(items, (i) => i.at, 10)).toHaveLength(4);
  });
});
