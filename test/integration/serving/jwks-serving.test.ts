// The JWKS and discovery endpoints as resource servers see them, with AuthServers applied to a
// real API server: HTTP semantics, routing by host and path, the issuer conflict rule, and an
// ETag that changes when, and only when, the keys change.
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { useOperator } from '../../support/operator.js';
import { condition, createAuthServer, deleteAuthServer, editAuthServer, waitForEvent, isReady, waitForStatus } from '../../support/authservers.js';

const c = clients();
const ns = useNamespace('serving');
const op = useOperator(ns);

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: string }
function request(method: string, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: op.jwksPort, method, path, headers: { Host: host, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const pem = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

beforeAll(async () => {
  for (const name of ['a-key', 'b-key', 'c-key', 'extra-key']) await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: { 'key.pem': pem() } } });
  await createAuthServer(ns.name, 'team-a', { issuerURI: 'https://login.example.com/team-a', tokenSignature: { signAndVerifyKeyRef: { name: 'a-key' } }, jwks: { cacheMaxAgeSeconds: 120 } });
  await createAuthServer(ns.name, 'team-b', { issuerURI: 'https://login.example.com/team-b', tokenSignature: { signAndVerifyKeyRef: { name: 'b-key' } }, discovery: { enabled: false } });
  await createAuthServer(ns.name, 'other-host', { issuerURI: 'https://auth.other.example', tokenSignature: { signAndVerifyKeyRef: { name: 'c-key' }, keyGeneration: { mode: 'Never' } } });
  for (const name of ['team-a', 'team-b', 'other-host']) await waitForStatus(ns.name, name, isReady, 'Ready');
});

it('answers GET with the JWKS headers, 304 on If-None-Match, HEAD without a body, 405 otherwise', async () => {
  const get = await request('GET', '/team-a/oauth2/jwks', 'login.example.com');
  expect(get.status).toBe(200);
  expect(get.headers['content-type']).toBe('application/jwk-set+json');
  expect(get.headers['cache-control']).toBe('public, max-age=120');
  expect(get.headers['access-control-allow-origin']).toBe('*');
  expect(get.headers.etag).toMatch(/^"[^"]+"$/);
  expect((JSON.parse(get.body) as { keys: unknown[] }).keys).toHaveLength(1);

  const cached = await request('GET', '/team-a/oauth2/jwks', 'login.example.com', { 'If-None-Match': get.headers.etag! });
  expect(cached.status).toBe(304);
  expect(cached.body).toBe('');
  expect((await request('GET', '/team-a/oauth2/jwks', 'login.example.com', { 'If-None-Match': '"stale"' })).status).toBe(200);

  const head = await request('HEAD', '/team-a/oauth2/jwks', 'login.example.com');
  expect(head.status).toBe(200);
  expect(head.body).toBe('');
  expect(head.headers['content-length']).toBe(get.headers['content-length']);
  expect(head.headers.etag).toBe(get.headers.etag);

  const post = await request('POST', '/team-a/oauth2/jwks', 'login.example.com');
  expect(post.status).toBe(405);
  expect(post.headers.allow).toContain('GET');
  const missing = await request('GET', '/team-z/oauth2/jwks', 'login.example.com');
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.body)).toEqual(expect.objectContaining({ error: expect.any(String) }));
});

it('serves discovery with the keys\' algorithms, and not when disabled', async () => {
  const res = await request('GET', '/team-a/.well-known/openid-configuration', 'login.example.com');
  expect(res.status).toBe(200);
  expect(res.headers['access-control-allow-origin']).toBe('*');
  expect(JSON.parse(res.body)).toEqual({
    issuer: 'https://login.example.com/team-a',
    jwks_uri: 'https://login.example.com/team-a/oauth2/jwks',
    id_token_signing_alg_values_supported: ['RS256'],
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
  });
  expect((await request('GET', '/team-b/.well-known/openid-configuration', 'login.example.com')).status).toBe(404);
});

it('routes two issuers on one host by path, and issuers on another host by host', async () => {
  const a = JSON.parse((await request('GET', '/team-a/oauth2/jwks', 'login.example.com')).body) as { keys: Array<{ kid: string }> };
  const b = JSON.parse((await request('GET', '/team-b/oauth2/jwks', 'login.example.com')).body) as { keys: Array<{ kid: string }> };
  const other = JSON.parse((await request('GET', '/oauth2/jwks', 'auth.other.example')).body) as { keys: Array<{ kid: string }> };
  const kids = new Set([a.keys[0]?.kid, b.keys[0]?.kid, other.keys[0]?.kid]);
  expect(kids.size).toBe(3);
  expect((await request('GET', '/oauth2/jwks', 'login.example.com')).status).toBe(404);
  expect((await request('GET', '/team-a/oauth2/jwks', 'auth.other.example')).status).toBe(404);
  expect((await request('GET', `/authservers/${ns.name}/team-b/oauth2/jwks`, 'anything')).body).toBe(JSON.stringify(b));
});

it('gives an issuer to the older AuthServer and IssuerConflict to the newer, until the older goes', async () => {
  const owner = JSON.parse((await request('GET', '/oauth2/jwks', 'auth.other.example')).body) as { keys: Array<{ kid: string }> };
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'dup-key' }, stringData: { 'key.pem': pem() } } });
  await createAuthServer(ns.name, 'copycat', { issuerURI: 'https://auth.other.example/', tokenSignature: { signAndVerifyKeyRef: { name: 'dup-key' } } });
  const loser = await waitForStatus(ns.name, 'copycat', (a) => condition(a, 'Ready')?.reason === 'IssuerConflict', 'IssuerConflict');
  expect(condition(loser, 'Ready')).toMatchObject({ status: 'False', message: expect.stringContaining(`${ns.name}/other-host`) });
  expect(await waitForEvent(ns.name, 'copycat', 'IssuerConflict')).toMatchObject({ type: 'Warning' });
  expect((await request('GET', '/oauth2/jwks', 'auth.other.example')).body).toBe(JSON.stringify(owner));
  expect(isReady(await waitForStatus(ns.name, 'other-host', () => true, 'status'))).toBe(true);

  await deleteAuthServer(ns.name, 'other-host');
  const winner = await waitForStatus(ns.name, 'copycat', isReady, 'Ready once the issuer is free');
  await eventually(async () => {
    const now = JSON.parse((await request('GET', '/oauth2/jwks', 'auth.other.example')).body) as { keys: Array<{ kid: string }> };
    return now.keys[0]?.kid === winner.status?.signingKeyID;
  }, { what: 'issuer now served from copycat' });
});

it('changes the ETag when and only when the keys change', async () => {
  const etag = async (): Promise<string> => (await request('GET', '/team-a/oauth2/jwks', 'login.example.com')).headers.etag ?? '';
  const first = await etag();
  // A change that does not touch the keys: same document, same ETag.
  await editAuthServer(ns.name, 'team-a', (s) => ({ ...s, discovery: { enabled: false } }));
  await eventually(async () => (await request('GET', '/team-a/.well-known/openid-configuration', 'login.example.com')).status === 404, { what: 'discovery off' });
  expect(await etag()).toBe(first);
  // A key added: new ETag.
  await editAuthServer(ns.name, 'team-a', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [{ name: 'extra-key' }] } }));
  const second = await eventually(async () => { const e = await etag(); return e !== first ? e : undefined; }, { what: 'ETag changes' });
  // The key removed again: the original document and ETag come back.
  await editAuthServer(ns.name, 'team-a', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [] } }));
  await eventually(async () => (await etag()) === first, { what: 'ETag back to the first' });
  expect(second).not.toBe(first);
});
