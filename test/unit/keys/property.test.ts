// Whatever key goes in (any format, any algorithm request, JWKs stuffed with private or junk members),
// what comes out is either a refusal or a JWK of public members only whose kid is its RFC 7638 thumbprint.
import { createPublicKey } from 'node:crypto';
import fc from 'fast-check';
import { calculateJwkThumbprint } from 'jose';
import { ALGORITHMS } from '../../../src/api/types.js';
import { loadKey } from '../../../src/keys/load.js';
import { thumbprint } from '../../../src/keys/thumbprint.js';
import type { SecretKeyInput } from '../../../src/keys/types.js';
import { makeCertChain, makeKeyMaterial, makeSelfSignedCert, secretData } from '../../support/keys.js';
import type { KeyKind, KeyMaterial } from '../../support/keys.js';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;
const PUBLISHABLE = new Set(['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y', 'x5c', 'x5t#S256']);
const KINDS: readonly KeyKind[] = ['rsa2048', 'p256', 'p384', 'p521', 'ed25519'];
const FORMATS = ['pkcs8', 'pkcs1', 'sec1', 'pkcs8+spki', 'pkcs1+pkcs1pub', 'spki', 'tls-self', 'tls-chain', 'jwk-private', 'jwk-public'] as const;

// The pool: two keys of each kind, with their certificates, made once.
const pool = new Map<string, { m: KeyMaterial; self: string; chain: string }>();
for (const kind of KINDS) {
  for (const variant of [0, 1]) {
    const m = makeKeyMaterial(kind, variant);
    pool.set(`${kind}#${variant}`, { m, self: makeSelfSignedCert(m.pkcs8), chain: makeCertChain(m.privateKey).chainPem });
  }
}
function entry(kind: KeyKind, variant: number) {
  const e = pool.get(`${kind}#${variant}`);
  if (e === undefined) throw new Error('not in pool');
  return e;
}

/** Every private value of every key in the pool: none may ever be published. */
const privateValues = [...pool.values()].flatMap(({ m }) => {
  const jwk = JSON.parse(m.privateJwk) as Record<string, unknown>;
  return PRIVATE_MEMBERS.flatMap((name) => (typeof jwk[name] === 'string' ? [jwk[name]] : []));
});

const base64url = fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'), minLength: 1, maxLength: 60 });
const junkValue = fc.oneof(
  base64url,
  fc.constantFrom(...privateValues),
  fc.constant([{ r: 'AQAB', d: 'AQAB', t: 'AQAB' }]),
  fc.integer(),
  fc.constant(null),
);
// kid is left out of the private-value junk: a kid is published as written, and a public JWK cannot know
// that its kid is some other key's secret (a kid copied from its own private members is refused, see load.test.ts).
const junk = fc.tuple(
  fc.dictionary(fc.constantFrom(...PRIVATE_MEMBERS, 'x5c', 'key_ops', 'ext', 'use', 'alg', 'extra'), junkValue, { maxKeys: 4 }),
  fc.option(fc.oneof(base64url, fc.integer()), { nil: undefined, freq: 3 }),
).map(([members, kid]) => (kid === undefined ? members : { ...members, kid }));

const scenario = fc.record({
  kind: fc.constantFrom(...KINDS),
  variant: fc.constantFrom(0, 1),
  /** A second key for a mismatched public half now and then. */
  otherVariant: fc.constantFrom(0, 1),
  format: fc.constantFrom(...FORMATS),
  // Unset half of the time, so that plenty of keys are accepted and their JWKs checked.
  annotation: fc.option(fc.constantFrom(...ALGORITHMS, 'none', 'HS256', 'rs256'), { nil: undefined, freq: 1 }),
  jwkAlg: fc.option(fc.constantFrom(...ALGORITHMS, 'HS512'), { nil: undefined, freq: 1 }),
  junk,
  requirePrivate: fc.boolean(),
  keyIdFormat: fc.constantFrom('Thumbprint', 'SecretName'),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function secretFor(s: Scenario): SecretKeyInput {
  const { m, self, chain } = entry(s.kind, s.variant);
  const other = entry(s.kind, s.otherVariant).m;
  const jwk = (text: string) => JSON.stringify({ ...JSON.parse(text) as object, ...(s.jwkAlg !== undefined && { alg: s.jwkAlg }), ...s.junk });
  const data = ((): Record<string, string> => {
    switch (s.format) {
      case 'pkcs8': return { 'key.pem': m.pkcs8 };
      case 'pkcs1': return { 'key.pem': m.pkcs1 ?? m.pkcs8 };
      case 'sec1': return { 'key.pem': m.sec1 ?? m.pkcs8 };
      case 'pkcs8+spki': return { 'key.pem': m.pkcs8, 'pub.pem': other.spki };
      case 'pkcs1+pkcs1pub': return { 'key.pem': m.pkcs1 ?? m.pkcs8, 'pub.pem': other.pkcs1Public ?? other.spki };
      case 'spki': return { 'pub.pem': m.spki };
      case 'tls-self': return { 'tls.key': m.pkcs8, 'tls.crt': self };
      case 'tls-chain': return { 'tls.key': m.pkcs8, 'tls.crt': chain };
      case 'jwk-private': return { 'jwk.json': jwk(m.privateJwk) };
      case 'jwk-public': return { 'jwk.json': jwk(m.publicJwk) };
    }
  })();
  return {
    secretName: 'prop-key',
    data: secretData(data),
    annotations: s.annotation === undefined ? {} : { 'signet.dev/algorithm': s.annotation },
    requirePrivate: s.requirePrivate,
    keyIdFormat: s.keyIdFormat,
  };
}

describe('published JWK (property)', () => {
  it('never carries a private member, and its thumbprint is jose\'s', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const input = secretFor(s);
        const result = loadKey(input);
        if (!result.ok) {
          expect(result.problem.message).not.toContain('-----BEGIN');
          return;
        }
        accepted++;
        const { publicJwk, kid, privateKey } = result.value;
        for (const name of Object.keys(publicJwk)) expect(PUBLISHABLE.has(name)).toBe(true);
        for (const name of PRIVATE_MEMBERS) expect(publicJwk).not.toHaveProperty(name);
        const text = JSON.stringify(publicJwk);
        for (const value of privateValues) expect(text).not.toContain(value);

        // The published key is the real one, never junk: it equals the material's own public key.
        const { m } = entry(s.kind, s.variant);
        expect(createPublicKey({ key: { ...publicJwk }, format: 'jwk' }).equals(m.publicKey)).toBe(true);
        if (privateKey !== undefined) expect(createPublicKey(privateKey).equals(m.publicKey)).toBe(true);

        const joseThumbprint = await calculateJwkThumbprint(publicJwk, 'sha256');
        expect(thumbprint(publicJwk)).toBe(joseThumbprint);
        if (input.keyIdFormat === 'SecretName') expect(kid).toBe('prop-key');
        else if (!('kid' in s.junk)) expect(kid).toBe(joseThumbprint);
      }),
      { numRuns: 200 },
    );
    // The property must not pass by refusing everything.
    expect(accepted).toBeGreaterThan(40);
  });
});
