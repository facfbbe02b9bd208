// What jws.ts builds by hand is a JWS that jose verifies, for every algorithm in the table, in the
// compact and the flattened serialization; a different key does not verify it.
import { compactVerify, flattenedVerify } from 'jose';
import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { ALGORITHMS, type Algorithm } from '../../../src/api/types.js';
import { signCompact, signFlattened } from '../../../src/signing/jws.js';

function pair(alg: Algorithm): { priv: KeyObject; pub: KeyObject } {
  if (alg.startsWith('HS')) {
    const k = createSecretKey(randomBytes(64));
    return { priv: k, pub: k };
  }
  const { privateKey, publicKey } = alg.startsWith('ES')
    ? generateKeyPairSync('ec', { namedCurve: { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg as 'ES256'] })
    : alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { priv: privateKey, pub: publicKey };
}

describe.each(ALGORITHMS)('%s', (alg) => {
  const { priv, pub } = pair(alg);
  const key = { kid: `kid-${alg}`, alg, key: priv };
  const claims = { sub: 'alice', iss: 'https://issuer.example', n: 1, unicode: 'é✓' };

  it('compact: verifies with jose, header {alg, kid, typ}', async () => {
    const token = await signCompact(claims, key, 'at+jwt');
    const { payload, protectedHeader } = await compactVerify(token, pub, { algorithms: [alg] });
    expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'at+jwt' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);
  });

  it('flattened: verifies with jose; another key does not', async () => {
    const jws = await signFlattened(claims, key, 'JWT');
    await expect(flattenedVerify(jws, pub, { algorithms: [alg] })).resolves.toBeDefined();
    await expect(flattenedVerify(jws, pair(alg).pub, { algorithms: [alg] })).rejects.toThrow();
  });
});
