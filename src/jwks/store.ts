// The issuer store: every AuthServer's published documents, precomputed when its keys or settings
// change, and the route table that maps a request's Host and path to one of them (docs/architecture.md#serving, #toolchain-facts).
// It lives in the JWKS listener's thread (jwks/thread.ts), which calls set/delete as the controller
// publishes; the HTTP server calls lookup, which is a map lookup or two and
// never allocates beyond respelling a Host header that is not in hostKey's spelling. Who answers
// an issuer route is the controller's verdict (IssuerDocument.servedOnIssuer): the store has no
// ownership rule of its own.
import { jsonEqual } from '../api/json-equal.js';
import type { PublicJwk } from '../keys/types.js';
import type { IssuerDocument } from './types.js';
import {
  JSON_CONTENT_TYPE,
  JWKS_CONTENT_TYPE,
  discoveryBody,
  jwksBody,
  preparePublicDocument,
  type PreparedResponse,
} from './documents.js';
import { DISCOVERY_SUFFIX, JWKS_SUFFIX, hostIndependentJwksPath, hostKey, routeBelow, routeKeys, type Route } from '../api/route.js';
import { absoluteForm } from '../http/request-target.js';

export type { PreparedResponse } from './documents.js';

/**
 * What the store holds for one AuthServer. The keys are kept only as serialized in the JWKS body:
 * the store never reads them again, and 10,000 issuers' key objects would cost more than the bytes.
 */
export interface StoredIssuer {
  readonly doc: Omit<IssuerDocument, 'keys'>;
  readonly jwks: PreparedResponse;
  /** Present when discovery is enabled. */
  readonly discovery?: PreparedResponse;
  /**
   * The routes this AuthServer claims, as routeKeys spells them (`login.example.com/team-a/oauth2/jwks`),
   * and the host-independent one as `*` + path.
   */
  readonly routes: readonly string[];
}

/** What the store keeps of an AuthServer: its claims give its routes (built only when asked for). */
type Entry = Omit<StoredIssuer, 'routes'> & { readonly claims: readonly Claim[] };

/** Host key of the routes that answer whatever the Host header says. */
const ANY_HOST = '*';

/** One document's route (the hosts are ANY_HOST for the host-independent one) and its response. */
interface Claim {
  route: Route;
  response: PreparedResponse;
}

export class JwksStore {
  private readonly entries = new Map<string, Entry>();
  /** Host (as hostKey spells it) → path → response: what the server answers. */
  private readonly byHost = new Map<string, Map<string, PreparedResponse>>();
  /** Path → response for the host-independent routes. */
  private readonly anyHost = new Map<string, PreparedResponse>();
  /**
   * Route key → the AuthServer whose response is there now. The controller's verdicts move a
   * route from one AuthServer to another (the newer verdict is set last); an AuthServer that is
   * told it lost a route removes only what is still its own.
   */
  private readonly servedBy = new Map<string, string>();

  /** Number of AuthServers in the store. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Publish (or republish) an AuthServer's documents. All bodies, ETags and header arrays are built
   * here; the same keys and settings give the same bytes and so the same ETag. The document is
   * taken as it is now: later changes to the object the caller holds have no effect.
   */
  set(doc: IssuerDocument): void {
    const id = entryId(doc.namespace, doc.name);
    const { keys, ...settings } = doc;
    const snapshot: Omit<IssuerDocument, 'keys'> = settings;
    const content = jwksBody(keys);
    const previous = this.entries.get(id);
    if (previous && this.unchanged(id, previous, snapshot, content)) return;
    const jwks = preparePublicDocument(content, JWKS_CONTENT_TYPE, snapshot.cacheMaxAgeSeconds);
    const discovery = snapshot.discoveryEnabled
      ? preparePublicDocument(discoveryBody(snapshot.issuerURI, keys), JSON_CONTENT_TYPE, snapshot.cacheMaxAgeSeconds)
      : undefined;

    const claims: Claim[] = [{ route: { hosts: [ANY_HOST], path: hostIndependentJwksPath(doc.namespace, doc.name) }, response: jwks }];
    if (doc.servedOnIssuer) {
      claims.push({ route: routeBelow(doc.issuerRoute, JWKS_SUFFIX), response: jwks });
      if (discovery) claims.push({ route: routeBelow(doc.issuerRoute, DISCOVERY_SUFFIX), response: discovery });
    }

    if (previous) this.release(id, previous);
    const entry: Entry = { doc: snapshot, jwks, discovery, claims };
    this.entries.set(id, entry);
    for (const claim of claims) {
      for (const key of routeKeys(claim.route)) this.servedBy.set(key, id);
      for (const host of claim.route.hosts) this.serve(host, claim.route.path, claim.response);
    }
  }

