// Shared-secret keys (docs/architecture.md#key-material-in-secrets): read from `secret` or a jwk.json with kty oct, HS256/384/512,
// refused when too short or with an algorithm that does not fit; messages never carry the secret.
import { createHmac, randomBytes } from 'node:crypto';
import { generateSecret, holdsSymmetricKey, readSymmetricKey } from '../../../src/keys/symmetric.js';

const secret32 = randomBytes(32);
const read = (data: Record<string, Buffer>, annotation?: string, keyIdFormat: 'Thumbprint' | 'SecretName' = 'Thumbprint') =>
  readSymmetricKey({ secretName: 'hs-key', data, annotation, keyIdFormat });
const jwk = (o: object) => Buffer.from(JSON.stringify(o));

describe('holdsSymmetricKey', () => {
  it('a secret data key alone, or a jwk.json with kty oct', () => {
    expect(holdsSymmetricKey({ secret: secret32 })).toBe(true);
    expect(holdsSymmetricKey({ 'jwk.json': jwk({ kty: 'oct', k: secret32.toString('base64url') }) })).toBe(true);
  });
  it('not beside an asymmetric key, not another JWK, not broken JSON', () => {
    expect(holdsSymmetricKey({ secret: secret32, 'key.pem': Buffer.from('x') })).toBe(false);
    expect(holdsSymmetricKey({ 'jwk.json': jwk({ kty: 'EC' }) })).toBe(false);
    expect(holdsSymmetricKey({ 'jwk.json': Buffer.from('{') })).toBe(false);
    expect(holdsSymmetricKey({})).toBe(false);
  });
});

describe('readSymmetricKey', () => {
  it('reads raw bytes as HS256 by default, with a thumbprint kid, and signs like the secret', () => {
    const r = read({ secret: secret32 });
    if (!r.ok) throw new Error(r.problem.message);
    expect(r.value).toMatchObject({ algorithm: 'HS256', keySize: 256, dataKey: 'secret' });
    expect(r.value.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(createHmac('sha256', r.value.secretKey).update('x').digest()).toEqual(createHmac('sha256', secret32).update('x').digest());
  });

  it('honours the annotation, the JWK alg and kid, and keyIdFormat SecretName', () => {
    const k64 = randomBytes(64);
    expect(read({ secret: k64 }, 'HS512')).toMatchObject({ ok: true, value: { algorithm: 'HS512', keySize: 512 } });
    expect(read({ 'jwk.json': jwk({ kty: 'oct', k: k64.toString('base64url'), alg: 'HS384', kid: 'shared-1' }) }))
      .toMatchObject({ ok: true, value: { algorithm: 'HS384', kid: 'shared-1', dataKey: 'jwk.json' } });
    expect(read({ secret: secret32 }, undefined, 'SecretName')).toMatchObject({ ok: true, value: { kid: 'hs-key' } });
  });

  it.each([
    ['a 31-byte secret', { secret: randomBytes(31) }, undefined, 'KeyTooWeak', /31-byte.*HS256 needs at least 32/],
    ['HS512 with 48 bytes', { secret: randomBytes(48) }, 'HS512', 'KeyTooWeak', /HS512 needs at least 64/],
    ['an asymmetric algorithm', { secret: secret32 }, 'RS256', 'AlgorithmMismatch', /HS256, HS384, HS512/],
    ['an oct JWK without k', { 'jwk.json': jwk({ kty: 'oct' }) }, undefined, 'KeyParseError', /"k"/],
    ['an oct JWK for encryption', { 'jwk.json': jwk({ kty: 'oct', k: secret32.toString('base64url'), use: 'enc' }) }, undefined, 'AlgorithmMismatch', /"use"/],
  ])('refuses %s', (_what, data, annotation, reason, message) => {
    const r = read(data, annotation);
    expect(r).toMatchObject({ ok: false, problem: { reason } });
    const text = r.ok ? '' : r.problem.message;
    expect(text).toMatch(message);
    expect(text).toContain('Secret "hs-key"');
    for (const v of Object.values(data as Record<string, Buffer>)) {
      expect(text).not.toContain(v.toString('base64url'));
      expect(text).not.toContain(v.toString('base64'));
    }
  });

  it('generates a random secret as long as the hash', () => {
    expect([generateSecret('HS256').length, generateSecret('HS384').length, generateSecret('HS512').length]).toEqual([32, 48, 64]);
    expect(generateSecret('HS256').equals(generateSecret('HS256'))).toBe(false);
  });
});
