// Bounded work on the signing listener (issue 20, point 1 and the listener half of point 7): one
// caller must not be able to make Signet sign thousands of tokens for one request, overflow the
// stack with deep claims, queue unbounded signing work, or hold connections open with a trickle.
// The server runs for real on 127.0.0.1 with an RSA-2048 key; the reviews are answered in memory
// (the reviews themselves are tested against a real API server in test/integration/signing).
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { close, listen } from '../../../src/http/listen.js';
import { MAX_JSON_DEPTH, MAX_KEYS_TO_SIGN } from '../../../src/signing/claims.js';
import { SigningKeyStore } from '../../../src/signing/key-store.js';
import { createSigningServer, DEFAULT_SIGNING_MAX_CONNECTIONS, type SigningServerDeps, type SigningServerOptions } from '../../../src/signing/server.js';
import { silentLogger } from '../../support/logger.js';
import { connect } from '../jwks/helpers.js';

const PATH = '/authservers/team-a/login';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

async function start(deps: Partial<SigningServerDeps> = {}, opts: SigningServerOptions = {}) {
  const keys = new SigningKeyStore();
  keys.set('team-a', 'login', {
    issuerURI: 'https://login.example.com/team-a',
    settings: { enabled: true, defaultTokenLifetimeMs: 600_000, maxTokenLifetimeMs: 3_600_000, allowKeysetExport: false },
    active: { kid: 'k1', alg: 'RS256', key: rsa },
  });
  const access = {
    authenticate: () => Promise.resolve({ authenticated: true as const, user: { username: 'system:serviceaccount:team-a:gateway', groups: [] } }),
    authorize: () => Promise.resolve(true),
  };
  const server = createSigningServer({ keys, access, log: silentLogger, rsaPlacement: 'thread-pool', ...deps }, opts);
  const { port } = await listen(server, '127.0.0.1:0');
  return { server, port, stop: () => close(server, 1_000) };
}

async function post(port: number, action: string, body: string): Promise<{ status: number; headers: Headers; json: Record<string, unknown>; bytes: number }> {
  const res = await fetch(`http://127.0.0.1:${port}${PATH}/${action}`, { method: 'POST', headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) as Record<string, unknown>, bytes: text.length };
}

/** The status of a sign request sent from `localAddress`; 0 when the connection was closed. */
function postFrom(localAddress: string, port: number, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port, localAddress, path: `${PATH}/sign`, method: 'POST', agent: false,
      headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** A sign-fields body naming `n` empty members, KrakenD's shape. */
function manyMembers(n: number): string {
  const names = Array.from({ length: n }, (_, i) => i.toString(36));
  return JSON.stringify({ document: Object.fromEntries(names.map((m) => [m, {}])), keysToSign: names });
}

describe('sign-fields', () => {
  it(`refuses more than ${MAX_KEYS_TO_SIGN} members to sign (400, named), so a 64 KiB body cannot ask for thousands of signatures`, async () => {
    const srv = await start();
    try {
      // The attack of issue 20: 4,544 empty members in 64 KiB made 4,544 RS256 signatures and a 2.48 MB answer.
      const attack = manyMembers(4_544);
      expect(attack.length).toBeLessThanOrEqual(64 * 1024);
      const res = await post(srv.port, 'sign-fields', attack);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'invalid_request', rule: 'too_many_keys_to_sign' });
      expect(res.json.message).toContain(`at most ${MAX_KEYS_TO_SIGN}`);
      expect((await post(srv.port, 'sign-fields', manyMembers(MAX_KEYS_TO_SIGN + 1))).status).toBe(400);
      const ok = await post(srv.port, 'sign-fields', manyMembers(MAX_KEYS_TO_SIGN));
      expect(ok.status).toBe(200);
      expect(Object.values(ok.json).every((v) => typeof v === 'string' && v.split('.').length === 3)).toBe(true);
    } finally {
      await srv.stop();
    }
  });
});

describe('nesting', () => {
  const nested = (levels: number): string => `{"sub":"x","deep":${'['.repeat(levels - 1)}${']'.repeat(levels - 1)}}`;

  it(`refuses claims nested more than ${MAX_JSON_DEPTH} levels (400, named) instead of overflowing the stack (500)`, async () => {
    const srv = await start();
    try {
      for (const body of [nested(30_000), nested(MAX_JSON_DEPTH + 1)]) {
        const res = await post(srv.port, 'sign', body);
        expect(res.status).toBe(400);
        expect(res.json).toMatchObject({ error: 'invalid_request', rule: 'nesting_too_deep' });
      }
      const deepFields = await post(srv.port, 'sign-fields', `{"document":{"a":${nested(30_000)}},"keysToSign":["a"]}`);
      expect(deepFields.status).toBe(400);
      expect((await post(srv.port, 'sign', nested(MAX_JSON_DEPTH))).status).toBe(200);
    } finally {
      await srv.stop();
    }
  });
});