  /** Stop serving an AuthServer. A route that another AuthServer has taken meanwhile stays with it. */
  delete(namespace: string, name: string): void {
    const id = entryId(namespace, name);
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.release(id, entry);
  }

  /** What the store holds for an AuthServer, if anything. */
  get(namespace: string, name: string): StoredIssuer | undefined {
    const entry = this.entries.get(entryId(namespace, name));
    if (!entry) return undefined;
    const { doc, jwks, discovery, claims } = entry;
    return { doc, jwks, discovery, routes: claims.flatMap((c) => routeKeys(c.route)) };
  }

  /**
   * The public JWKs an AuthServer's JWKS serves now under these kids, read back from the body: what
   * a key replaced in place looked like (rotation/retention.ts). Asked only when a served kid
   * vanishes, so the keys are not kept as objects beside the bytes.
   */
  servedJwks(namespace: string, name: string, kids: readonly string[]): PublicJwk[] {
    const entry = this.entries.get(entryId(namespace, name));
    if (!entry) return [];
    const { keys } = JSON.parse(entry.jwks.body.toString('utf8')) as { keys: PublicJwk[] };
    return keys.filter((k) => kids.includes(k.kid));
  }

  /**
   * The response for a request, or undefined (404). `host` is the Host header as received (read
   * by hostKey; a default port written out matches too); `target` is the request target, whose
   * query string is ignored. A host-independent route answers on every Host: no issuer route can
   * shadow it (checkIssuer also refuses issuer paths under its prefix).
   */
  lookup(host: string, target: string): PreparedResponse | undefined {
    let path = target;
    if (target.charCodeAt(0) === 0x2f /* / */) {
      const q = target.indexOf('?');
      if (q !== -1) path = target.slice(0, q);
    } else {
      const abs = absoluteForm(target);
      if (!abs) return undefined;
      host = abs.host;
      path = abs.path;
    }
    const independent = this.anyHost.get(path);
    if (independent) return independent;
    if (host.length === 0) return undefined;
    return this.byHost.get(hostKey(host))?.get(path);
  }

  /**
   * The same settings and JWKS bytes (the discovery document follows from them), and every route
   * still its own: what a resync brings for each of thousands of issuers. Keeping the entry saves
   * building two buffers, an ETag and the header arrays per issuer, only to throw away the ones
   * served until then.
   */
  private unchanged(id: string, previous: Entry, settings: Omit<IssuerDocument, 'keys'>, jwks: Buffer): boolean {
    return previous.jwks.body.equals(jwks) && jsonEqual(previous.doc, settings) &&
      previous.claims.every(({ route }) => routeKeys(route).every((key) => this.servedBy.get(key) === id));
  }

  /** Drop the routes of an entry that are still its own. */
  private release(id: string, entry: Entry): void {
    for (const { route } of entry.claims) {
      routeKeys(route).forEach((key, i) => {
        if (this.servedBy.get(key) !== id) return;
        this.servedBy.delete(key);
        this.unserve(route.hosts[i] as string, route.path);
      });
    }
  }

  private serve(host: string, path: string, response: PreparedResponse): void {
    if (host === ANY_HOST) {
      this.anyHost.set(path, response);
      return;
    }
    let paths = this.byHost.get(host);
    if (!paths) {
      paths = new Map();
      this.byHost.set(host, paths);
    }
    paths.set(path, response);
  }

  private unserve(host: string, path: string): void {
    if (host === ANY_HOST) {
      this.anyHost.delete(path);
      return;
    }
    const paths = this.byHost.get(host);
    if (!paths) return;
    paths.delete(path);
    if (paths.size === 0) this.byHost.delete(host);
  }
}

function entryId(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
