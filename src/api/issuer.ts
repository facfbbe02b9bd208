// What an issuer URI means for routing and validity; shared by the controller (conflicts,
// InvalidIssuerURI) and the JWKS server (routes), so both read an issuer the same way.
import { fail, ok, type Result } from './result.js';
import { HOST_INDEPENDENT_PREFIX, JWKS_SUFFIX, hostKey, isReservedPath, routeOf, type Route } from './route.js';

export interface ValidIssuer {
  scheme: 'https' | 'http';
  /** The host name without port, as hostKey spells it: what a host policy grants. */
  hostname: string;
  route: Route;
}

export type IssuerCheck = Result<ValidIssuer, 'InvalidIssuerURI'>;

const invalid = (message: string): IssuerCheck => fail('InvalidIssuerURI', message);

/**
 * Validates spec.issuerURI (https, or http when allowUnsafe; no query, no fragment, no credentials,
 * a host, a path outside the host-independent prefix) and returns its route.
 */
export function checkIssuer(uri: string, allowUnsafe: boolean): IssuerCheck {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return invalid(`spec.issuerURI "${uri}" is not an absolute URL; write it as https://host/path`);
  }
  if (url.protocol !== 'https:' && !(allowUnsafe && url.protocol === 'http:')) {
    const hint = url.protocol === 'http:'
      ? ' (an http issuer is allowed only for development, with the annotation signet.dev/allow-unsafe-issuer-uri: "true" on an operator started with --allow-insecure-issuers)'
      : '';
    return invalid(`spec.issuerURI "${uri}" must use https${hint}`);
  }
  if (url.search !== '' || uri.includes('?')) return invalid(`spec.issuerURI "${uri}" must not have a query; remove the part from "?"`);
  if (url.hash !== '' || uri.includes('#')) return invalid(`spec.issuerURI "${uri}" must not have a fragment; remove the part from "#"`);
  // The URI is not repeated here: it holds a password.
  if (url.username || url.password) return invalid('spec.issuerURI must not contain credentials; remove the "user:password@" part');
  if (!url.hostname) return invalid(`spec.issuerURI "${uri}" has no host`);
  if (isReservedPath(url.pathname)) {
    return invalid(`spec.issuerURI "${uri}" has a path under ${HOST_INDEPENDENT_PREFIX}, which is reserved on every host for the host-independent JWKS paths; choose another path`);
  }
  return ok({ scheme: url.protocol === 'https:' ? 'https' : 'http', hostname: hostKey(url.hostname), route: routeOf(url) });
}

/** The JWKS URI published in status and discovery. */
export function jwksURIFor(issuerURI: string): string {
  return `${issuerURI.replace(/\/+$/, '')}${JWKS_SUFFIX}`;
}
