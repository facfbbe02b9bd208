// Issuer URI → route keys: which Host header values and which paths a request must carry to reach
// an issuer's documents (DESIGN §3). Pure functions, no state; the route identity itself is
// src/api/route.ts, shared with the controller's conflict check.
import { JWKS_SUFFIX, checkIssuer } from '../api/issuer.js';
import { HOST_INDEPENDENT_PREFIX, type Route } from '../api/route.js';

/**
 * Where an issuer is served, or undefined when the URI cannot be routed (not an absolute http(s)
 * URL, or under the reserved host-independent prefix). The controller decides validity, policy and
 * ownership; this reads the URI the same way it does.
 */
export function issuerRoute(issuerURI: string): Route | undefined {
  const check = checkIssuer(issuerURI, true);
  return check.ok ? check.value.route : undefined;
}

/** The host-independent JWKS path of an AuthServer. */
export function hostIndependentJwksPath(namespace: string, name: string): string {
  return `${HOST_INDEPENDENT_PREFIX}${namespace}/${name}${JWKS_SUFFIX}`;
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
