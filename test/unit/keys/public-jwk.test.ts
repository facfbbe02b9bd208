// toPublicJwk: public members by whitelist, kid, use, alg, and x5c / x5t#S256 from a certificate chain.
import { createHash, createPrivateKey } from 'node:crypto';
import { publicMembers, toPublicJwk } from '../../../src/keys/public-jwk.js';
import { thumbprint } from '../../../src/keys/thumbprint.js';
import { makeCertChain, makeKeyMaterial, makeOtherKey, pemCertsToDer } from '../../support/keys.js';

describe('publicMembers', () => {
  it.each([
    ['rsa2048', ['e', 'kty', 'n']],
    ['p256', ['crv', 'kty', 'x', 'y']],
    ['p521', ['crv', 'kty', 'x', 'y']],
    ['ed25519', ['crv', 'kty', 'x']],
  ] as const)('takes only the public members of a %s private KeyObject', (kind, names) => {
    const m = makeKeyMaterial(kind);
    const members = publicMembers(m.privateKey);
    expect(Object.keys(members).sort()).toEqual([...names]);
    expect(members).toEqual(JSON.parse(m.publicJwk));
  });

  it.each(['x25519', 'ed448', 'secp256k1', 'dsa'] as const)('throws for a %s key', (kind) => {
    expect(() => publicMembers(makeOtherKey(kind))).toThrow(/unsupported/);
  });
});

describe('toPublicJwk', () => {
  it('puts kty, kid, use and alg first, and defaults kid to the thumbprint', () => {
    const m = makeKeyMaterial('p384');
    const jwk = toPublicJwk(m.publicKey, { alg: 'ES384' });
    expect(Object.keys(jwk)).toEqual(['kty', 'kid', 'use', 'alg', 'crv', 'x', 'y']);
    expect(jwk.kid).toBe(thumbprint(jwk));
    expect(jwk.use).toBe('sig');
  });

  it('uses the given kid', () => {
    expect(toPublicJwk(makeKeyMaterial('ed25519').publicKey, { alg: 'EdDSA', kid: 'my-kid' }).kid).toBe('my-kid');
  });

  it('never publishes a private member, even when given a private key', () => {
    const m = makeKeyMaterial('rsa2048');
    const jwk = toPublicJwk(createPrivateKey(m.pkcs1 ?? ''), { alg: 'RS256' }) as unknown as Record<string, unknown>;
    for (const name of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) expect(jwk).not.toHaveProperty(name);
  });

  it('publishes the chain as standard base64 x5c and the leaf hash as base64url x5t#S256', () => {
    const m = makeKeyMaterial('p256');
    const chain = pemCertsToDer(makeCertChain(m.privateKey).chainPem);
    const jwk = toPublicJwk(m.publicKey, { alg: 'ES256', certChain: chain });
    expect(jwk.x5c).toEqual(chain.map((d) => d.toString('base64')));
    expect(jwk.x5c?.join('')).toMatch(/^[A-Za-z0-9+/=]+$/);
    expect(jwk['x5t#S256']).toBe(createHash('sha256').update(chain[0] ?? Buffer.alloc(0)).digest('base64url'));
    expect(jwk['x5t#S256']).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('leaves x5c out without a chain or with an empty one', () => {
    const m = makeKeyMaterial('p256');
    expect(toPublicJwk(m.publicKey, { alg: 'ES256', certChain: [] })).not.toHaveProperty('x5c');
    expect(toPublicJwk(m.publicKey, { alg: 'ES256' })).not.toHaveProperty('x5t#S256');
  });
});
