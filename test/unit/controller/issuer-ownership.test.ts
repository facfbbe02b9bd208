// The verdict on an AuthServer's issuer: valid, allowed by the cluster admin's policy
// (--allow-insecure-issuers, --issuer-host-policy), and not claimed by an older AuthServer.
import { parseHostPolicy } from '../../../src/api/host-policy.js';
import type { AuthServer } from '../../../src/api/types.js';
import { issuerClaim, issuerVerdict, precedes, servedIssuer, type IssuerClaim, type IssuerPolicy } from '../../../src/controller/issuer-ownership.js';

function authServer(issuerURI: string, namespace = 'team-a', annotations: Record<string, string> = {}): AuthServer {
  return {
    apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer',
    metadata: { name: 'login', namespace, annotations },
    spec: { issuerURI, tokenSignature: { signAndVerifyKeyRef: { name: 'k' } } },
  };
}
const UNSAFE = { 'signet.dev/allow-unsafe-issuer-uri': 'true' };
const OPEN: IssuerPolicy = { allowInsecure: false };
const DEV: IssuerPolicy = { allowInsecure: true };

describe('issuerVerdict', () => {
  it('accepts an https issuer with no policy and no older claimant', () => {
    expect(issuerVerdict(authServer('https://login.example.com/t'), OPEN, undefined)).toEqual({ ok: true, value: { hosts: ['login.example.com:443', 'login.example.com'], path: '/t' } });
  });

  it('refuses the reserved /authservers/ prefix as InvalidIssuerURI, whatever the policy', () => {
    for (const policy of [OPEN, DEV]) {
      expect(issuerVerdict(authServer('https://signet.signet-system.svc:8080/authservers/team-b/login'), policy, undefined))
        .toMatchObject({ ok: false, problem: { reason: 'InvalidIssuerURI', message: expect.stringContaining('/authservers/') } });
    }
  });

  it('refuses http without the annotation as InvalidIssuerURI, naming the annotation and the flag', () => {
    for (const policy of [OPEN, DEV]) {
      const v = issuerVerdict(authServer('http://login.example.com/t'), policy, undefined);
      expect(v).toMatchObject({ ok: false, problem: { reason: 'InvalidIssuerURI' } });
      expect(v.ok ? '' : v.problem.message).toMatch(/signet\.dev\/allow-unsafe-issuer-uri.*--allow-insecure-issuers/);
    }
  });

  it('refuses http with the annotation as InsecureIssuerNotAllowed unless the operator runs with --allow-insecure-issuers', () => {
    const as = authServer('http://login.example.com/t', 'team-a', UNSAFE);
    const v = issuerVerdict(as, OPEN, undefined);
    expect(v).toMatchObject({ ok: false, problem: { reason: 'InsecureIssuerNotAllowed' } });
    expect(v.ok ? '' : v.problem.message).toContain('--allow-insecure-issuers');
    expect(v.ok ? '' : v.problem.message).toContain('http://login.example.com/t');
    expect(issuerVerdict(as, DEV, undefined)).toEqual({ ok: true, value: { hosts: ['login.example.com:80', 'login.example.com'], path: '/t' } });
    expect(issuerClaim(as, OPEN)).toBeUndefined();
    expect(issuerClaim(as, DEV)).toEqual(['login.example.com:80/t', 'login.example.com/t']);
  });

  it('refuses a host no rule grants to the namespace as IssuerNotAllowed, naming host and namespace', () => {
    const hostPolicy = parseHostPolicy('- {namespaces: [team-a, "team-a-*"], hosts: ["*.team-a.example.com"]}\n', 'policy.yaml');
    const policy: IssuerPolicy = { allowInsecure: false, hostPolicy };
    expect(issuerVerdict(authServer('https://login.team-a.example.com/x', 'team-a-dev'), policy, undefined)).toEqual({ ok: true, value: { hosts: ['login.team-a.example.com:443', 'login.team-a.example.com'], path: '/x' } });
    const v = issuerVerdict(authServer('https://login.team-a.example.com/x', 'team-b'), policy, undefined);
    expect(v).toMatchObject({ ok: false, problem: { reason: 'IssuerNotAllowed' } });
    expect(v.ok ? '' : v.problem.message).toMatch(/"login\.team-a\.example\.com".*"team-b"/);
    expect(issuerClaim(authServer('https://login.team-a.example.com/x', 'team-b'), policy)).toBeUndefined();
    // The port is not part of what a rule grants; the case and trailing dot of the host are not either.
    expect(issuerVerdict(authServer('https://LOGIN.team-a.example.com.:8443/x'), policy, undefined)).toEqual({ ok: true, value: { hosts: ['login.team-a.example.com:8443'], path: '/x' } });
  });

  it('gives IssuerConflict, naming the older AuthServer, only to an issuer that is otherwise allowed', () => {
    expect(issuerVerdict(authServer('https://login.example.com/t'), OPEN, 'team-b/login'))
      .toMatchObject({ ok: false, problem: { reason: 'IssuerConflict', message: expect.stringContaining('team-b/login') } });
    expect(issuerVerdict(authServer('not a url'), OPEN, 'team-b/login')).toMatchObject({ problem: { reason: 'InvalidIssuerURI' } });
  });

  it('gives stable messages: the same input, the same words', () => {
    const as = authServer('http://login.example.com/t', 'team-a', UNSAFE);
    expect(issuerVerdict(as, OPEN, undefined)).toEqual(issuerVerdict(structuredClone(as), OPEN, undefined));
  });
});

