// Route identity: the one reading of "which (Host, path) pairs reach this issuer" that the conflict
// index, the store and the router share. Every spelling of one route must give the same keys, and
// two issuers conflict exactly when a request could reach both.
import { checkIssuer } from '../../../src/api/issuer.js';
import { hostKey, isReservedPath, routeKeys } from '../../../src/api/route.js';
import { JwksStore } from '../../../src/jwks/store.js';
import { doc, rsaKey } from '../jwks/helpers.js';

function keys(uri: string): string[] {
  const check = checkIssuer(uri, true);
  if (!check.ok) throw new Error(check.problem.message);
  return routeKeys(check.value.route);
}

function overlap(a: string, b: string): boolean {
  const kb = new Set(keys(b));
  return keys(a).some((k) => kb.has(k));
}

describe('hostKey', () => {
  it.each([
    ['login.example.com', 'login.example.com'],
    ['LOGIN.Example.COM', 'login.example.com'],
    ['login.example.com:443', 'login.example.com:443'],
    ['Login.Example.com:8443', 'login.example.com:8443'],
    ['login.example.com.', 'login.example.com'],
    ['login.example.com.:443', 'login.example.com:443'],
    ['[::1]:8080', '[::1]:8080'],
    ['', ''],
  ])('%j → %j', (host, key) => {
    expect(hostKey(host)).toBe(key);
  });

  it('returns the very string when it is already in its spelling (no allocation on the request path)', () => {
    const host = 'login.example.com:443';
    expect(hostKey(host)).toBe(host);
  });
});

describe('route keys of an issuer', () => {
  it.each([
    ['https://login.example.com/t', ['login.example.com:443/t', 'login.example.com/t']],
    ['https://login.example.com:443/t', ['login.example.com:443/t', 'login.example.com/t']],
    ['https://LOGIN.example.COM/t/', ['login.example.com:443/t', 'login.example.com/t']],
    ['https://login.example.com./t//', ['login.example.com:443/t', 'login.example.com/t']],
    ['http://login.example.com/t', ['login.example.com:80/t', 'login.example.com/t']],
    ['http://login.example.com:80/t', ['login.example.com:80/t', 'login.example.com/t']],
    ['http://login.example.com:443/t', ['login.example.com:443/t']],
    ['https://login.example.com:80/t', ['login.example.com:80/t']],
    ['https://login.example.com:8443/t', ['login.example.com:8443/t']],
    ['https://login.example.com', ['login.example.com:443', 'login.example.com']],
    ['https://login.example.com/', ['login.example.com:443', 'login.example.com']],
    ['http://[::1]:8080/a', ['[::1]:8080/a']],
  ])('%s → %j', (uri, expected) => {
    expect(keys(uri)).toEqual(expected);
  });
});

describe('conflicts: two issuers conflict when any (Host, path) pair either answers is the same', () => {
  const base = 'https://login.example.com/t';
  it.each([
    ['case of the host', 'https://LOGIN.Example.com/t'],
    ['explicit default port', 'https://login.example.com:443/t'],
    ['trailing slash', 'https://login.example.com/t/'],
    ['trailing slashes and port and case', 'HTTPS://Login.Example.COM:443/t//'],
    ['trailing dot of the host name', 'https://login.example.com./t'],
    ['scheme, default ports (bare Host)', 'http://login.example.com/t'],
    ['scheme, http on port 443', 'http://login.example.com:443/t'],
  ])('%s: %s conflicts with https://login.example.com/t', (_what, other) => {
    expect(overlap(other, base)).toBe(true);
    expect(overlap(base, other)).toBe(true);
  });

  it.each([
    ['another port', 'https://login.example.com:8443/t'],
    ['http on its own non-default port', 'http://login.example.com:8080/t'],
    ['the case of the path', 'https://login.example.com/T'],
    ['another path', 'https://login.example.com/t2'],
    ['a path below', 'https://login.example.com/t/u'],
    ['another host', 'https://login2.example.com/t'],
  ])('%s: %s does not conflict', (_what, other) => {
    expect(overlap(other, base)).toBe(false);
  });

  it('http on port 80 and https on port 80 conflict (both answer Host x:80)', () => {
    expect(overlap('http://x.example.com/t', 'https://x.example.com:80/t')).toBe(true);
  });
});

describe('the router reads a request the way the conflict check reads an issuer', () => {
  it.each([
    ['https://login.example.com/t', ['login.example.com', 'LOGIN.example.com', 'login.example.com:443', 'login.example.com.', 'login.example.com.:443'], ['login.example.com:80', 'login.example.com:8443']],
    ['http://login.example.com:443/t', ['login.example.com:443', 'Login.Example.Com:443'], ['login.example.com', 'login.example.com:80']],
    ['http://login.example.com/t/', ['login.example.com', 'login.example.com:80'], ['login.example.com:443']],
  ])('%s is answered on Host %j and not on %j', (issuerURI, answered, not) => {
    const store = new JwksStore();
    store.set(doc({ issuerURI, keys: [rsaKey('k')] }));
    for (const host of answered) expect(store.lookup(host, '/t/oauth2/jwks')).toBe(store.get('team-a', 'login')!.jwks);
    for (const host of not) expect(store.lookup(host, '/t/oauth2/jwks')).toBeUndefined();
  });
});

describe('isReservedPath', () => {
  it.each(['/authservers/a/b', '/authservers', '/authservers/', '/AUTHSERVERS/a', '/%61uthservers/a', '/%2561uthservers/a', '/authservers%2Fa', '//authservers/a', '/%2Fauthservers/a'])('%s is reserved', (p) => {
    expect(isReservedPath(p)).toBe(true);
  });
  it.each(['', '/', '/authserver', '/authserversx', '/a/authservers/x', '/%zz/authservers'])('%s is not', (p) => {
    expect(isReservedPath(p)).toBe(false);
  });
});
