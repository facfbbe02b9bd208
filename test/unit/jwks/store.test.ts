// The issuer store without HTTP: routing by Host and path, precomputed responses, ETag stability,
// and routes that follow the controller's ownership verdict.
import { JwksStore } from '../../../src/jwks/store.js';
import { doc, ecKey, rsaKey } from './helpers.js';

function body(store: JwksStore, host: string, path: string): unknown {
  const r = store.lookup(host, path);
  return r ? (JSON.parse(r.body.toString('utf8')) as unknown) : undefined;
}

describe('JwksStore routing', () => {
  it('serves the JWKS and discovery under the issuer path on the issuer host', () => {
    const store = new JwksStore();
    store.set(doc());
    expect(store.size).toBe(1);
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('k1'), rsaKey('k2')] });
    expect(body(store, 'login.example.com', '/team-a/.well-known/openid-configuration')).toMatchObject({
      issuer: 'https://login.example.com/team-a',
    });
    expect(store.lookup('other.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-b/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks/')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-a')).toBeUndefined();
  });

  it('matches the Host case-insensitively, with or without the default port, and ignores the query', () => {
    const store = new JwksStore();
    store.set(doc());
    for (const host of ['LOGIN.example.COM', 'login.example.com:443']) {
      expect(store.lookup(host, '/team-a/oauth2/jwks')).toBe(store.lookup('login.example.com', '/team-a/oauth2/jwks'));
    }
    expect(store.lookup('login.example.com:80', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com:8443', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks?x=1&y')).toBe(store.get('team-a', 'login')!.jwks);
  });

  it('includes a non-default port in the host', () => {
    const store = new JwksStore();
    store.set(doc({ issuerURI: 'http://localhost:8080/generated' }));
    expect(store.lookup('localhost:8080', '/generated/oauth2/jwks')).toBe(store.get('team-a', 'login')!.jwks);
    expect(store.lookup('localhost', '/generated/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('localhost:80', '/generated/oauth2/jwks')).toBeUndefined();
  });

  it('accepts an absolute-form request target, whose authority replaces the Host', () => {
    const store = new JwksStore();
    store.set(doc());
    expect(store.lookup('elsewhere', 'http://login.example.com/team-a/oauth2/jwks?q')).toBe(store.get('team-a', 'login')!.jwks);
    expect(store.lookup('login.example.com', '*')).toBeUndefined();
  });

  it('routes issuers that share a host by path, and the root-path issuer', () => {
    const store = new JwksStore();
    store.set(doc({ name: 'a', issuerURI: 'https://x.example.com/team-a', keys: [rsaKey('a')] }));
    store.set(doc({ name: 'b', issuerURI: 'https://x.example.com/team-b/', keys: [rsaKey('b')] }));
    store.set(doc({ name: 'root', issuerURI: 'https://x.example.com', keys: [rsaKey('root')] }));
    expect(body(store, 'x.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('a')] });
    expect(body(store, 'x.example.com', '/team-b/oauth2/jwks')).toEqual({ keys: [rsaKey('b')] });
    expect(body(store, 'x.example.com', '/oauth2/jwks')).toEqual({ keys: [rsaKey('root')] });
    expect(body(store, 'x.example.com', '/.well-known/openid-configuration')).toMatchObject({ issuer: 'https://x.example.com' });
  });

  it('routes issuers that share a path by host', () => {
    const store = new JwksStore();
    store.set(doc({ name: 'a', issuerURI: 'https://a.example.com/login', keys: [rsaKey('a')] }));
    store.set(doc({ name: 'b', issuerURI: 'https://b.example.com/login', keys: [rsaKey('b')] }));
    expect(body(store, 'a.example.com', '/login/oauth2/jwks')).toEqual({ keys: [rsaKey('a')] });
    expect(body(store, 'b.example.com', '/login/oauth2/jwks')).toEqual({ keys: [rsaKey('b')] });
  });

  it('serves the host-independent path for every document, whatever the Host', () => {
    const store = new JwksStore();
    store.set(doc({ servedOnIssuer: false }));
    store.set(doc({ name: 'broken', issuerURI: 'not a url', keys: [rsaKey('x')] }));
    for (const host of ['', 'anything', 'login.example.com']) {
      expect(body(store, host, '/authservers/team-a/login/oauth2/jwks')).toEqual({ keys: [rsaKey('k1'), rsaKey('k2')] });
      expect(body(store, host, '/authservers/team-a/broken/oauth2/jwks?a=b')).toEqual({ keys: [rsaKey('x')] });
    }
    // Not served on the issuer when the controller says so.
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('', '/authservers/team-a/login/.well-known/openid-configuration')).toBeUndefined();
  });

  it('serves discovery only when enabled', () => {
    const store = new JwksStore();
    store.set(doc({ discoveryEnabled: false }));
    expect(store.lookup('login.example.com', '/team-a/.well-known/openid-configuration')).toBeUndefined();
    expect(store.get('team-a', 'login')!.discovery!).toBeUndefined();
    store.set(doc({ discoveryEnabled: true }));
    expect(store.lookup('login.example.com', '/team-a/.well-known/openid-configuration')).toBe(store.get('team-a', 'login')!.discovery!);
  });

  it('moves the routes when the issuer changes', () => {
    const store = new JwksStore();
    store.set(doc());
    store.set(doc({ issuerURI: 'https://new.example.com/x' }));
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('new.example.com', '/x/oauth2/jwks')).toBe(store.get('team-a', 'login')!.jwks);
    expect(store.size).toBe(1);
  });

  it('delete removes every route of the document', () => {
    const store = new JwksStore();
    store.set(doc());
    store.set(doc({ name: 'other', issuerURI: 'https://login.example.com/team-b' }));
    store.delete('team-a', 'login');
    expect(store.size).toBe(1);
    expect(store.get('team-a', 'login')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-a/.well-known/openid-configuration')).toBeUndefined();
    expect(store.lookup('', '/authservers/team-a/login/oauth2/jwks')).toBeUndefined();
    expect(store.lookup('login.example.com', '/team-b/oauth2/jwks')).toBe(store.get('team-a', 'other')!.jwks);
    store.delete('team-a', 'login'); // twice: a no-op
    store.delete('team-a', 'other');
    expect(store.size).toBe(0);
  });

  it('follows the controller\'s verdict only: a document told it lost a route gives up what is still its own', () => {
    const store = new JwksStore();
    // The controller's verdicts, in the order it reaches them: "new" first owns the issuer (e.g.
    // while "old" had another issuerURI), then "old" takes it back and "new" is told it lost.
    store.set(doc({ name: 'new', keys: [rsaKey('new')] }));
    store.set(doc({ name: 'old', keys: [rsaKey('old')] }));
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('old')] });
    store.set(doc({ name: 'new', keys: [rsaKey('new')], servedOnIssuer: false }));
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('old')] });
    expect(store.lookup('login.example.com:443', '/team-a/.well-known/openid-configuration')).toBe(store.get('team-a', 'old')!.discovery!);
    // A later set of the loser, however often it is edited, does not take the route back.
    store.set(doc({ name: 'new', keys: [rsaKey('new2')], servedOnIssuer: false }));
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('old')] });
    // Deleting the loser leaves the owner; deleting the owner frees the route.
    store.delete('team-a', 'new');
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('old')] });
    store.delete('team-a', 'old');
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
  });

  it('moves a route in the order of the verdicts, whichever document is set or deleted first', () => {
    const store = new JwksStore();
    store.set(doc({ name: 'old', keys: [rsaKey('old')] }));
    // The owner is deleted and the waiting AuthServer is reconciled before the delete is.
    store.set(doc({ name: 'new', keys: [rsaKey('new')] }));
    store.delete('team-a', 'old');
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('new')] });
  });

  it('never lets an issuer route shadow a host-independent route, on any Host', () => {
    const store = new JwksStore();
    store.set(doc({ namespace: 'a', name: 'b', keys: [rsaKey('independent')] }));
    for (const [i, uri] of ['https://h.example.com/authservers/a/b', 'https://h.example.com/AuthServers/a/b', 'https://signet.signet-system.svc:8080/authservers/a/b'].entries()) {
      store.set(doc({ namespace: 'evil', name: `odd-${i}`, issuerURI: uri, keys: [rsaKey('issuer')] }));
    }
    for (const host of ['h.example.com', 'H.example.com:443', 'signet.signet-system.svc:8080', 'other', '']) {
      expect(body(store, host, '/authservers/a/b/oauth2/jwks')).toEqual({ keys: [rsaKey('independent')] });
    }
    expect(store.get('evil', 'odd-0')?.routes).toEqual(['*/authservers/evil/odd-0/oauth2/jwks']);
  });
});

