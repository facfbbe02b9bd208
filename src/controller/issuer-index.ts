// Which AuthServers claim which issuer route, so that ownership (the older one wins) can be
// decided without scanning every AuthServer, and a freed issuer wakes the one that waited for it.
import { issuerOwners, type IssuerClaim } from '../api/issuer.js';

export class IssuerIndex {
  private readonly byKey = new Map<string, IssuerClaim>();
  private readonly byRoute = new Map<string, Set<string>>();

  /** Records the route an AuthServer claims (undefined: none, e.g. an invalid issuer). Returns the keys whose ownership may have changed. */
  set(key: string, route: string | undefined, creationTimestamp: string, incumbent: boolean): string[] {
    const before = this.byKey.get(key);
    if (before && route !== undefined && before.route === route) {
      // Same route, but incumbency can move the ownership: wake the others when it did.
      const ownerBefore = this.owner(route);
      this.byKey.set(key, { key, route, creationTimestamp, incumbent });
      return this.owner(route) === ownerBefore ? [] : [...(this.byRoute.get(route) ?? [])].filter((k) => k !== key);
    }
    const affected = this.remove(key);
    if (route === undefined) return affected;
    this.byKey.set(key, { key, route, creationTimestamp, incumbent });
    let set = this.byRoute.get(route);
    if (!set) this.byRoute.set(route, (set = new Set()));
    set.add(key);
    return [...affected, ...[...set].filter((k) => k !== key)];
  }

  /** Forgets an AuthServer; returns the other claimants of its route. */
  remove(key: string): string[] {
    const claim = this.byKey.get(key);
    if (!claim) return [];
    this.byKey.delete(key);
    const set = this.byRoute.get(claim.route);
    set?.delete(key);
    if (set?.size === 0) this.byRoute.delete(claim.route);
    return [...(set ?? [])];
  }

  /** The key of the AuthServer that owns the route. */
  owner(route: string): string | undefined {
    const claimants = [...(this.byRoute.get(route) ?? [])].map((k) => this.byKey.get(k)!);
    return issuerOwners(claimants).get(route);
  }
}
