// loadKey's choices beyond the format matrix: kid, algorithm precedence, data key preference,
// tolerated variations of PEM text, and that it never throws.
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import { keyInputDigest, loadKey } from '../../../src/keys/load.js';
import type { KeyResult, LoadedKey, SecretKeyInput } from '../../../src/keys/types.js';
import { craftedDsaPkcs8 } from '../../support/bad-keys.js';
import { algorithmAnnotation, keyInput, makeKeyMaterial, makeSelfSignedCert } from '../../support/keys.js';

function loaded(result: KeyResult<LoadedKey>) {
  if (!result.ok) throw new Error(`refused: ${result.problem.reason}: ${result.problem.message}`);
  return result.value;
}

function refused(result: KeyResult<LoadedKey>) {
  if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.value.publicJwk)}`);
  return result.problem;
}

const rsa = makeKeyMaterial('rsa2048');
const p256 = makeKeyMaterial('p256');
const p384 = makeKeyMaterial('p384');
const ed = makeKeyMaterial('ed25519');

describe('kid', () => {
  it('is the RFC 7638 thumbprint by default', async () => {
    const key = loaded(loadKey(keyInput({ 'key.pem': p256.pkcs8 })));
    expect(key.kid).toBe(await calculateJwkThumbprint(JSON.parse(p256.publicJwk) as Record<string, string>));
  });

  it('is the Secret name with keyIdFormat SecretName, whatever the source', () => {
    const secrets: Record<string, string>[] = [{ 'key.pem': rsa.pkcs8 }, { 'pub.pem': ed.spki }, { 'jwk.json': JSON.stringify({ ...JSON.parse(p256.privateJwk) as object, kid: 'from-jwk' }) }];
    for (const data of secrets) {
      const key = loaded(loadKey(keyInput(data, { secretName: 'login-key-2026-11', keyIdFormat: 'SecretName', requirePrivate: false })));
      expect(key.kid).toBe('login-key-2026-11');
      expect(key.publicJwk.kid).toBe('login-key-2026-11');
    }
  });

  it("honours jwk.json's own kid with keyIdFormat Thumbprint", () => {
    const jwk = { ...JSON.parse(p384.privateJwk) as object, kid: '2026-11 login key' };
    expect(loaded(loadKey(keyInput({ 'jwk.json': JSON.stringify(jwk) }))).kid).toBe('2026-11 login key');
  });

  it('refuses a kid that repeats a private member of the JWK', () => {
    const jwk = JSON.parse(p256.privateJwk) as Record<string, string>;
    const problem = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ ...jwk, kid: jwk.d }) })));
    expect(problem.reason).toBe('KeyParseError');
    expect(problem.message).toMatch(/"kid" that repeats one of its private members/);
  });

  it('refuses a kid that is not a short printable string', () => {
    for (const kid of [42, '', 'x'.repeat(300), 'line\nbreak']) {
      const problem = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ ...JSON.parse(p256.privateJwk) as object, kid }) })));
      expect(problem.reason).toBe('KeyParseError');
      expect(problem.message).toMatch(/"kid"/);
    }
  });
});

describe('algorithm', () => {
  it('takes the annotation over the JWK alg', () => {
    const jwk = { ...JSON.parse(rsa.privateJwk) as object, alg: 'RS512' };
    const key = loaded(loadKey(keyInput({ 'jwk.json': JSON.stringify(jwk) }, { annotations: algorithmAnnotation('PS384') })));
    expect(key.algorithm).toBe('PS384');
    expect(key.publicJwk.alg).toBe('PS384');
  });

  it('takes the JWK alg over the default', () => {
    const jwk = { ...JSON.parse(rsa.publicJwk) as object, alg: 'PS512' };
    expect(loaded(loadKey(keyInput({ 'jwk.json': JSON.stringify(jwk) }, { requirePrivate: false }))).algorithm).toBe('PS512');
  });

  it.each([
    ['rsa2048', 'RS256'], ['p256', 'ES256'], ['p384', 'ES384'], ['p521', 'ES512'], ['ed25519', 'EdDSA'],
  ] as const)('defaults a %s key to %s', (kind, alg) => {
    expect(loaded(loadKey(keyInput({ 'key.pem': makeKeyMaterial(kind).pkcs8 }))).algorithm).toBe(alg);
  });

  it('ignores surrounding whitespace in the annotation and treats an empty one as unset', () => {
    expect(loaded(loadKey(keyInput({ 'key.pem': rsa.pkcs8 }, { annotations: algorithmAnnotation(' PS256\n') }))).algorithm).toBe('PS256');
    expect(loaded(loadKey(keyInput({ 'key.pem': rsa.pkcs8 }, { annotations: algorithmAnnotation('') }))).algorithm).toBe('RS256');
  });

  it('never echoes a hostile annotation value', () => {
    const problem = refused(loadKey(keyInput({ 'key.pem': rsa.pkcs8 }, { annotations: algorithmAnnotation(rsa.pkcs8) })));
    expect(problem.reason).toBe('AlgorithmMismatch');
    expect(problem.message).not.toContain('BEGIN');
    expect(problem.message).toMatch(/RS256, RS384/);
  });
});

describe('data key preference', () => {
  it('reads key.pem before tls.key and jwk.json', () => {
    const key = loaded(loadKey(keyInput({ 'key.pem': p256.pkcs8, 'tls.key': rsa.pkcs8, 'tls.crt': makeSelfSignedCert(rsa.pkcs8), 'jwk.json': ed.privateJwk })));
    expect(key.dataKey).toBe('key.pem');
    expect(key.publicJwk.crv).toBe('P-256');
  });

  it('reads pub.pem before tls.* and jwk.json', () => {
    const key = loaded(loadKey(keyInput({ 'pub.pem': ed.spki, 'tls.key': rsa.pkcs8, 'jwk.json': p256.privateJwk }, { requirePrivate: false })));
    expect(key.dataKey).toBe('pub.pem');
    expect(key.privateKey).toBeUndefined();
  });

  it('says so when pub.pem hides a private key in tls.key from a signing ref', () => {
    const problem = refused(loadKey(keyInput({ 'pub.pem': rsa.spki, 'tls.key': rsa.pkcs8, 'tls.crt': makeSelfSignedCert(rsa.pkcs8) })));
    expect(problem.reason).toBe('KeyMaterialMissing');
    expect(problem.message).toMatch(/reads "pub\.pem" before "tls\.key": remove "pub\.pem"/);
  });

  it('reads tls.key before jwk.json', () => {
    expect(loaded(loadKey(keyInput({ 'tls.key': rsa.pkcs8, 'jwk.json': p256.privateJwk }))).dataKey).toBe('tls.key');
  });

  it('reports a broken preferred data key instead of falling back to a later one', () => {
    const problem = refused(loadKey(keyInput({ 'key.pem': 'oops', 'jwk.json': p256.privateJwk })));
    expect(problem.reason).toBe('KeyParseError');
    expect(problem.message).toContain('"key.pem"');
  });

  it('reads tls.key without tls.crt (no x5c) and tls.crt alone as a verify-only key (with x5c)', () => {
    const keyOnly = loaded(loadKey(keyInput({ 'tls.key': p256.sec1 ?? '' })));
    expect(keyOnly.dataKey).toBe('tls.key');
    expect(keyOnly.publicJwk.x5c).toBeUndefined();
    const certOnly = loaded(loadKey(keyInput({ 'tls.crt': makeSelfSignedCert(p256.pkcs8) }, { requirePrivate: false })));
    expect(certOnly.dataKey).toBe('tls.crt');
    expect(certOnly.privateKey).toBeUndefined();
    expect(certOnly.publicJwk.x5c).toHaveLength(1);
  });
});

describe('private half', () => {
  it('is returned for a verify-only ref when present', () => {
    const key = loaded(loadKey(keyInput({ 'key.pem': ed.pkcs8 }, { requirePrivate: false })));
    expect(key.privateKey?.type).toBe('private');
    expect(createPublicKey(key.privateKey ?? ed.privateKey).equals(ed.publicKey)).toBe(true);
  });

  it('is never part of the published JWK, even from a private JWK with extra members', () => {
    const jwk = { ...JSON.parse(p256.privateJwk) as object, k: 'c2VjcmV0', oth: [], p: 'AQAB', dp: 'AQAB' };
    const key = loaded(loadKey(keyInput({ 'jwk.json': JSON.stringify(jwk) })));
    expect(Object.keys(key.publicJwk).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
  });

  it('refuses a PKCS#1 key whose d was corrupted (the PEM still decodes)', () => {
    const jwk = JSON.parse(rsa.privateJwk) as Record<string, string>;
    const d = jwk.d ?? '';
    const i = Math.floor(d.length / 2);
    const corrupted = createPrivateKey({ key: { ...jwk, d: d.slice(0, i) + (d[i] === 'A' ? 'B' : 'A') + d.slice(i + 1) }, format: 'jwk' });
    const problem = refused(loadKey(keyInput({ 'key.pem': corrupted.export({ type: 'pkcs1', format: 'pem' }).toString() })));
    expect(problem.reason).toBe('KeyMismatch');
    expect(problem.message).toMatch(/do not belong together/);
  });
});

describe('RSA bounds', () => {
  const rsaPublicJwk = JSON.parse(rsa.publicJwk) as Record<string, string>;
  const oddModulus = (bits: number): string => {
    const n = randomBytes(bits / 8);
    n[0] = (n[0] ?? 0) | 0x80;
    n[n.length - 1] = (n[n.length - 1] ?? 0) | 0x01;
    return n.toString('base64url');
  };

  it('refuses a modulus over 8192 bits as unsupported', () => {
    const problem = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ kty: 'RSA', n: oddModulus(8448), e: 'AQAB' }) }, { requirePrivate: false })));
    expect(problem.reason).toBe('UnsupportedKeyType');
    expect(problem.message).toMatch(/8448-bit.*at most 8192/);
  });

  it('refuses an even or huge public exponent', () => {
    const even = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ ...rsaPublicJwk, e: 'AQAA' }) }, { requirePrivate: false })));
    expect(even.reason).toBe('KeyTooWeak');
    const huge = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ ...rsaPublicJwk, e: 'AQAAAAE' }) }, { requirePrivate: false })));
    expect(huge.reason).toBe('UnsupportedKeyType');
    expect(huge.message).toMatch(/65537/);
  });
});

describe('cost', () => {
  it('refuses a crafted DSA key by its OID, before OpenSSL spends a second on it', () => {
    const pem = craftedDsaPkcs8(10000);
    const started = performance.now();
    const problem = refused(loadKey(keyInput({ 'key.pem': pem })));
    expect(performance.now() - started).toBeLessThan(50);
    expect(problem.reason).toBe('UnsupportedKeyType');
    expect(problem.message).toMatch(/DSA/);
  });
});

describe('tolerated PEM variations', () => {
  it('reads a SEC1 key after an EC PARAMETERS block, as `openssl ecparam -genkey` writes it', () => {
    const params = '-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n';
    expect(loaded(loadKey(keyInput({ 'key.pem': params + (p256.sec1 ?? '') }))).algorithm).toBe('ES256');
  });

  it('reads a key.pem that also holds a certificate, without publishing x5c', () => {
    const key = loaded(loadKey(keyInput({ 'key.pem': makeSelfSignedCert(rsa.pkcs8) + rsa.pkcs8 })));
    expect(key.publicJwk.x5c).toBeUndefined();
  });

  it('reads CRLF line endings, a UTF-8 BOM and text around the PEM block', () => {
    const pem = '\ufeffBag Attributes: none\r\n' + ed.pkcs8.replace(/\n/g, '\r\n') + '\r\n\r\n';
    expect(loaded(loadKey(keyInput({ 'key.pem': pem }))).algorithm).toBe('EdDSA');
  });

  it('reads a jwk.json with a BOM and whitespace', () => {
    expect(loaded(loadKey(keyInput({ 'jwk.json': '\ufeff\n  ' + p384.privateJwk + '\n' }))).algorithm).toBe('ES384');
  });
});

describe('never throws', () => {
  it('refuses a kty that names an Object.prototype member', () => {
    for (const kty of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const problem = refused(loadKey(keyInput({ 'jwk.json': JSON.stringify({ kty, n: 'AQAB', e: 'AQAB', crv: 'P-256', x: 'AQAB' }) }, { requirePrivate: false })));
      expect(problem.reason).toBe('UnsupportedKeyType');
    }
  });

  it('turns malformed input objects into a KeyParseError', () => {
    const inputs = [
      { secretName: 's', data: { 'key.pem': 'not a buffer' }, annotations: {}, requirePrivate: true, keyIdFormat: 'Thumbprint' },
      { secretName: 's', data: { 'key.pem': null }, annotations: undefined, requirePrivate: true, keyIdFormat: 'Thumbprint' },
      { secretName: 's', data: undefined, annotations: undefined, requirePrivate: true, keyIdFormat: 'Thumbprint' },
    ] as unknown as SecretKeyInput[];
    for (const input of inputs) {
      const result = loadKey(input);
      expect(result.ok).toBe(false);
    }
  });
});

describe('keyInputDigest (what a parse may be kept for)', () => {
  const base = { uid: 'u1', data: { 'key.pem': Buffer.from('a'), 'pub.pem': Buffer.from('b') }, annotations: { 'signet.dev/algorithm': 'ES256', 'other.example.com/x': '1' } };
  const digest = keyInputDigest(base);

  it('is the same when only what a parse does not read changed (another annotation, the order of data keys)', () => {
    expect(keyInputDigest({ ...base, annotations: { 'signet.dev/algorithm': 'ES256', 'backup.example.com/at': 'now' } })).toBe(digest);
    expect(keyInputDigest({ ...base, data: { 'pub.pem': Buffer.from('b'), 'key.pem': Buffer.from('a') } })).toBe(digest);
  });

  it('changes with the data, the uid and the annotations a parse reads', () => {
    const others: Array<Parameters<typeof keyInputDigest>[0]> = [
      { ...base, data: { ...base.data, 'key.pem': Buffer.from('c') } },
      { ...base, data: { 'key.pem': Buffer.from('ab'), 'pub.pem': Buffer.from('') } },
      { ...base, data: { 'key.pem': Buffer.from('a') } },
      { ...base, uid: 'u2' },
      { ...base, annotations: { 'signet.dev/algorithm': 'ES384' } },
      { ...base, annotations: {} },
      { ...base, annotations: { ...base.annotations, 'signet.dev/kid': 'k' } },
    ];
    const digests = others.map((o) => keyInputDigest(o));
    expect(new Set([digest, ...digests]).size).toBe(others.length + 1);
  });
});