describe('signing work in flight', () => {
  it('is bounded per process: beyond the queue a request gets 503 with Retry-After, the others are signed', async () => {
    const srv = await start({ maxConcurrentSigning: 1, maxQueuedSigning: 2 });
    try {
      const body = manyMembers(MAX_KEYS_TO_SIGN);
      const answers = await Promise.all(Array.from({ length: 24 }, () => post(srv.port, 'sign-fields', body)));
      const busy = answers.filter((a) => a.status === 503);
      expect(busy.length).toBeGreaterThan(0);
      expect(answers.filter((a) => a.status !== 503).every((a) => a.status === 200)).toBe(true);
      for (const b of busy) {
        expect(b.json).toMatchObject({ error: 'signing_busy' });
        expect(b.headers.get('retry-after')).toBe('1');
      }
    } finally {
      await srv.stop();
    }
  }, 30_000);
});

describe('the listener', () => {
  it('caps connections and times out headers like the JWKS listener', async () => {
    const srv = await start();
    try {
      expect(srv.server.maxConnections).toBe(DEFAULT_SIGNING_MAX_CONNECTIONS);
      expect([srv.server.headersTimeout, srv.server.requestTimeout]).toEqual([10_000, 10_000]);
    } finally {
      await srv.stop();
    }
  });

  it('closes a connection whose headers trickle in within about 11 s (was 31 s)', async () => {
    const srv = await start();
    const socket = await connect(srv.port);
    const started = Date.now();
    const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now() - started)));
    socket.on('error', () => undefined);
    socket.write(`POST ${PATH}/sign HTTP/1.1\r\nHost: signet\r\n`);
    const drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 1_000);
    try {
      const ms = await closed;
      expect(ms).toBeGreaterThanOrEqual(9_500);
      expect(ms).toBeLessThan(12_500);
    } finally {
      clearInterval(drip);
      socket.destroy();
      await srv.stop();
    }
  }, 20_000);

  it('under a connection flood closes idle connections, not one waiting for its answer, and answers a new client', async () => {
    let releaseReview = (): void => undefined;
    const slowReview = new Promise<void>((resolve) => { releaseReview = resolve; });
    let first = true;
    const access = {
      authenticate: async () => {
        if (first) {
          first = false;
          await slowReview; // the one request that waits while the flood arrives
        }
        return { authenticated: true as const, user: { username: 'u', groups: [] } };
      },
      authorize: () => Promise.resolve(true),
    };
    // All from one address here, so that address may hold every connection: relief alone must cope.
    const srv = await start({ access }, { maxConnections: 50, maxConnectionsPerSource: 50 });
    const held: net.Socket[] = [];
    try {
      const waiting = post(srv.port, 'sign', '{"sub":"patient"}');
      await new Promise((r) => setTimeout(r, 100));
      // The attacker: connections that send nothing, up to the cap and beyond.
      for (let i = 0; i < 120; i++) {
        const s = await connect(srv.port).catch(() => undefined);
        if (s) {
          s.on('error', () => undefined);
          held.push(s);
        }
      }
      expect((await post(srv.port, 'sign', '{"sub":"newcomer"}')).status).toBe(200);
      releaseReview();
      expect((await waiting).status).toBe(200);
    } finally {
      for (const s of held) s.destroy();
      await srv.stop();
    }
  }, 30_000);

  it('keeps room for other callers when one source holds its share of connections busy', async () => {
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const access = {
      // Every review from the flooding source hangs, so its connections are busy, never idle.
      authenticate: async (_token: string, source?: string) => {
        if (source === '127.0.0.2') await held;
        return { authenticated: true as const, user: { username: 'u', groups: [] } };
      },
      authorize: () => Promise.resolve(true),
    };
    const srv = await start({ access }, { maxConnections: 40 });
    const flood: Array<Promise<number>> = [];
    try {
      for (let i = 0; i < 40; i++) flood.push(postFrom('127.0.0.2', srv.port, '{"sub":"flood"}'));
      // The flooder got its share (10) and not one connection more: the rest were closed at once.
      expect((await Promise.all(flood.slice(10))).every((status) => status === 0)).toBe(true);
      expect(await postFrom('127.0.0.3', srv.port, '{"sub":"real"}')).toBe(200);
    } finally {
      release();
      await Promise.all(flood);
      await srv.stop();
    }
  }, 30_000);
});
