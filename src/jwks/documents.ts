// The bodies Signet serves and their precomputed HTTP responses: the JWKS, the minimal OpenID
// discovery document (docs/architecture.md#serving), and the fixed error answers. Everything here runs when a
// document changes, never per request.
import { createHash } from 'node:crypto';
import type { PublicJwk } from '../keys/types.js';
import { ASYMMETRIC_FAMILIES } from '../api/algorithms.js';
import { jwksURIFor } from '../api/issuer.js';

export const JWKS_CONTENT_TYPE = 'application/jwk-set+json';
export const JSON_CONTENT_TYPE = 'application/json';

/**
 * One response, computed once: a request costs a map lookup and `writeHead(status, headers)` +
 * `end(body)`. The header arrays are flat `[name, value, name, value, ...]`, the form
 * `ServerResponse.writeHead` takes without building an object. Treat every member as read-only:
 * the same instance answers every request until the document changes.
 */
export interface PreparedResponse {
  /** The status of a full answer: 200 for a document, 404/405/... for the fixed error answers. */
  readonly status: number;
  /** The serialized body. */
  readonly body: Buffer;
  /** Strong entity tag: the quoted base64url SHA-256 of the body. */
  readonly etag: string;
  /** Headers of the full answer, Content-Length included (HEAD sends the same ones). */
  readonly headers: string[];
  /** Headers of a 304 answer to a matching If-None-Match: the validators and caching headers. */
  readonly notModifiedHeaders: string[];
}

/**
 * The JWK members that may be published, in the order they are serialized. Anything else, above all
 * the private members `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth` and the symmetric `k`, is dropped even if
 * a caller hands it over (defence in depth: the keys module should never produce them).
 */
export const PUBLIC_JWK_MEMBERS = ['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y', 'x5c', 'x5t#S256'] as const;

const PUBLISHABLE_KTY: ReadonlySet<string> = new Set(ASYMMETRIC_FAMILIES);

/**
 * A copy of the key holding only the public members, in a fixed order, or undefined for a key that
 * must not be published at all (a symmetric `oct` key, or no `kty`).
 */
export function publicMembersOnly(key: PublicJwk): PublicJwk | undefined {
  const src = key as unknown as Record<string, unknown>;
  if (typeof src.kty !== 'string' || !PUBLISHABLE_KTY.has(src.kty)) return undefined;
  const out: Record<string, unknown> = {};
  for (const member of PUBLIC_JWK_MEMBERS) {
    const value = src[member];
    if (value !== undefined) out[member] = value;
  }
  return out as unknown as PublicJwk;
}

/** `{"keys":[...]}` in the given order, public members only. */
export function jwksBody(keys: readonly PublicJwk[]): Buffer {
  const published: PublicJwk[] = [];
  for (const k of keys) {
    const pub = publicMembersOnly(k);
    if (pub) published.push(pub);
  }
  return Buffer.from(JSON.stringify({ keys: published }), 'utf8');
}

/** The distinct `alg`s of the published keys in key order, so the signing key's comes first. */
export function signingAlgorithms(keys: readonly PublicJwk[]): string[] {
  const algs: string[] = [];
  for (const k of keys) {
    if (publicMembersOnly(k) === undefined) continue;
    if (typeof k.alg === 'string' && !algs.includes(k.alg)) algs.push(k.alg);
  }
  return algs;
}

/**
 * The minimal OpenID Provider metadata, as the Kubernetes service-account issuer serves it:
 * `issuer` exactly as written in the spec, and where to find the keys.
 */
export function discoveryBody(issuerURI: string, keys: readonly PublicJwk[]): Buffer {
  const doc = {
    issuer: issuerURI,
    jwks_uri: jwksURIFor(issuerURI),
    response_types_supported: ['id_token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: signingAlgorithms(keys),
  };
  return Buffer.from(JSON.stringify(doc), 'utf8');
}

/** Strong ETag of a body: `"` + base64url(SHA-256(body)) + `"`. Same bytes, same tag. */
export function strongETag(body: Buffer): string {
  // JSON.stringify quotes the tag in one flat string (base64url needs no escaping); a template
  // literal would keep a rope of three pieces per stored response, twice the bytes.
  return JSON.stringify(createHash('sha256').update(body).digest('base64url'));
}

/** A public document (JWKS or discovery): cacheable by anyone, readable cross-origin. */
export function preparePublicDocument(content: Buffer, contentType: string, cacheMaxAgeSeconds: number): PreparedResponse {
  const body = ownAllocation(content);
  const etag = strongETag(body);
  const cacheControl = `public, max-age=${sanitizeMaxAge(cacheMaxAgeSeconds)}`;
  // RFC 9110 §15.4.5: a 304 carries the ETag and Cache-Control the 200 would have had.
  const common = [
    'ETag', etag,
    'Cache-Control', cacheControl,
    'Access-Control-Allow-Origin', '*',
    'X-Content-Type-Options', 'nosniff',
  ];
  return {
    status: 200,
    body,
    etag,
    headers: ['Content-Type', contentType, 'Content-Length', String(body.length), ...common],
    notModifiedHeaders: common,
  };
}

/**
 * A copy of the bytes in a memory block of their own. A small Buffer made from a string is a slice
 * of a shared 8 KiB pool, and a slice keeps its whole parent alive: a stored body that outlives the
 * others cut from the same block would hold up to 8 KiB for its 1 KiB (and so would a slice of a
 * larger response read from the API).
 */
function ownAllocation(bytes: Buffer): Buffer {
  const own = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(own);
  return own;
}

/** A fixed error answer with a small JSON body, never cached. */
export function prepareError(status: number, error: string, extraHeaders: string[] = []): PreparedResponse {
  const body = Buffer.from(JSON.stringify({ error }), 'utf8');
  const etag = strongETag(body);
  const headers = [
    'Content-Type', JSON_CONTENT_TYPE,
    'Content-Length', String(body.length),
    'Cache-Control', 'no-store',
    'X-Content-Type-Options', 'nosniff',
    ...extraHeaders,
  ];
  return { status, body, etag, headers, notModifiedHeaders: headers };
}

/** RFC 9111 §1.2.2: a delta-seconds greater than this is sent as this. */
const MAX_DELTA_SECONDS = 2147483648;

/** max-age is a non-negative integer; a value the CRD should have refused becomes 0 (revalidate). */
export function sanitizeMaxAge(seconds: number): number {
  if (Number.isNaN(seconds) || seconds < 0) return 0;
  return Math.min(Math.floor(seconds), MAX_DELTA_SECONDS);
}
