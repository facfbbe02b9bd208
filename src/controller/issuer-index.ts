// Which AuthServers claim which issuer routes, so that ownership (the older one keeps a route) can
// be decided without scanning every AuthServer, and a freed route wakes the ones that waited for it.
import { precedes, type IssuerClaim } from './issuer-ownership.js';
import { SetMultimap } from './set-multimap.js';

export class IssuerIndex {
  private readonly byKey = new Map<string, IssuerClaim>();
  private readonly byRoute = new SetMultimap();

  /**
   * Records the route keys an AuthServer claims (undefined: none, e.g. an invalid issuer). Returns
   * the other AuthServers whose verdict may have changed: those sharing a route with its old or
   * new claim.
   */
  set(key: string, routes: readonly string[] | undefined, creationTimestamp: string, incumbent: boolean): string[] {
    const before = this.byKey.get(key);
    if (before && routes !== undefined && before.creationTimestamp === creationTimestamp && before.incumbent === incumbent && sameRoutes(before.routes, routes)) return [];
    const affected = new Set(this.remove(key));
    if (routes !== undefined && routes.length > 0) {
      this.byKey.set(key, { key, routes: [...routes], creationTimestamp, incumbent });
      for (const route of routes) {
        for (const k of this.byRoute.get(route)) affected.add(k);
        this.byRoute.add(route, key);
      }
    }
    return [...affected];
  }

  /** Forgets an AuthServer; returns the other claimants of its routes. */
  remove(key: string): string[] {
    const claim = this.byKey.get(key);
    if (!claim) return [];
    this.byKey.delete(key);
    const affected = new Set<string>();
    for (const route of claim.routes) {
      this.byRoute.delete(route, key);
      for (const k of this.byRoute.get(route)) affected.add(k);
    }
    return [...affected];
  }

  /**
   * The AuthServer that keeps a route this one claims, if any: this one's issuer conflicts with it.
   * An AuthServer that lost one of its routes serves none of them, so that a client never gets
   * some spellings of an issuer from one AuthServer and others from another.
   */
  olderClaimant(key: string): string | undefined {
    const claim = this.byKey.get(key);
    if (!claim) return undefined;
    let oldest: IssuerClaim | undefined;
    for (const route of claim.routes) {
      for (const k of this.byRoute.get(route)) {
        const other = this.byKey.get(k);
        if (k !== key && other && precedes(other, claim) && (!oldest || precedes(other, oldest))) oldest = other;
      }
    }
    return oldest?.key;
  }
}

function sameRoutes(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}
