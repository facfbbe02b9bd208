// Which served key verifies a token, or exactly why none does (pure: the served keys, the issuer
// and the time are inputs). jose does the JOSE; the checks run in the order a verifier runs them.
import { compactVerify, decodeJwt, decodeProtectedHeader, importJWK, type JWK, type JWTPayload } from 'jose';

export interface ServedKey {
  jwk: JWK;
  /** Active, Next, Verify or Retired; "" when status does not list the kid. */
  state: string;
  secretName: string;
}

export const FAILURES = ['Malformed', 'UnknownKid', 'WrongAlgorithm', 'BadSignature', 'Expired', 'NotYetValid', 'WrongIssuer'] as const;
export type Failure = (typeof FAILURES)[number];

export type Verdict =
  | { verified: true; kid: string; alg: string; state: string; secretName: string; claims: JWTPayload }
  | { verified: false; failure: Failure; message: string; kid?: string; alg?: string; claims?: JWTPayload };

function describeKeys(keys: readonly ServedKey[]): string {
  return keys.length === 0 ? 'none' : keys.map((k) => `${k.jwk.kid ?? '<no kid>'} (${[k.state, k.jwk.alg].filter(Boolean).join(', ')})`).join(', ');
}

export async function checkToken(token: string, keys: readonly ServedKey[], issuer: string, now: Date): Promise<Verdict> {
  let header: ReturnType<typeof decodeProtectedHeader>;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch (err) {
    return { verified: false, failure: 'Malformed', message: `not a signed JWT in compact form (header.payload.signature): ${(err as Error).message}` };
  }
  const kid = typeof header.kid === 'string' ? header.kid : undefined;
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const base = { ...(kid ? { kid } : {}), alg, claims };
  const byKid = kid === undefined ? [...keys] : keys.filter((k) => k.jwk.kid === kid);
  if (byKid.length === 0) {
    return { verified: false, failure: 'UnknownKid', ...base, message: `no served key has kid ${kid}; served keys: ${describeKeys(keys)}` };
  }
  const byAlg = byKid.filter((k) => k.jwk.alg === undefined || k.jwk.alg === alg);
  if (alg === 'none' || byAlg.length === 0) {
    return {
      verified: false, failure: 'WrongAlgorithm', ...base,
      message: `the token's alg is ${alg || '<missing>'}, but ${kid ? `key ${kid} is` : 'the served keys are'} ${[...new Set(byKid.map((k) => k.jwk.alg))].join(', ')}`,
    };
  }
  let match: ServedKey | undefined;
  for (const k of byAlg) {
    try {
      await compactVerify(token, await importJWK(k.jwk, alg));
      match = k;
      break;
    } catch {
      // try the next key with this kid and alg
    }
  }
  if (!match) {
    return {
      verified: false, failure: 'BadSignature', ...base,
      message: `the signature does not verify with ${kid ? `key ${kid}` : `any served ${alg} key (${describeKeys(byAlg)})`}: the token was altered, or signed by a different key`,
    };
  }
  const t = Math.floor(now.getTime() / 1000);
  const found = { kid: match.jwk.kid ?? '', alg, state: match.state, secretName: match.secretName };
  if (typeof claims.exp === 'number' && claims.exp <= t) {
    return { verified: false, failure: 'Expired', ...base, ...found, message: `the signature verifies with key ${found.kid}, but the token expired at ${new Date(claims.exp * 1000).toISOString()}` };
  }
  if (typeof claims.nbf === 'number' && claims.nbf > t) {
    return { verified: false, failure: 'NotYetValid', ...base, ...found, message: `the signature verifies with key ${found.kid}, but the token is not valid before ${new Date(claims.nbf * 1000).toISOString()}` };
  }
  if (claims.iss !== issuer) {
    return {
      verified: false, failure: 'WrongIssuer', ...base, ...found,
      message: `the signature verifies with key ${found.kid}, but the token's iss is ${claims.iss === undefined ? 'missing' : JSON.stringify(claims.iss)}, not the issuer ${JSON.stringify(issuer)}`,
    };
  }
  return { verified: true, ...found, claims };
}
