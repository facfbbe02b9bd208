// Every format × every algorithm it can carry: loadKey, publish, sign a JWT with the loaded private key
// (or, for a verify-only Secret, with the fixture's private key), and verify it with the published JWK.
import { createHash, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importJWK, jwtVerify, SignJWT } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../../../src/api/types.js';
import type { AsymmetricAlgorithm } from '../../../src/api/types.js';
import { loadKey } from '../../../src/keys/load.js';
import type { SecretKeyInput } from '../../../src/keys/types.js';
import { algorithmAnnotation, keyInput, makeCertChain, makeKeyMaterial, makeSelfSignedCert, pemCertsToDer } from '../../support/keys.js';
import type { KeyKind, KeyMaterial } from '../../support/keys.js';

const FORMATS = [
  'key.pem PKCS#8', 'key.pem PKCS#1', 'key.pem SEC1', 'key.pem + pub.pem SPKI', 'key.pem + pub.pem PKCS#1',
  'pub.pem SPKI alone', 'pub.pem PKCS#1 alone', 'tls.key + tls.crt self-signed', 'tls.key + tls.crt chain',
  'jwk.json private', 'jwk.json public',
] as const;
type Format = (typeof FORMATS)[number];

// RS384/PS384 use a 3072-bit key so that more than one RSA size goes round.
const KIND: Record<AsymmetricAlgorithm, KeyKind> = {
  RS256: 'rsa2048', RS384: 'rsa3072', RS512: 'rsa2048', PS256: 'rsa2048', PS384: 'rsa3072', PS512: 'rsa2048',
  ES256: 'p256', ES384: 'p384', ES512: 'p521', EdDSA: 'ed25519',
};

interface Case {
  input: SecretKeyInput;
  material: KeyMaterial;
  dataKey: string;
  verifyOnly: boolean;
  /** tls.crt, for the x5c checks. */
  certPem?: string;
}

const certs = new Map<string, { self: string; chain: string }>();
function certsFor(m: KeyMaterial): { self: string; chain: string } {
  let c = certs.get(m.kind);
  if (c === undefined) {
    c = { self: makeSelfSignedCert(m.pkcs8), chain: makeCertChain(m.privateKey).chainPem };
    certs.set(m.kind, c);
  }
  return c;
}

/** The Secret for a format and algorithm, or undefined where the format cannot carry the key. */
function buildCase(format: Format, alg: AsymmetricAlgorithm): Case | undefined {
  const m = makeKeyMaterial(KIND[alg]);
  // The default algorithm needs no annotation: that path is covered too.
  const annotations = alg === m.algorithms[0] ? {} : algorithmAnnotation(alg);
  const pem = (data: Record<string, string>, dataKey: string, verifyOnly = false): Case =>
    ({ input: keyInput(data, { annotations, requirePrivate: !verifyOnly }), material: m, dataKey, verifyOnly });
  switch (format) {
    case 'key.pem PKCS#8': return pem({ 'key.pem': m.pkcs8 }, 'key.pem');
    case 'key.pem PKCS#1': return m.pkcs1 === undefined ? undefined : pem({ 'key.pem': m.pkcs1 }, 'key.pem');
    case 'key.pem SEC1': return m.sec1 === undefined ? undefined : pem({ 'key.pem': m.sec1 }, 'key.pem');
    case 'key.pem + pub.pem SPKI': return pem({ 'key.pem': m.pkcs8, 'pub.pem': m.spki }, 'key.pem');
    case 'key.pem + pub.pem PKCS#1': return m.pkcs1Public === undefined ? undefined : pem({ 'key.pem': m.pkcs1 ?? '', 'pub.pem': m.pkcs1Public }, 'key.pem');
    case 'pub.pem SPKI alone': return pem({ 'pub.pem': m.spki }, 'pub.pem', true);
    case 'pub.pem PKCS#1 alone': return m.pkcs1Public === undefined ? undefined : pem({ 'pub.pem': m.pkcs1Public }, 'pub.pem', true);
    case 'tls.key + tls.crt self-signed': {
      const certPem = certsFor(m).self;
      return { ...pem({ 'tls.key': m.pkcs8, 'tls.crt': certPem }, 'tls.key'), certPem };
    }
    case 'tls.key + tls.crt chain': {
      const certPem = certsFor(m).chain;
      return { ...pem({ 'tls.key': m.pkcs1 ?? m.sec1 ?? m.pkcs8, 'tls.crt': certPem }, 'tls.key'), certPem };
    }
    case 'jwk.json private':
    case 'jwk.json public': {
      // Here the algorithm comes from the JWK's own alg member instead of the annotation.
      const verifyOnly = format === 'jwk.json public';
      const jwk = JSON.parse(verifyOnly ? m.publicJwk : m.privateJwk) as Record<string, unknown>;
      if (alg !== m.algorithms[0]) jwk.alg = alg;
      return { input: keyInput({ 'jwk.json': JSON.stringify(jwk) }, { requirePrivate: !verifyOnly }), material: m, dataKey: 'jwk.json', verifyOnly };
    }
  }
}

