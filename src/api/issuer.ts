// What an issuer URI means for routing and validity; shared by the controller (conflicts,
// InvalidIssuerURI) and the JWKS server (routes), so both read an issuer the same way.
import { HOST_INDEPENDENT_PREFIX, JWKS_SUFFIX, hostKey, isReservedPath, routeOf, type Route } from './route.js';

export type IssuerCheck =
  | {
    ok: true;
    scheme: 'https' | 'http';
    /** The host name without port, as hostKey spells it: what a host policy grants. */
    hostname: string;
    route: Route;
  }
  | { ok: false; message: string };

/**
 * Validates spec.issuerURI (https, or http when allowUnsafe; no query, no fragment, no credentials,
 * a host, a path outside the host-independent prefix) and returns its route.
 */
export function checkIssuer(uri: string, allowUnsafe: boolean): IssuerCheck {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, message: `spec.issuerURI "${uri}" is not an absolute URL; write it as https://host/path` };
  }
  if (url.protocol !== 'https:' && !(allowUnsafe && url.protocol === 'http:')) {
    const hint = url.protocol === 'http:'
      ? ' (an http issuer is allowed only for development, with the annotation signet.dev/allow-unsafe-issuer-uri: "true" on an operator started with --allow-insecure-issuers)'
      : '';
    return { ok: false, message: `spec.issuerURI "${uri}" must use https${hint}` };
  }
  if (url.search !== '' || uri.includes('?')) return { ok: false, message: `spec.issuerURI "${uri}" must not have a query; remove the part from "?"` };
  if (url.hash !== '' || uri.includes('#')) return { ok: false, message: `spec.issuerURI "${uri}" must not have a fragment; remove the part from "#"` };
  // The URI is not repeated here: it holds a password.
  if (url.username || url.password) return { ok: false, message: 'spec.issuerURI must not contain credentials; remove the "user:password@" part' };
  if (!url.hostname) return { ok: false, message: `spec.issuerURI "${uri}" has no host` };
  if (isReservedPath(url.pathname)) {
    return { ok: false, message: `spec.issuerURI "${uri}" has a path under ${HOST_INDEPENDENT_PREFIX}, which is reserved on every host for the host-independent JWKS paths; choose another path` };
  }
  return { ok: true, scheme: url.protocol === 'https:' ? 'https' : 'http', hostname: hostKey(url.hostname), route: routeOf(url) };
}

/** The JWKS URI published in status and discovery. */
export function jwksURIFor(issuerURI: string): string {
  return `${issuerURI.replace(/\/+$/, '')}${JWKS_SUFFIX}`;
}
