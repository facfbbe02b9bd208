// Issuer URI → route keys: which Host header values and which paths a request must carry to reach
// an issuer's documents (DESIGN §3). Pure functions, no state.

/** Paths below an issuer, relative to the issuer's path. */
export const JWKS_SUFFIX = '/oauth2/jwks';
export const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

export interface IssuerRoute {
  /**
   * Host header values (lower case) that reach the issuer: `host` with its explicit non-default port,
   * and for a default port also the same host with that port written out (`login.example.com` and
   * `login.example.com:443`).
   */
  hosts: string[];
  /** The issuer's path without trailing slashes; '' for an issuer at the root of its host. */
  pathPrefix: string;
}

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'http:': '80' };

/**
 * Where an issuer is served, or undefined when the URI cannot be routed (not an absolute http(s)
 * URL). Query and fragment, which the CRD forbids, play no part. The host is compared case-
 * insensitively (URL lower-cases it and converts an IDN to punycode, as a client's Host header has it).
 */
export function issuerRoute(issuerURI: string): IssuerRoute | undefined {
  let url: URL;
  try {
    url = new URL(issuerURI);
  } catch {
    return undefined;
  }
  const defaultPort = DEFAULT_PORTS[url.protocol];
  if (defaultPort === undefined || url.hostname === '') return undefined;
  // url.host is lower case and already omits the scheme's default port.
  const hosts = url.port === '' ? [url.host, `${url.host}:${defaultPort}`] : [url.host];
  return { hosts, pathPrefix: trimTrailingSlashes(url.pathname) };
}

/** The issuer without trailing slashes, the base that `jwks_uri` is built on. */
export function trimTrailingSlashes(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x2f /* / */) end--;
  return end === s.length ? s : s.slice(0, end);
}

/** The host-independent JWKS path of an AuthServer. */
export function hostIndependentJwksPath(namespace: string, name: string): string {
  return `/authservers/${namespace}/${name}${JWKS_SUFFIX}`;
}

/**
 * Host and path of an absolute-form request target (`GET http://h/p`, as a proxy may send; RFC 9112
 * §3.2.2: its authority replaces the Host header), or undefined when the target is not one.
 */
export function absoluteForm(target: string): { host: string; path: string } | undefined {
  if (!/^https?:\/\//i.test(target)) return undefined;
  try {
    const url = new URL(target);
    return { host: url.host, path: url.pathname };
  } catch {
    return undefined;
  }
}