describe('servedIssuer (incumbency)', () => {
  const withReady = (reason: string, status: 'True' | 'False', issuerURI = 'https://login.example.com/t'): AuthServer => ({
    ...authServer('https://login.example.com/t'),
    status: { issuerURI, conditions: [{ type: 'Ready', status, reason, message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }] },
  });
  it('is true when status shows the issuer as written now was served', () => {
    expect(servedIssuer(withReady('Resolved', 'True'))).toBe(true);
    expect(servedIssuer(withReady('KeyParseError', 'False'))).toBe(true);
  });
  it.each(['InvalidIssuerURI', 'IssuerConflict', 'InsecureIssuerNotAllowed', 'IssuerNotAllowed'])('is false after %s', (reason) => {
    expect(servedIssuer(withReady(reason, 'False'))).toBe(false);
  });
  it('is false when the issuer was respelled since', () => {
    expect(servedIssuer(withReady('Resolved', 'True', 'https://login.example.com/t/'))).toBe(false);
    expect(servedIssuer(authServer('https://login.example.com/t'))).toBe(false);
  });
});

describe('precedes', () => {
  const claim = (key: string, creationTimestamp: string, incumbent = false): IssuerClaim => ({ key, routes: ['r'], creationTimestamp, incumbent });

  it('lets the older AuthServer keep a route, even against one that served it so far', () => {
    const older = claim('team-b/zeta', '2026-01-01T00:00:00Z');
    const newer = claim('team-a/alpha', '2026-02-01T00:00:00Z', true);
    expect(precedes(older, newer)).toBe(true);
    expect(precedes(newer, older)).toBe(false);
  });

  it('on a creationTimestamp tie, prefers the incumbent, then the smaller namespace/name', () => {
    const ts = '2026-01-01T00:00:00Z';
    expect(precedes(claim('team-b/login', ts, true), claim('team-a/login', ts))).toBe(true);
    expect(precedes(claim('team-a/login', ts), claim('team-b/login', ts, true))).toBe(false);
    expect(precedes(claim('team-a/login', ts), claim('team-b/login', ts))).toBe(true);
    expect(precedes(claim('team-b/login', ts), claim('team-a/login', ts))).toBe(false);
  });
});
