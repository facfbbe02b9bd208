// The JWK that gets published. Members are copied by name from a whitelist, never by spreading an
// exported object, so a private member cannot reach the JWKS whatever the KeyObject holds.
import { createHash, createPublicKey } from 'node:crypto';
import type { JsonWebKey, KeyObject } from 'node:crypto';
import { curvesOf, type Algorithm } from '../api/algorithms.js';
import { thumbprint } from './thumbprint.js';
import type { PublicJwk } from './types.js';

export type PublicMembers = Pick<PublicJwk, 'kty' | 'n' | 'e' | 'crv' | 'x' | 'y'>;

const EC_CURVES: ReadonlySet<string> = new Set(curvesOf('EC'));
const OKP_CURVES: ReadonlySet<string> = new Set(curvesOf('OKP'));

function member(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw new Error(`public JWK: member ${name} is missing`);
  return value;
}

function curve(value: unknown): NonNullable<PublicJwk['crv']> {
  if (typeof value !== 'string' || !(EC_CURVES.has(value) || OKP_CURVES.has(value))) throw new Error('public JWK: unsupported curve');
  return value as NonNullable<PublicJwk['crv']>;
}

/** kty and the public parameters of an RSA, EC or OKP key on a curve of the algorithm table; throws for anything else. */
export function publicMembers(key: KeyObject): PublicMembers {
  // A private KeyObject would export d, p, q...; reduce it to its public half first.
  let exported: JsonWebKey;
  try {
    exported = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' });
  } catch {
    throw new Error('public JWK: unsupported key type');
  }
  switch (exported.kty) {
    case 'RSA':
      return { kty: 'RSA', n: member(exported.n, 'n'), e: member(exported.e, 'e') };
    case 'EC':
      return { kty: 'EC', crv: curve(exported.crv), x: member(exported.x, 'x'), y: member(exported.y, 'y') };
    case 'OKP': {
      const crv = curve(exported.crv);
      if (!OKP_CURVES.has(crv)) throw new Error('public JWK: unsupported OKP curve');
      return { kty: 'OKP', crv, x: member(exported.x, 'x') };
    }
    default:
      throw new Error('public JWK: unsupported key type');
  }
}

export interface PublicJwkOptions {
  alg: Algorithm;
  /** Defaults to the RFC 7638 thumbprint. */
  kid?: string | undefined;
  /** DER certificates, leaf first: published as x5c, with x5t#S256 of the leaf. */
  certChain?: readonly Buffer[] | undefined;
}

export function toPublicJwk(key: KeyObject, options: PublicJwkOptions): PublicJwk {
  const members = publicMembers(key);
  const jwk: PublicJwk = { kty: members.kty, kid: options.kid ?? thumbprint(members), use: 'sig', alg: options.alg };
  if (members.n !== undefined) jwk.n = members.n;
  if (members.e !== undefined) jwk.e = members.e;
  if (members.crv !== undefined) jwk.crv = members.crv;
  if (members.x !== undefined) jwk.x = members.x;
  if (members.y !== undefined) jwk.y = members.y;
  const [leaf] = options.certChain ?? [];
  if (leaf !== undefined && options.certChain !== undefined) {
    // x5c is standard base64 (RFC 7517 §4.7); x5t#S256 is base64url (§4.9).
    jwk.x5c = options.certChain.map((der) => der.toString('base64'));
    jwk['x5t#S256'] = createHash('sha256').update(leaf).digest('base64url');
  }
  return jwk;
}
