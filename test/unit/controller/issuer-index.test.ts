// Which AuthServer keeps an issuer route, and whom to wake when a claim appears, moves or goes away
// (so that the newer AuthServer of a conflict gets the issuer once the older one lets it go).
import { IssuerIndex } from '../../../src/controller/issuer-index.js';

// Route keys as routeKeys gives them: https://login.example.com/team-a answers on two Hosts.
const ROUTE = ['login.example.com:443/team-a', 'login.example.com/team-a'];
const OTHER = ['login.example.com:443/team-b', 'login.example.com/team-b'];
const T1 = '2026-01-01T00:00:00Z';
const T2 = '2026-02-01T00:00:00Z';
const T3 = '2026-03-01T00:00:00Z';

describe('IssuerIndex', () => {
  it('gives an unclaimed route to its first claimant, waking nobody else', () => {
    const idx = new IssuerIndex();
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
    expect(idx.set('team-a/login', ROUTE, T1, false)).toEqual([]);
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
  });

  it('returns the other claimants when a route is claimed again, and the older keeps it', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    expect(idx.set('team-b/login', ROUTE, T2, false)).toEqual(['team-a/login']);
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
    expect(idx.olderClaimant('team-b/login')).toBe('team-a/login');
    // A third, even older, claimant takes the route: both earlier ones must be re-reconciled.
    expect(idx.set('team-c/login', ROUTE, '2025-12-01T00:00:00Z', false).sort()).toEqual(['team-a/login', 'team-b/login']);
    expect(idx.olderClaimant('team-c/login')).toBeUndefined();
    expect(idx.olderClaimant('team-a/login')).toBe('team-c/login');
    expect(idx.olderClaimant('team-b/login')).toBe('team-c/login');
  });

  it('conflicts on one shared key: http://host:443 shares Host host:443 with https://host', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    expect(idx.set('evil/login', ['login.example.com:443/team-a'], T2, false)).toEqual(['team-a/login']);
    expect(idx.olderClaimant('evil/login')).toBe('team-a/login');
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
    // http://host (default port 80) shares the bare Host.
    idx.set('evil/bare', ['login.example.com:80/team-a', 'login.example.com/team-a'], T2, false);
    expect(idx.olderClaimant('evil/bare')).toBe('team-a/login');
  });

  it('returns nothing when an AuthServer is set again with the same claim (a status-only update)', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    idx.set('team-b/login', ROUTE, T2, false);
    expect(idx.set('team-b/login', [...ROUTE], T2, false)).toEqual([]);
    expect(idx.set('team-a/login', ROUTE, T1, false)).toEqual([]);
    expect(idx.olderClaimant('team-b/login')).toBe('team-a/login');
  });

  it('on a changed route, wakes the claimants of the old route and of the new one', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    idx.set('team-b/login', ROUTE, T2, false);
    idx.set('team-c/login', OTHER, T3, false);
    // The owner moves away: team-b (waiting on ROUTE) and team-c (on OTHER) may both change.
    expect(idx.set('team-a/login', OTHER, T1, false).sort()).toEqual(['team-b/login', 'team-c/login']);
    expect(idx.olderClaimant('team-b/login')).toBeUndefined();
    expect(idx.olderClaimant('team-c/login')).toBe('team-a/login');
  });

  it('frees the route when the issuer becomes invalid (routes undefined), waking the next claimant', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    idx.set('team-b/login', ROUTE, T2, false);
    expect(idx.set('team-a/login', undefined, T1, false)).toEqual(['team-b/login']);
    expect(idx.olderClaimant('team-b/login')).toBeUndefined();
    // Still invalid: nothing to do.
    expect(idx.set('team-a/login', undefined, T1, false)).toEqual([]);
    // Valid again: the older AuthServer takes its issuer back and the newer one is woken.
    expect(idx.set('team-a/login', ROUTE, T1, false)).toEqual(['team-b/login']);
    expect(idx.olderClaimant('team-b/login')).toBe('team-a/login');
  });

  it('frees the route when the owner is deleted', () => {
    const idx = new IssuerIndex();
    idx.set('team-a/login', ROUTE, T1, false);
    idx.set('team-b/login', ROUTE, T2, false);
    expect(idx.remove('team-a/login')).toEqual(['team-b/login']);
    expect(idx.olderClaimant('team-b/login')).toBeUndefined();
    expect(idx.remove('team-b/login')).toEqual([]);
    expect(idx.remove('team-b/login')).toEqual([]);
    expect(idx.olderClaimant('team-b/login')).toBeUndefined();
  });

  it('names the oldest of several older claimants', () => {
    const idx = new IssuerIndex();
    idx.set('team-b/login', ['login.example.com:443/team-a'], T2, false);
    idx.set('team-a/login', ['login.example.com/team-a'], T1, false);
    idx.set('team-c/login', ROUTE, T3, false);
    expect(idx.olderClaimant('team-c/login')).toBe('team-a/login');
  });

  it('breaks a creationTimestamp tie with the smaller key', () => {
    const idx = new IssuerIndex();
    idx.set('team-b/login', ROUTE, T1, false);
    idx.set('team-a/login', ROUTE, T1, false);
    expect(idx.olderClaimant('team-b/login')).toBe('team-a/login');
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
  });

  it('keeps the issuer with the incumbent on a creationTimestamp tie', () => {
    const idx = new IssuerIndex();
    idx.set('team-b/login', ROUTE, T1, true);
    idx.set('team-a/login', ROUTE, T1, false);
    expect(idx.olderClaimant('team-a/login')).toBe('team-b/login');
    // The incumbent's status confirms it again: nothing changes, nobody is woken.
    expect(idx.set('team-b/login', ROUTE, T1, true)).toEqual([]);
    expect(idx.olderClaimant('team-b/login')).toBeUndefined();
  });

  // Regression: set() once returned [] for any same-route update, so an AuthServer handed the route
  // by a change of incumbency was never re-reconciled and stayed at IssuerConflict.
  it('wakes the new owner when a same-route update hands it the route (the incumbent lost its incumbency)', () => {
    const idx = new IssuerIndex();
    idx.set('team-b/login', ROUTE, T1, true);
    idx.set('team-a/login', ROUTE, T1, false);
    // e.g. team-b's issuerURI was respelled (trailing slash): same route, but status.issuerURI no longer matches.
    const affected = idx.set('team-b/login', ROUTE, T1, false);
    expect(idx.olderClaimant('team-a/login')).toBeUndefined();
    expect(affected).toContain('team-a/login');
  });
});
