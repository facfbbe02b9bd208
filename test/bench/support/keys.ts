// Realistic key material for the benchmarks: real RSA public keys with RFC 7638 thumbprint kids.
import { createHash, generateKeyPair as generateKeyPairCb, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { IssuerDocument } from '../../../src/jwks/types.js';
import type { PublicJwk } from '../../../src/keys/types.js';

const generateKeyPair = promisify(generateKeyPairCb);

/** The public JWK of a freshly generated RSA key (async generation, off the event loop). */
export async function rsaPublicJwk(bits: number): Promise<PublicJwk> {
  const { publicKey } = await generateKeyPair('rsa', { modulusLength: bits });
  return toPublicJwk(publicKey);
}

export function toPublicJwk(publicKey: KeyObject): PublicJwk {
  const jwk = publicKey.export({ format: 'jwk' });
  const n = String(jwk.n);
  const e = String(jwk.e);
  const kid = createHash('sha256').update(JSON.stringify({ e, kty: 'RSA', n })).digest('base64url');
  return { kty: 'RSA', kid, use: 'sig', alg: 'RS256', n, e };
}

export const BENCH_HOST = 'login.example.com';
export const BENCH_PATH = '/team-a/oauth2/jwks';

/** The document under load, plus `fillers` other issuers on other hosts so the route table is not trivially small. */
export function benchDocuments(keys: PublicJwk[], fillers = 100): IssuerDocument[] {
  const docs: IssuerDocument[] = [
    {
      namespace: 'team-a',
      name: 'login',
      issuerURI: `https://${BENCH_HOST}/team-a`,
      servedOnIssuer: true,
      issuerRoute: { hosts: [`${BENCH_HOST}:443`, BENCH_HOST], path: '/team-a' },
      keys,
      cacheMaxAgeSeconds: 300,
      discoveryEnabled: true,
    },
  ];
  for (let i = 0; i < fillers; i++) {
    docs.push({
      namespace: `ns-${i}`,
      name: 'login',
      issuerURI: `https://login-${i}.example.com/ns-${i}`,
      servedOnIssuer: true,
      issuerRoute: { hosts: [`login-${i}.example.com:443`, `login-${i}.example.com`], path: `/ns-${i}` },
      keys,
      cacheMaxAgeSeconds: 300,
      discoveryEnabled: true,
    });
  }
  return docs;
}
