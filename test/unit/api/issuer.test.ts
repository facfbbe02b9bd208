// spec.issuerURI as the controller reads it: which URIs are accepted (and what the refusal tells
// the user to change), the route two AuthServers conflict on, the JWKS URI, and who owns a route.
import { checkIssuer, issuerOwners, jwksURIFor, type IssuerCheck, type IssuerClaim } from '../../../src/api/issuer.js';

function accepted(check: IssuerCheck): { host: string; path: string } {
  if (!check.ok) throw new Error(`refused: ${check.message}`);
  return { host: check.host, path: check.path };
}

function refused(check: IssuerCheck): string {
  if (check.ok) throw new Error(`accepted: ${check.host}${check.path}`);
  return check.message;
}

describe('checkIssuer', () => {
  it.each([
    ['https://login.example.com/team-a', 'login.example.com', '/team-a'],
    ['https://login.example.com/team-a/', 'login.example.com', '/team-a'],
    ['https://login.example.com/team-a///', 'login.example.com', '/team-a'],
    ['https://login.example.com', 'login.example.com', ''],
    ['https://login.example.com/', 'login.example.com', ''],
    ['https://LOGIN.Example.COM/Team-A', 'login.example.com', '/Team-A'],
    ['HTTPS://login.example.com/team-a', 'login.example.com', '/team-a'],
    ['https://login.example.com:443/team-a', 'login.example.com', '/team-a'],
    ['https://login.example.com:8443/team-a', 'login.example.com:8443', '/team-a'],
    ['https://[::1]:8443/a', '[::1]:8443', '/a'],
  ])('accepts %s as host %s, path %j', (uri, host, path) => {
    expect(accepted(checkIssuer(uri, false))).toEqual({ host, path });
  });

  it('gives the same route to spellings of one issuer, so that they conflict', () => {
    const spellings = ['https://login.example.com/team-a', 'https://Login.Example.com:443/team-a/', 'HTTPS://LOGIN.EXAMPLE.COM/team-a//'];
    const routes = new Set(spellings.map((u) => { const r = accepted(checkIssuer(u, false)); return `${r.host}${r.path}`; }));
    expect([...routes]).toEqual(['login.example.com/team-a']);
  });

  it('keeps path case: /Team-A and /team-a are different issuers', () => {
    expect(accepted(checkIssuer('https://x.example.com/Team-A', false)).path).not.toBe(accepted(checkIssuer('https://x.example.com/team-a', false)).path);
  });

  it('refuses http by default, naming the annotation that allows it', () => {
    const message = refused(checkIssuer('http://localhost:8080/dev', false));
    expect(message).toContain('http://localhost:8080/dev');
    expect(message).toContain('https');
    expect(message).toContain('signet.dev/allow-unsafe-issuer-uri');
    expect(message).toContain('"true"');
  });

  it('accepts http with allowUnsafe, dropping the default port 80', () => {
    expect(accepted(checkIssuer('http://localhost:8080/dev/', true))).toEqual({ host: 'localhost:8080', path: '/dev' });
    expect(accepted(checkIssuer('http://dev.example.com:80/x', true))).toEqual({ host: 'dev.example.com', path: '/x' });
  });

  it('refuses other schemes even with allowUnsafe', () => {
    for (const allowUnsafe of [false, true]) {
      const message = refused(checkIssuer('ftp://login.example.com/team-a', allowUnsafe));
      expect(message).toMatch(/must use https/);
      expect(message).not.toContain('allow-unsafe');
    }
  });

  it.each([
    ['https://login.example.com/team-a?tenant=1', /query/, /remove the part from "\?"/],
    ['https://login.example.com/team-a?', /query/, /remove the part from "\?"/],
    ['https://login.example.com/team-a#frag', /fragment/, /remove the part from "#"/],
    ['https://login.example.com/team-a#', /fragment/, /remove the part from "#"/],
    ['login.example.com/team-a', /not an absolute URL/, /https:\/\/host\/path/],
    ['/team-a', /not an absolute URL/, /https:\/\/host\/path/],
    ['', /not an absolute URL/, /https:\/\/host\/path/],
  ])('refuses %j, saying what is wrong (%s) and how to fix it (%s)', (uri, what, fix) => {
    const message = refused(checkIssuer(uri, true));
    expect(message).toContain('spec.issuerURI');
    expect(message).toMatch(what);
    expect(message).toMatch(fix);
  });

  it('refuses credentials in the URI, saying what to fix', () => {
    for (const uri of ['https://user:secret@login.example.com/team-a', 'https://user@login.example.com/team-a']) {
      const message = refused(checkIssuer(uri, false));
      expect(message).toContain('spec.issuerURI');
      expect(message).toMatch(/credentials/);
      expect(message).toMatch(/remove the "user:password@" part/);
      // The refusal lands in status, readable by anyone who can list AuthServers: no password in it.
      expect(message).not.toContain('secret');
    }
  });
});

