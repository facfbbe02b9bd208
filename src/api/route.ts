// Route identity (docs/architecture.md#serving): which (Host, path) pairs reach an issuer and its documents, each in
// one spelling. The conflict check, the store and the router all key routes with these functions,
// so that two spellings of one route can never be told apart by one of them and not by another.

const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/** The path prefix of the host-independent routes, reserved on every Host. */
export const HOST_INDEPENDENT_PREFIX = '/authservers/';

/** Paths below an issuer (docs/architecture.md#serving). */
export const JWKS_SUFFIX = '/oauth2/jwks';
export const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/**
 * The host-independent JWKS path of an AuthServer, `/authservers/{namespace}/{name}/oauth2/jwks`:
 * served on every Host, whatever its issuer, so that it can be reached through a Service or the
 * API server's service proxy.
 */
export function hostIndependentJwksPath(namespace: string, name: string): string {
  return `${HOST_INDEPENDENT_PREFIX}${namespace}/${name}${JWKS_SUFFIX}`;
}

export interface Route {
  /**
   * The Host header values that reach the route, as hostKey spells them: `host:port` with the port
   * explicit or the scheme's default, and the bare host when the port is the scheme's default (a
   * client leaves it out then). A bare host is reached whatever scheme the client used.
   */
  hosts: readonly string[];
  /** The path without trailing slashes; '' at the root of the host. */
  path: string;
}

/**
 * A Host header value (or a URL's host) as routes are keyed: lower case, without the trailing dot
 * of a fully-qualified name. Allocates only when the value is not already in that spelling, since
 * the router calls it on every request.
 */
export function hostKey(host: string): string {
  let h = host;
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c >= 0x41 /* A */ && c <= 0x5a /* Z */) {
      h = h.toLowerCase();
      break;
    }
  }
  if (h.charCodeAt(h.length - 1) === 0x2e /* . */) h = h.slice(0, -1);
  const dotColon = h.indexOf('.:');
  if (dotColon !== -1) h = h.slice(0, dotColon) + h.slice(dotColon + 1);
  return h;
}

/** The route of an http(s) URL (the caller has checked the scheme). */
export function routeOf(url: URL): Route {
  const name = hostKey(url.hostname);
  const defaultPort = DEFAULT_PORTS[url.protocol] ?? '';
  // url.port is '' when the URL leaves the port out or writes the scheme's default.
  const port = url.port || defaultPort;
  const hosts = port === defaultPort ? [`${name}:${port}`, name] : [`${name}:${port}`];
  return { hosts, path: url.pathname.replace(/\/+$/, '') };
}

/** The route of a document below an issuer's route (JWKS_SUFFIX, DISCOVERY_SUFFIX): the same hosts. */
export function routeBelow(route: Route, suffix: string): Route {
  return { hosts: route.hosts, path: route.path + suffix };
}

/** One key per (Host, path) pair of a route: two routes overlap when they share a key. */
export function routeKeys(route: Route): string[] {
  // A host never contains '/', so host + path is unambiguous.
  return route.hosts.map((h) => h + route.path);
}

/**
 * Whether a path falls under the host-independent prefix as any router or proxy on the way may
 * read it: case-insensitively, percent-decoded, with repeated slashes merged.
 */
export function isReservedPath(path: string): boolean {
  let p = path;
  for (let i = 0; i < 4 && p.includes('%'); i++) {
    try {
      const decoded = decodeURIComponent(p);
      if (decoded === p) break;
      p = decoded;
    } catch {
      break;
    }
  }
  return `${p.replace(/\/+/g, '/').toLowerCase()}/`.startsWith(HOST_INDEPENDENT_PREFIX);
}
