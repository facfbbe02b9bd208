// Verifies tokens with the Node libraries that services use to trust an issuer: jose's
// createRemoteJWKSet, openid-client's discovery (an implicit-flow ID token), and jwks-rsa with
// jsonwebtoken. Run as its own process (node --import tsx), with the test CA in
// NODE_EXTRA_CA_CERTS as a service would configure it; reads a request on stdin, writes results.
// Several names run each library with its own client and cache, in one process.
//   usage: verify.ts jose|openid-client|jwks-rsa... < request.json
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import jwksClient from 'jwks-rsa';
import jwt from 'jsonwebtoken';
import * as oidc from 'openid-client';
import { text } from 'node:stream/consumers';
import type { LibraryVerifier, VerifierRequest, VerifierResult } from '../support/verifier-protocol.js';

type Verify = (issuer: string, audience: string) => Promise<(token: string) => Promise<string | undefined>>;

async function discover(issuer: string): Promise<{ issuer: string; jwks_uri: string }> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`discovery answered ${res.status}`);
  const doc = (await res.json()) as { issuer: string; jwks_uri: string };
  if (doc.issuer !== issuer) throw new Error(`discovery names issuer ${doc.issuer}, not ${issuer}`);
  return doc;
}

const verifiers: Record<string, Verify> = {
  async jose(issuer, audience) {
    const jwks = createRemoteJWKSet(new URL((await discover(issuer)).jwks_uri));
    return async (token) => (await jwtVerify(token, jwks, { issuer, audience })).payload.sub;
  },
  // openid-client checks ID tokens, not bare JWTs: the token arrives as an implicit-flow response
  // (response_type=id_token), the client registered for the issuer's algorithm, as a relying party would.
  'openid-client'(issuer, audience) {
    const configs = new Map<string, Promise<oidc.Configuration>>();
    return Promise.resolve(async (token: string) => {
      const { alg = '' } = decodeProtectedHeader(token);
      let config = configs.get(alg);
      if (!config) {
        config = oidc.discovery(new URL(issuer), audience, { id_token_signed_response_alg: alg }).then((c) => {
          oidc.useIdTokenResponseType(c);
          return c;
        });
        configs.set(alg, config);
      }
      const claims = await oidc.implicitAuthentication(await config, new URL(`https://app.example/callback#id_token=${token}`), 'interop-nonce');
      return claims.sub;
    });
  },
  async 'jwks-rsa'(issuer, audience) {
    const client = jwksClient({ jwksUri: (await discover(issuer)).jwks_uri });
    return async (token) => {
      const { kid } = decodeProtectedHeader(token);
      const key = await client.getSigningKey(kid);
      const claims = jwt.verify(token, key.getPublicKey(), { issuer, audience, algorithms: ['RS256', 'PS256', 'ES256', 'EdDSA' as jwt.Algorithm] });
      return typeof claims === 'string' ? undefined : claims.sub;
    };
  },
};

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !verifiers[n]);
  if (names.length === 0 || unknown.length > 0) throw new Error(`unknown verifier "${unknown.join(', ')}"; name one or more of ${Object.keys(verifiers).join(', ')}`);
  const request = JSON.parse(await text(process.stdin)) as VerifierRequest;
  const results: VerifierResult[] = [];
  for (const name of names) {
    const verifier = verifiers[name]!;
    for (const { issuer, tokens } of request.issuers) {
      let verify: (token: string) => Promise<string | undefined>;
      try {
        verify = await verifier(issuer, request.audience);
      } catch (err) {
        results.push(...tokens.map((t) => ({ id: t.id, verifier: name as LibraryVerifier, ok: false, error: `discovery: ${(err as Error).message}` })));
        continue;
      }
      for (const t of tokens) {
        try {
          results.push({ id: t.id, verifier: name as LibraryVerifier, ok: true, subject: await verify(t.token) });
        } catch (err) {
          results.push({ id: t.id, verifier: name as LibraryVerifier, ok: false, error: (err as Error).message });
        }
      }
    }
  }
  process.stdout.write(JSON.stringify({ results }));
}

main().catch((err: unknown) => {
  process.stderr.write(`verify.ts: ${(err as Error).message}\n`);
  process.exit(2);
});
