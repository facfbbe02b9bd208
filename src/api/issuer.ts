// What an issuer URI means for routing and validity; shared by the controller (conflicts,
// InvalidIssuerURI) and the JWKS server (routes), so both read an issuer the same way.

export type IssuerCheck =
  | { ok: true; host: string; path: string; /** The port a client leaves out of Host, when the URI leaves it out too. */ impliedPort?: '443' | '80' }
  | { ok: false; message: string };

/**
 * Validates spec.issuerURI (https, or http when allowUnsafe; no query, no fragment, a host) and
 * returns its route: lower-case host with a non-default port, and the path without a trailing slash.
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
      ? ' (an http issuer is allowed only for development, with the annotation signet.dev/allow-unsafe-issuer-uri: "true")'
      : '';
    return { ok: false, message: `spec.issuerURI "${uri}" must use https${hint}` };
  }
  if (url.search !== '' || uri.includes('?')) return { ok: false, message: `spec.issuerURI "${uri}" must not have a query; remove the part from "?"` };
  if (url.hash !== '' || uri.includes('#')) return { ok: false, message: `spec.issuerURI "${uri}" must not have a fragment; remove the part from "#"` };
  // The URI is not repeated here: it holds a password.
  if (url.username || url.password) return { ok: false, message: 'spec.issuerURI must not contain credentials; remove the "user:password@" part' };
  if (!url.hostname) return { ok: false, message: `spec.issuerURI "${uri}" has no host` };
  // url.host is lower case and already omits the scheme's default port.
  const impliedPort = url.port !== '' ? undefined : url.protocol === 'https:' ? '443' : '80';
  return { ok: true, host: url.host, path: url.pathname.replace(/\/+$/, ''), ...(impliedPort ? { impliedPort } : {}) };
}

/** Paths below an issuer (DESIGN §3). */
export const JWKS_SUFFIX = '/oauth2/jwks';
export const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';

/** The JWKS URI published in status and discovery. */
export function jwksURIFor(issuerURI: string): string {
  return `${issuerURI.replace(/\/+$/, '')}${JWKS_SUFFIX}`;
}

export interface IssuerClaim {
  key: string;
  route: string;
  creationTimestamp: string;
  /** Its status shows it served this issuer: it keeps it against a newcomer created in the same second. */
  incumbent: boolean;
}

function precedes(a: IssuerClaim, b: IssuerClaim): boolean {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp;
  if (a.incumbent !== b.incumbent) return a.incumbent;
  return a.key < b.key;
}

/**
 * For each route claimed by several AuthServers, the older one keeps it (DESIGN §3). Creation
 * times have one-second resolution, so a tie goes to the incumbent, then to the lexically smaller
 * namespace/name, so that every replica agrees. Returns the owner per route.
 */
export function issuerOwners(claims: readonly IssuerClaim[]): Map<string, string> {
  const owners = new Map<string, IssuerClaim>();
  for (const c of claims) {
    const cur = owners.get(c.route);
    if (!cur || precedes(c, cur)) owners.set(c.route, c);
  }
  return new Map([...owners].map(([route, c]) => [route, c.key]));
}
