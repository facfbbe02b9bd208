// Security: whatever the store is fed, the JWKS never carries private or symmetric key material.
import { generateKeyPairSync } from 'node:crypto';
import type { PublicJwk } from '../../../src/keys/types.js';
import { jwksBody, publicMembersOnly } from '../../../src/jwks/documents.js';
import { doc, parseJson, startServer, type TestServer } from './helpers.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function privateRsaJwk(kid: string): PublicJwk {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  // A private JWK as a careless caller might pass it, plus multi-prime and symmetric members.
  return { ...jwk, kid, use: 'sig', alg: 'RS256', oth: [{ r: 'r', d: 'd', t: 't' }], k: 'c2VjcmV0' } as unknown as PublicJwk;
}

describe('no private key material in a JWKS', () => {
  let srv: TestServer;
  const key = privateRsaJwk('leaky');
  const ecPrivate = {
    ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
    kid: 'ec',
    use: 'sig',
    alg: 'ES256',
  } as unknown as PublicJwk;

  beforeAll(async () => {
    srv = await startServer();
  });
  afterAll(() => srv.stop());

  it('strips d, p, q, dp, dq, qi, oth and k from keys fed to the store', async () => {
    expect(Object.keys(key)).toEqual(expect.arrayContaining(PRIVATE_MEMBERS));
    srv.store.set(doc({ keys: [key, ecPrivate] }));
    for (const path of ['/team-a/oauth2/jwks', '/authservers/team-a/login/oauth2/jwks']) {
      const reply = await srv.get(path, { host: 'login.example.com' });
      expect(reply.status).toBe(200);
      const { keys } = parseJson(reply) as { keys: Record<string, unknown>[] };
      expect(keys).toHaveLength(2);
      for (const k of keys) {
        for (const m of PRIVATE_MEMBERS) expect(k).not.toHaveProperty(m);
      }
      expect(Object.keys(keys[0] ?? {})).toEqual(['kty', 'kid', 'use', 'alg', 'n', 'e']);
      expect(Object.keys(keys[1] ?? {})).toEqual(['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y']);
      // Not even as a substring of the bytes on the wire.
      const privateValues = [key, ecPrivate].flatMap((k) => ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].map((m) => (k as unknown as Record<string, unknown>)[m]));
      for (const v of privateValues) if (typeof v === 'string') expect(reply.text).not.toContain(v);
      expect(reply.text).not.toMatch(/"(d|p|q|dp|dq|qi|oth|k)":/);
    }
  });

  it('drops a symmetric key entirely and any member that is not a public JWK member', () => {
    const oct = { kty: 'oct', kid: 's', use: 'sig', alg: 'HS256', k: 'c2VjcmV0' } as unknown as PublicJwk;
    expect(publicMembersOnly(oct)).toBeUndefined();
    const odd = { kty: 'RSA', kid: 'r', use: 'sig', alg: 'RS256', n: 'n', e: 'AQAB', extra: 'x', key_ops: ['sign'] } as unknown as PublicJwk;
    expect(JSON.parse(jwksBody([oct, odd]).toString('utf8'))).toEqual({ keys: [{ kty: 'RSA', kid: 'r', use: 'sig', alg: 'RS256', n: 'n', e: 'AQAB' }] });
  });

  it('keeps the certificate members of a TLS key', () => {
    const withCert = { kty: 'RSA', kid: 'c', use: 'sig', alg: 'RS256', n: 'n', e: 'AQAB', x5c: ['MIIB'], 'x5t#S256': 'abc' } as PublicJwk;
    expect(publicMembersOnly(withCert)).toEqual(withCert);
  });
});
