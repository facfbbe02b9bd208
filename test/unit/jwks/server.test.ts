// The JWKS HTTP server, for real on 127.0.0.1: HTTP semantics, routing by Host, hardening and
// graceful close.
import http from 'node:http';
import { JwksStore } from '../../../src/jwks/store.js';
import { createJwksServer, ifNoneMatchMatches } from '../../../src/jwks/server.js';
import { close, listen } from '../../../src/http/listen.js';
import { parseHostPort } from '../../../src/http/host-port.js';
import { connect, doc, ecKey, parseJson, rawExchange, readUntilClose, request, rsaKey, startServer, type TestServer } from './helpers.js';

const HOST = { host: 'login.example.com' };
const JWKS = '/team-a/oauth2/jwks';
const DISCOVERY = '/team-a/.well-known/openid-configuration';

describe('JWKS server', () => {
  let srv: TestServer;

  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv.stop());
  beforeEach(() => {
    for (const name of ['login', 'a', 'b', 'root', 'dev']) srv.store.delete('team-a', name);
    srv.store.set(doc());
    srv.statuses.length = 0;
  });

  describe('GET', () => {
    it('serves the JWKS with its content type, caching, CORS and nosniff headers and no Date', async () => {
      const r = await srv.get(JWKS, HOST);
      expect(r.status).toBe(200);
      expect(parseJson(r)).toEqual({ keys: [rsaKey('k1'), rsaKey('k2')] });
      expect(r.headers['content-type']).toBe('application/jwk-set+json');
      expect(r.headers['content-length']).toBe(String(r.body.length));
      expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(r.headers['cache-control']).toBe('public, max-age=300');
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers.date).toBeUndefined();
      expect(srv.statuses).toEqual([200]);
    });

    it('serves discovery as application/json with the issuer and the distinct algorithms', async () => {
      srv.store.set(doc({ keys: [ecKey('e1'), rsaKey('r1'), rsaKey('r2'), ecKey('e2')] }));
      const r = await srv.get(DISCOVERY, HOST);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
      expect(parseJson(r)).toEqual({
        issuer: 'https://login.example.com/team-a',
        jwks_uri: 'https://login.example.com/team-a/oauth2/jwks',
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['ES256', 'RS256'],
      });
    });

    it('routes two issuers on one host by path, and the root-path issuer', async () => {
      srv.store.set(doc({ name: 'a', issuerURI: 'https://x.example.com/team-a', keys: [rsaKey('a')] }));
      srv.store.set(doc({ name: 'b', issuerURI: 'https://x.example.com/team-b', keys: [rsaKey('b')] }));
      srv.store.set(doc({ name: 'root', issuerURI: 'https://x.example.com/', keys: [rsaKey('root')] }));
      const host = { host: 'x.example.com' };
      expect(parseJson(await srv.get('/team-a/oauth2/jwks', host))).toEqual({ keys: [rsaKey('a')] });
      expect(parseJson(await srv.get('/team-b/oauth2/jwks', host))).toEqual({ keys: [rsaKey('b')] });
      expect(parseJson(await srv.get('/oauth2/jwks', host))).toEqual({ keys: [rsaKey('root')] });
      expect(parseJson(await srv.get('/.well-known/openid-configuration', host))).toMatchObject({
        issuer: 'https://x.example.com/',
        jwks_uri: 'https://x.example.com/oauth2/jwks',
      });
    });

    it('routes two hosts with the same path apart', async () => {
      srv.store.set(doc({ name: 'a', issuerURI: 'https://a.example.com/team-a', keys: [rsaKey('a')] }));
      expect(parseJson(await srv.get(JWKS, { host: 'a.example.com' }))).toEqual({ keys: [rsaKey('a')] });
      expect(parseJson(await srv.get(JWKS, HOST))).toEqual({ keys: [rsaKey('k1'), rsaKey('k2')] });
      expect((await srv.get(JWKS, { host: 'c.example.com' })).status).toBe(404);
    });

    it('matches the Host case-insensitively and with a default port written out', async () => {
      for (const host of ['LOGIN.Example.Com', 'login.example.com:443']) {
        expect((await srv.get(JWKS, { host })).status).toBe(200);
      }
      expect((await srv.get(JWKS, { host: 'login.example.com:8443' })).status).toBe(404);
    });

    it('matches an issuer with a non-default port only with that port', async () => {
      srv.store.set(doc({ name: 'dev', issuerURI: 'http://localhost:8080/generated' }));
      expect((await srv.get('/generated/oauth2/jwks', { host: 'localhost:8080' })).status).toBe(200);
      expect((await srv.get('/generated/oauth2/jwks', { host: 'localhost' })).status).toBe(404);
    });

    it('ignores the query string', async () => {
      const plain = await srv.get(JWKS, HOST);
      const withQuery = await srv.get(`${JWKS}?cache-bust=123&x`, HOST);
      expect(withQuery.status).toBe(200);
      expect(withQuery.body.equals(plain.body)).toBe(true);
    });

    it('serves the host-independent path whatever the Host', async () => {
      for (const host of ['localhost', 'signet.signet-system.svc', 'login.example.com']) {
        const r = await srv.get('/authservers/team-a/login/oauth2/jwks', { host });
        expect(r.status).toBe(200);
        expect(parseJson(r)).toEqual({ keys: [rsaKey('k1'), rsaKey('k2')] });
      }
    });

    it('answers an unknown path with a small JSON 404', async () => {
      const r = await srv.get('/nothing/here', HOST);
      expect(r.status).toBe(404);
      expect(parseJson(r)).toEqual({ error: 'not_found' });
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(srv.statuses).toEqual([404]);
    });

    it('stops serving a deleted document', async () => {
      expect((await srv.get(JWKS, HOST)).status).toBe(200);
      srv.store.delete('team-a', 'login');
      expect((await srv.get(JWKS, HOST)).status).toBe(404);
      expect((await srv.get(DISCOVERY, HOST)).status).toBe(404);
      expect((await srv.get('/authservers/team-a/login/oauth2/jwks', HOST)).status).toBe(404);
    });
  });

  describe('conditional requests', () => {
    it('answers 304 to the ETag just served, 200 to another one', async () => {
      const first = await srv.get(JWKS, HOST);
      const etag = first.headers.etag as string;
      const again = await srv.get(JWKS, { ...HOST, 'if-none-match': etag });
      expect(again.status).toBe(304);
      expect(again.body.length).toBe(0);
      expect(again.headers.etag).toBe(etag);
      expect(again.headers['cache-control']).toBe('public, max-age=300');
      expect(again.headers['access-control-allow-origin']).toBe('*');
      const other = await srv.get(JWKS, { ...HOST, 'if-none-match': '"something-else"' });
      expect(other.status).toBe(200);
      expect(other.body.equals(first.body)).toBe(true);
      expect(srv.statuses).toEqual([200, 304, 200]);
    });

    it('accepts a list, a weak tag and *', async () => {
      const etag = (await srv.get(JWKS, HOST)).headers.etag as string;
      for (const inm of [`"a", ${etag}`, `"a",${etag} , "b"`, `W/${etag}`, `"x", W/${etag}`, '*']) {
        expect((await srv.get(JWKS, { ...HOST, 'if-none-match': inm })).status).toBe(304);
      }
      for (const inm of ['"a", "b"', etag.slice(1, -1), `W/"${etag}"`, '']) {
        expect((await srv.get(JWKS, { ...HOST, 'if-none-match': inm })).status).toBe(200);
      }
    });

    it('changes the ETag when and only when the keys change', async () => {
      const etag0 = (await srv.get(JWKS, HOST)).headers.etag as string;
      srv.store.set(doc());
      expect((await srv.get(JWKS, { ...HOST, 'if-none-match': etag0 })).status).toBe(304);

      srv.store.set(doc({ cacheMaxAgeSeconds: 60 }));
      const cacheOnly = await srv.get(JWKS, { ...HOST, 'if-none-match': etag0 });
      expect(cacheOnly.status).toBe(304);
      expect(cacheOnly.headers['cache-control']).toBe('public, max-age=60');

      srv.store.set(doc({ keys: [rsaKey('k1'), rsaKey('k3')] }));
      const changed = await srv.get(JWKS, { ...HOST, 'if-none-match': etag0 });
      expect(changed.status).toBe(200);
      expect(changed.headers.etag).not.toBe(etag0);
      expect(parseJson(changed)).toEqual({ keys: [rsaKey('k1'), rsaKey('k3')] });
    });

    it('reads header names in any case', async () => {
      const etag = (await srv.get(JWKS, HOST)).headers.etag as string;
      const reply = await rawExchange(srv.port, `GET ${JWKS} HTTP/1.1\r\nhOsT: LOGIN.example.com\r\nIF-NONE-MATCH: ${etag}\r\nConnection: close\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 304 /);
      const body = await rawExchange(srv.port, `GET ${JWKS} HTTP/1.1\r\nHOST: login.example.com\r\nCONTENT-LENGTH: 3\r\n\r\nabc`);
      expect(body).toMatch(/^HTTP\/1\.1 413 /);
    });

    it('ifNoneMatchMatches follows RFC 9110 weak comparison', () => {
      const tag = '"abc"';
      expect(ifNoneMatchMatches('"abc"', tag)).toBe(true);
      expect(ifNoneMatchMatches('W/"abc"', tag)).toBe(true);
      expect(ifNoneMatchMatches(' "x" ,\t"abc"', tag)).toBe(true);
      expect(ifNoneMatchMatches('"a,b", "abc"', tag)).toBe(true);
      expect(ifNoneMatchMatches('*', tag)).toBe(true);
      expect(ifNoneMatchMatches('"abcd"', tag)).toBe(false);
      expect(ifNoneMatchMatches('"ab"', tag)).toBe(false);
      expect(ifNoneMatchMatches('abc', tag)).toBe(false);
      expect(ifNoneMatchMatches('junk, "abc"', tag)).toBe(true);
      expect(ifNoneMatchMatches('"unterminated', tag)).toBe(false);
      expect(ifNoneMatchMatches('', tag)).toBe(false);
    });
  });

  describe('methods', () => {
    it('HEAD sends the GET headers, Content-Length included, and no body', async () => {
      const get = await srv.get(JWKS, HOST);
      const head = await srv.get(JWKS, HOST, 'HEAD');
      expect(head.status).toBe(200);
      expect(head.body.length).toBe(0);
      expect(head.headers['content-length']).toBe(String(get.body.length));
      for (const h of ['content-type', 'etag', 'cache-control', 'access-control-allow-origin', 'x-content-type-options']) {
        expect(head.headers[h]).toBe(get.headers[h]);
      }
      const headDiscovery = await srv.get(DISCOVERY, HOST, 'HEAD');
      expect(headDiscovery.status).toBe(200);
      expect(headDiscovery.headers['content-type']).toBe('application/json');
      const head404 = await srv.get('/nope', HOST, 'HEAD');
      expect(head404.status).toBe(404);
      expect(head404.body.length).toBe(0);
    });

    it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'])('%s → 405 with Allow: GET, HEAD', async (method) => {
      const r = await srv.get(JWKS, HOST, method);
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, HEAD');
      expect(parseJson(r)).toEqual({ error: 'method_not_allowed' });
    });

    it('answers a CORS preflight for a served document with 204', async () => {
      const preflight = { ...HOST, origin: 'https://app.example.com', 'access-control-request-method': 'GET', 'access-control-request-headers': 'if-none-match' };
      const r = await srv.get(JWKS, preflight, 'OPTIONS');
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe('*');
      expect(r.headers['access-control-allow-methods']).toBe('GET, HEAD');
      expect(r.headers['access-control-allow-headers']).toBe('*');
      expect((await srv.get('/unknown', preflight, 'OPTIONS')).status).toBe(405);
    });

    it('refuses a GET with a body without reading it, and closes the connection', async () => {
      const r = await request(srv.port, { path: JWKS, headers: { ...HOST, 'content-type': 'text/plain', 'content-length': '1000' }, body: 'x'.repeat(1000) });
      expect(r.status).toBe(413);
      expect(r.headers.connection).toBe('close');
      const chunked = await rawExchange(srv.port, `GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
      expect(chunked).toMatch(/^HTTP\/1\.1 413 /);
      const post = await request(srv.port, { path: JWKS, method: 'POST', headers: { ...HOST, 'content-length': '1' }, body: 'x' });
      expect(post.status).toBe(405);
      expect(post.headers.connection).toBe('close');
    });

    it('refuses two Host headers', async () => {
      const reply = await rawExchange(srv.port, `GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\nHost: evil.example.com\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    });
  });

  describe('hardening', () => {
    it('rejects oversized headers with 431', async () => {
      const reply = await rawExchange(srv.port, `GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n`);
      expect(reply).toMatch(/^HTTP\/1\.1 431 /);
      expect(reply).toContain('{"error":"request_header_fields_too_large"}');
      expect(srv.statuses).toEqual([431]);
    });

    it('answers a malformed request with 400', async () => {
      const reply = await rawExchange(srv.port, 'NOT HTTP AT ALL\r\n\r\n');
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    });

    it('serves many requests on one keep-alive connection', async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const ports = new Set<number>();
        for (let i = 0; i < 20; i++) {
          await new Promise<void>((resolve, reject) => {
            const req = http.get({ host: '127.0.0.1', port: srv.port, path: JWKS, headers: HOST, agent }, (res) => {
              ports.add(res.socket.localPort ?? 0);
              res.resume();
              res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
            });
            req.on('error', reject);
          });
        }
        expect(ports.size).toBe(1);
      } finally {
        agent.destroy();
      }
    });

    it('closes a connection after maxRequestsPerSocket answers', async () => {
      const limited = await startServer({ maxRequestsPerSocket: 3 });
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        limited.store.set(doc());
        const seen: { port: number; connection: string | undefined }[] = [];
        for (let i = 0; i < 5; i++) {
          await new Promise<void>((resolve, reject) => {
            const req = http.get({ host: '127.0.0.1', port: limited.port, path: JWKS, headers: HOST, agent }, (res) => {
              seen.push({ port: res.socket.localPort ?? 0, connection: res.headers.connection });
              res.resume();
              res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
            });
            req.on('error', reject);
          });
        }
        expect(seen.map((s) => s.connection)).toEqual(['keep-alive', 'keep-alive', 'close', 'keep-alive', 'keep-alive']);
        expect(seen[0]?.port).toBe(seen[2]?.port);
        expect(seen[3]?.port).not.toBe(seen[2]?.port);
      } finally {
        agent.destroy();
        await limited.stop();
      }
    });

    it('sets the limits on the server', () => {
      expect(srv.server.maxConnections).toBe(10_000);
      expect(srv.server.headersTimeout).toBe(10_000);
      expect(srv.server.requestTimeout).toBe(10_000);
      expect(srv.server.keepAliveTimeout).toBe(65_000);
    });
  });
});

/**
 * A complete request on another connection: once it is answered, the server has also read the bytes
 * written to other sockets before it was sent (epoll reports them in the same or an earlier turn).
 */
async function ioBarrier(port: number): Promise<void> {
  await request(port, { path: '/barrier' });
}

describe('listen and close', () => {
  it('parses bind addresses', () => {
    expect(parseHostPort('bind address', '0.0.0.0:8080')).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(parseHostPort('bind address', '[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseHostPort('bind address', ':9090')).toEqual({ host: '0.0.0.0', port: 9090 });
    expect(parseHostPort('bind address', 'localhost:1')).toEqual({ host: 'localhost', port: 1 });
    for (const bad of ['8080', 'host:', 'host:99999', 'a:b:1', '[::1]8080']) expect(() => parseHostPort('bind address', bad)).toThrow(/bind address .* is not HOST:PORT/);
  });

  it('accepts an already parsed address and rejects a port in use', async () => {
    const a = createJwksServer(new JwksStore());
    const { port } = await listen(a, { host: '127.0.0.1', port: 0 });
    const b = createJwksServer(new JwksStore());
    await expect(listen(b, `127.0.0.1:${port}`)).rejects.toThrow(/EADDRINUSE/);
    await close(a, 1_000);
  });

  it('lets an in-flight request finish, closes idle keep-alive connections, then stops', async () => {
    const store = new JwksStore();
    store.set(doc());
    const server = createJwksServer(store);
    const { port } = await listen(server, '127.0.0.1:0');

    // An idle keep-alive connection: one request answered, the socket left open.
    const idle = await connect(port);
    const idleClosed = readUntilClose(idle);
    const idleAnswered = new Promise<void>((resolve) => idle.once('data', () => resolve()));
    idle.write(`GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\n\r\n`);
    await idleAnswered;

    // A request in flight: headers half sent when close() begins.
    const busy = await connect(port);
    const busyReply = readUntilClose(busy);
    busy.write(`GET ${JWKS} HTTP/1.1\r\nHost: login.example.com\r\n`);
    await ioBarrier(port);

    let closed = false;
    const closing = close(server, 10_000).then(() => {
      closed = true;
    });
    // The idle connection goes at once; new connections are refused.
    expect(await idleClosed).toMatch(/^HTTP\/1\.1 200 /);
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);
    expect(closed).toBe(false);

    busy.write('\r\n');
    const reply = await busyReply;
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
    expect(reply).toMatch(/\r\nConnection: close\r\n/i);
    expect(reply).toContain('"keys"');
    await closing;
    expect(closed).toBe(true);
  });

  it('force-closes a connection still open at the timeout', async () => {
    const server = createJwksServer(new JwksStore());
    const { port } = await listen(server, '127.0.0.1:0');
    const stuck = await connect(port);
    const gone = readUntilClose(stuck);
    stuck.write('GET / HTTP/1.1\r\nHost: x\r\n'); // never finished
    await ioBarrier(port);
    const started = Date.now();
    await close(server, 200);
    await gone;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('resolves for a server that never listened', async () => {
    await expect(close(createJwksServer(new JwksStore()), 100)).resolves.toBeUndefined();
  });
});