const PUBLIC_MEMBERS = new Set(['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y', 'x5c', 'x5t#S256']);

async function signWith(key: KeyObject, alg: AsymmetricAlgorithm, kid: string): Promise<string> {
  return new SignJWT({ sub: 'alice', scope: 'openid' })
    .setProtectedHeader({ alg, kid, typ: 'JWT' })
    .setIssuer('https://login.example.com/team-a')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

const table = FORMATS.flatMap((format) => ASYMMETRIC_ALGORITHMS.flatMap((alg) => (buildCase(format, alg) !== undefined ? [[format, alg] as const] : [])));

describe('format × algorithm round trip', () => {
  it('covers every format and every algorithm', () => {
    expect(new Set(table.map(([f]) => f))).toEqual(new Set(FORMATS));
    expect(new Set(table.map(([, a]) => a))).toEqual(new Set(ASYMMETRIC_ALGORITHMS));
    expect(table.length).toBe(91);
  });

  it.each(table)('%s with %s: load, publish, sign, verify', async (format, alg) => {
    const c = buildCase(format, alg);
    if (c === undefined) throw new Error('unreachable');
    const result = loadKey(c.input);
    if (!result.ok) throw new Error(`refused: ${result.problem.reason}: ${result.problem.message}`);
    const key = result.value;

    expect(key.algorithm).toBe(alg);
    expect(key.keySize).toBe(c.material.keySize);
    expect(key.dataKey).toBe(c.dataKey);
    expect(key.privateKey !== undefined).toBe(!c.verifyOnly);
    expect(key.publicJwk.alg).toBe(alg);
    expect(key.publicJwk.use).toBe('sig');
    for (const name of Object.keys(key.publicJwk)) expect(PUBLIC_MEMBERS).toContain(name);

    // The published members are the key's own, and the kid is jose's RFC 7638 thumbprint of them.
    const expected = await exportJWK(c.material.publicKey);
    expect(key.publicJwk).toMatchObject(expected);
    expect(key.kid).toBe(key.publicJwk.kid);
    expect(key.kid).toBe(await calculateJwkThumbprint(expected, 'sha256'));

    if (c.certPem !== undefined) {
      const ders = pemCertsToDer(c.certPem);
      expect(key.publicJwk.x5c).toEqual(ders.map((d) => d.toString('base64')));
      const [leafDer] = ders;
      if (leafDer === undefined) throw new Error('no leaf');
      expect(key.publicJwk['x5t#S256']).toBe(createHash('sha256').update(leafDer).digest('base64url'));
      expect(new X509Certificate(Buffer.from(key.publicJwk.x5c?.[0] ?? '', 'base64')).publicKey.equals(c.material.publicKey)).toBe(true);
    } else {
      expect(key.publicJwk.x5c).toBeUndefined();
      expect(key.publicJwk['x5t#S256']).toBeUndefined();
    }

    const signer = key.privateKey ?? c.material.privateKey;
    const token = await signWith(signer, alg, key.kid);
    const verifier = await importJWK(key.publicJwk, alg);
    const { payload, protectedHeader } = await jwtVerify(token, verifier, { issuer: 'https://login.example.com/team-a', algorithms: [alg] });
    expect(payload.sub).toBe('alice');
    expect(protectedHeader.kid).toBe(key.kid);
  });

  it('a token signed by another key of the same kind does not verify with the published key', async () => {
    const result = loadKey(keyInput({ 'key.pem': makeKeyMaterial('p256').pkcs8 }));
    if (!result.ok) throw new Error(result.problem.message);
    const token = await signWith(makeKeyMaterial('p256', 1).privateKey, 'ES256', result.value.kid);
    await expect(jwtVerify(token, await importJWK(result.value.publicJwk, 'ES256'))).rejects.toThrow(/signature verification failed/);
  });
});