describe('jwksURIFor', () => {
  it.each([
    ['https://login.example.com/team-a', 'https://login.example.com/team-a/oauth2/jwks'],
    ['https://login.example.com/team-a/', 'https://login.example.com/team-a/oauth2/jwks'],
    ['https://login.example.com', 'https://login.example.com/oauth2/jwks'],
    ['https://login.example.com/', 'https://login.example.com/oauth2/jwks'],
    ['http://localhost:8080/dev//', 'http://localhost:8080/dev/oauth2/jwks'],
  ])('%s → %s', (issuer, jwks) => {
    expect(jwksURIFor(issuer)).toBe(jwks);
  });
});

describe('issuerOwners', () => {
  const route = 'login.example.com/team-a';
  const claim = (key: string, creationTimestamp: string, incumbent = false, r = route): IssuerClaim => ({ key, route: r, creationTimestamp, incumbent });

  it('gives a contested route to the older AuthServer, whatever the order of the claims', () => {
    const older = claim('team-b/zeta', '2026-01-01T00:00:00Z');
    const newer = claim('team-a/alpha', '2026-02-01T00:00:00Z');
    expect(issuerOwners([older, newer]).get(route)).toBe('team-b/zeta');
    expect(issuerOwners([newer, older]).get(route)).toBe('team-b/zeta');
  });

  it('lets the older AuthServer win even against one that served the issuer so far', () => {
    const older = claim('team-b/login', '2026-01-01T00:00:00Z');
    const incumbent = claim('team-a/login', '2026-02-01T00:00:00Z', true);
    expect(issuerOwners([incumbent, older]).get(route)).toBe('team-b/login');
  });

  it('on a creationTimestamp tie, keeps the issuer with the AuthServer that already served it', () => {
    const ts = '2026-01-01T00:00:00Z';
    const claims = [claim('team-a/login', ts), claim('team-b/login', ts, true), claim('team-c/login', ts)];
    expect(issuerOwners(claims).get(route)).toBe('team-b/login');
    expect(issuerOwners([...claims].reverse()).get(route)).toBe('team-b/login');
  });

  it('breaks a remaining tie with the smaller namespace/name, whatever the order', () => {
    const ts = '2026-01-01T00:00:00Z';
    for (const incumbent of [false, true]) {
      const claims = [claim('team-b/login', ts, incumbent), claim('team-a/login', ts, incumbent), claim('team-a/zz', ts, incumbent)];
      expect(issuerOwners(claims).get(route)).toBe('team-a/login');
      expect(issuerOwners([...claims].reverse()).get(route)).toBe('team-a/login');
    }
  });

  it('decides each route on its own', () => {
    const owners = issuerOwners([
      claim('ns/a', '2026-03-01T00:00:00Z', true, 'x.example.com/a'),
      claim('ns/b', '2026-01-01T00:00:00Z', false, 'x.example.com/b'),
      claim('ns/c', '2026-02-01T00:00:00Z', false, 'x.example.com/a'),
    ]);
    expect(Object.fromEntries(owners)).toEqual({ 'x.example.com/a': 'ns/c', 'x.example.com/b': 'ns/b' });
  });

  it('returns no owners for no claims', () => {
    expect(issuerOwners([]).size).toBe(0);
  });
});
