// spec.issuerURI as the controller reads it: which URIs are accepted (and what the refusal tells
// the user to change), the route two AuthServers conflict on, and the JWKS URI.
import { checkIssuer, jwksURIFor, type IssuerCheck } from '../../../src/api/issuer.js';
import { routeKeys } from '../../../src/api/route.js';

/** The accepted issuer as host (the explicit-port spelling) and path. */
function accepted(check: IssuerCheck): { host: string; path: string } {
  if (!check.ok) throw new Error(`refused: ${check.problem.message}`);
  return { host: check.value.route.hosts[0] ?? '', path: check.value.route.path };
}

function refused(check: IssuerCheck): string {
  if (check.ok) throw new Error(`accepted: ${check.value.route.hosts.join(',')}${check.value.route.path}`);
  expect(check.problem.reason).toBe('InvalidIssuerURI');
  return check.problem.message;
}

describe('checkIssuer', () => {
  it.each([
    ['https://login.example.com/team-a', 'login.example.com:443', '/team-a'],
    ['https://login.example.com/team-a/', 'login.example.com:443', '/team-a'],
    ['https://login.example.com/team-a///', 'login.example.com:443', '/team-a'],
    ['https://login.example.com', 'login.example.com:443', ''],
    ['https://login.example.com/', 'login.example.com:443', ''],
    ['https://LOGIN.Example.COM/Team-A', 'login.example.com:443', '/Team-A'],
    ['HTTPS://login.example.com/team-a', 'login.example.com:443', '/team-a'],
    ['https://login.example.com:443/team-a', 'login.example.com:443', '/team-a'],
    ['https://login.example.com./team-a', 'login.example.com:443', '/team-a'],
    ['https://login.example.com:8443/team-a', 'login.example.com:8443', '/team-a'],
    ['https://[::1]:8443/a', '[::1]:8443', '/a'],
  ])('accepts %s as host %s, path %j', (uri, host, path) => {
    expect(accepted(checkIssuer(uri, false))).toEqual({ host, path });
  });

  it('gives the same route to spellings of one issuer, so that they conflict', () => {
    const spellings = ['https://login.example.com/team-a', 'https://Login.Example.com:443/team-a/', 'HTTPS://LOGIN.EXAMPLE.COM/team-a//', 'https://login.example.com.:443/team-a'];
    const routes = new Set(spellings.map((u) => { const c = checkIssuer(u, false); return c.ok ? routeKeys(c.value.route).join(' ') : c.problem.message; }));
    expect([...routes]).toEqual(['login.example.com:443/team-a login.example.com/team-a']);
  });

  it('reports the scheme and the host name a host policy matches', () => {
    expect(checkIssuer('http://Dev.Example.com:8080/x', true)).toMatchObject({ ok: true, value: { scheme: 'http', hostname: 'dev.example.com' } });
    expect(checkIssuer('https://LOGIN.example.com./x', false)).toMatchObject({ ok: true, value: { scheme: 'https', hostname: 'login.example.com' } });
  });

  it.each([
    'https://signet.signet-system.svc:8080/authservers/team-a/login',
    'https://login.example.com/authservers/team-a/login/',
    'https://login.example.com/authservers/',
    'https://login.example.com/authservers',
    'https://login.example.com/AuthServers/team-a/login',
    'https://login.example.com/%61uthservers/team-a/login',
    'https://login.example.com/%2561uthservers/team-a/login',
    'https://login.example.com/authservers%2Fteam-a/login',
    'https://login.example.com//authservers/team-a/login',
    'https://login.example.com/x/../authservers/team-a/login',
    'https://login.example.com/x/%2e%2e/authservers/team-a/login',
  ])('refuses %s: the /authservers/ prefix is reserved on every host', (uri) => {
    for (const allowUnsafe of [false, true]) {
      const message = refused(checkIssuer(uri, allowUnsafe));
      expect(message).toContain('/authservers/');
      expect(message).toMatch(/reserved/);
      expect(message).toMatch(/choose another path/);
    }
  });

  it.each(['https://login.example.com/authserver/x', 'https://login.example.com/authserversx/y', 'https://login.example.com/team-a/authservers/x'])('accepts %s, outside the reserved prefix', (uri) => {
    expect(checkIssuer(uri, false).ok).toBe(true);
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
    expect(message).toContain('--allow-insecure-issuers');
  });

  it('accepts http with allowUnsafe, with the default port 80', () => {
    expect(accepted(checkIssuer('http://localhost:8080/dev/', true))).toEqual({ host: 'localhost:8080', path: '/dev' });
    expect(accepted(checkIssuer('http://dev.example.com:80/x', true))).toEqual({ host: 'dev.example.com:80', path: '/x' });
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

describe('checkIssuer: the route the JWKS store serves an issuer on', () => {
  const routeOf = (uri: string) => {
    const check = checkIssuer(uri, true);
    return check.ok ? check.value.route : undefined;
  };

  it.each([
    ['https://login.example.com/team-a', ['login.example.com:443', 'login.example.com'], '/team-a'],
    ['https://login.example.com/team-a/', ['login.example.com:443', 'login.example.com'], '/team-a'],
    ['https://X.Example.COM', ['x.example.com:443', 'x.example.com'], ''],
    ['https://x.example.com/', ['x.example.com:443', 'x.example.com'], ''],
    ['https://x.example.com:443/a', ['x.example.com:443', 'x.example.com'], '/a'],
    ['https://x.example.com:8443/a', ['x.example.com:8443'], '/a'],
    ['http://localhost:8080/generated', ['localhost:8080'], '/generated'],
    ['http://localhost/generated', ['localhost:80', 'localhost'], '/generated'],
    ['http://localhost:443/generated', ['localhost:443'], '/generated'],
    ['http://[::1]:8080/a', ['[::1]:8080'], '/a'],
  ])('%s → hosts %j, path %j', (uri, hosts, path) => {
    expect(routeOf(uri)).toEqual({ hosts, path });
  });

  it.each(['not a url', '/relative/path', 'ftp://x.example.com/a', 'mailto:a@b.c', 'https://h.example.com/authservers/a/b', 'https://h.example.com/AuthServers/a/b'])('%s is not routable', (uri) => {
    expect(routeOf(uri)).toBeUndefined();
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