describe('JwksStore responses', () => {
  it('precomputes the body, a strong ETag and the header arrays', () => {
    const store = new JwksStore();
    store.set(doc());
    const r = store.lookup('login.example.com', '/team-a/oauth2/jwks');
    expect(r?.status).toBe(200);
    expect(r?.etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(r?.headers).toEqual([
      'Content-Type', 'application/jwk-set+json',
      'Content-Length', String(r?.body.length),
      'ETag', r?.etag,
      'Cache-Control', 'public, max-age=300',
      'Access-Control-Allow-Origin', '*',
      'X-Content-Type-Options', 'nosniff',
    ]);
    expect(r?.notModifiedHeaders).toEqual(r?.headers.slice(4));
    // The same object answers every request until the document changes.
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBe(r);
  });

  it('keeps the ETag when the same keys are set again, changes it when a key changes', () => {
    const store = new JwksStore();
    store.set(doc());
    const first = store.get('team-a', 'login');
    // Same keys, members in another order, as a fresh object: the same bytes.
    store.set(doc({ keys: [{ e: 'AQAB', n: 'n-of-k1', alg: 'RS256', use: 'sig', kid: 'k1', kty: 'RSA' }, rsaKey('k2')] }));
    const again = store.get('team-a', 'login');
    expect(again?.jwks.etag).toBe(first?.jwks.etag);
    expect(again?.jwks.body.equals(first?.jwks.body ?? Buffer.alloc(0))).toBe(true);
    expect(again?.discovery?.etag).toBe(first?.discovery?.etag);

    store.set(doc({ keys: [rsaKey('k1'), { ...rsaKey('k2'), n: 'another-modulus' }] }));
    expect(store.get('team-a', 'login')?.jwks.etag).not.toBe(first?.jwks.etag);

    store.set(doc({ keys: [rsaKey('k2'), rsaKey('k1')] }));
    expect(store.get('team-a', 'login')?.jwks.etag).not.toBe(first?.jwks.etag);
  });

  it('keeps the very responses it serves when a document is set again unchanged, as a resync of every issuer does', () => {
    const store = new JwksStore();
    store.set(doc());
    const first = store.get('team-a', 'login');
    store.set(doc({ keys: [{ e: 'AQAB', n: 'n-of-k1', alg: 'RS256', use: 'sig', kid: 'k1', kty: 'RSA' }, rsaKey('k2')] }));
    expect(store.get('team-a', 'login')?.jwks).toBe(first?.jwks);
    expect(store.get('team-a', 'login')?.discovery).toBe(first?.discovery);
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBe(first?.jwks);
    // Any change builds them again: a key, a setting, the verdict on the issuer route.
    for (const changed of [doc({ keys: [rsaKey('k1')] }), doc({ cacheMaxAgeSeconds: 60 }), doc({ discoveryEnabled: false }), doc({ servedOnIssuer: false })]) {
      store.set(doc());
      const before = store.get('team-a', 'login');
      store.set(changed);
      expect(store.get('team-a', 'login')?.jwks).not.toBe(before?.jwks);
    }
  });

  it('takes back a route freed meanwhile when a document is set again unchanged', () => {
    const store = new JwksStore();
    store.set(doc({ name: 'new', keys: [rsaKey('new')] }));
    // An older AuthServer takes the issuer, and is deleted before "new" is told it lost it.
    store.set(doc({ name: 'old', keys: [rsaKey('old')] }));
    store.delete('team-a', 'old');
    expect(store.lookup('login.example.com', '/team-a/oauth2/jwks')).toBeUndefined();
    store.set(doc({ name: 'new', keys: [rsaKey('new')] }));
    expect(body(store, 'login.example.com', '/team-a/oauth2/jwks')).toEqual({ keys: [rsaKey('new')] });
    expect(body(store, 'login.example.com', '/team-a/.well-known/openid-configuration')).toMatchObject({ issuer: 'https://login.example.com/team-a' });
  });

  it('changes only Cache-Control when only cacheMaxAgeSeconds changes', () => {
    const store = new JwksStore();
    store.set(doc());
    const before = store.get('team-a', 'login')?.jwks;
    store.set(doc({ cacheMaxAgeSeconds: 60 }));
    const after = store.get('team-a', 'login')?.jwks;
    expect(after?.etag).toBe(before?.etag);
    expect(after?.headers).toContain('public, max-age=60');
    expect(after?.notModifiedHeaders).toContain('public, max-age=60');
    expect(before?.headers).toContain('public, max-age=300');
  });

  it('is not affected by later changes to the object it was given', () => {
    const store = new JwksStore();
    const d = doc();
    store.set(d);
    const etag = store.get('team-a', 'login')?.jwks.etag;
    (d.keys[0] as { n?: string }).n = 'mutated';
    d.issuerURI = 'https://mutated.example.com';
    expect(store.get('team-a', 'login')?.jwks.etag).toBe(etag);
    expect(store.get('team-a', 'login')?.doc.issuerURI).toBe('https://login.example.com/team-a');
  });

  it('builds the minimal discovery document with the distinct algorithms, signing key first', () => {
    const store = new JwksStore();
    store.set(doc({ issuerURI: 'https://login.example.com/team-a/', keys: [ecKey('e1'), rsaKey('r1'), ecKey('e2'), rsaKey('r2', 'PS256')] }));
    const r = store.lookup('login.example.com', '/team-a/.well-known/openid-configuration');
    expect(r?.headers.slice(0, 2)).toEqual(['Content-Type', 'application/json']);
    expect(JSON.parse(r?.body.toString('utf8') ?? '')).toEqual({
      issuer: 'https://login.example.com/team-a/',
      jwks_uri: 'https://login.example.com/team-a/oauth2/jwks',
      response_types_supported: ['id_token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256', 'RS256', 'PS256'],
    });
  });

  it('writes a sane max-age for out-of-range values', () => {
    const store = new JwksStore();
    store.set(doc({ cacheMaxAgeSeconds: -5 }));
    expect(store.get('team-a', 'login')?.jwks.headers).toContain('public, max-age=0');
    store.set(doc({ cacheMaxAgeSeconds: 12.7 }));
    expect(store.get('team-a', 'login')?.jwks.headers).toContain('public, max-age=12');
  });
});

describe('JwksStore.servedJwks', () => {
  it('gives back the served public JWKs asked for by kid, as the JWKS serves them, until the AuthServer is republished without them', () => {
    const store = new JwksStore();
    expect(store.servedJwks('team-a', 'login', ['k1'])).toEqual([]);
    store.set(doc());
    expect(store.servedJwks('team-a', 'login', ['k1'])).toEqual([rsaKey('k1')]);
    expect(store.servedJwks('team-a', 'login', ['k2', 'k3'])).toEqual([rsaKey('k2')]);
    expect(store.servedJwks('team-b', 'login', ['k1'])).toEqual([]);
    store.set(doc({ keys: [rsaKey('k2')] }));
    expect(store.servedJwks('team-a', 'login', ['k1', 'k2'])).toEqual([rsaKey('k2')]);
    store.delete('team-a', 'login');
    expect(store.servedJwks('team-a', 'login', ['k2'])).toEqual([]);
  });
});
