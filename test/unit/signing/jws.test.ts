// What jws.ts builds by hand is a JWS that jose verifies, for every algorithm in the table, in the
// compact and the flattened serialization, with RSA signed on the thread pool and on the event loop;
// a different key does not verify it.
import { compactVerify, flattenedVerify } from 'jose';
import { createSecretKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { ALGORITHMS, type Algorithm } from '../../../src/api/types.js';
import { jwsSigner } from '../../../src/signing/jws.js';
import { rsaPlacement, signatureMaker, type RsaPlacement } from '../../../src/signing/signature.js';

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

const PLACEMENTS: RsaPlacement[] = ['thread-pool', 'event-loop'];

describe.each(ALGORITHMS.flatMap((alg) => PLACEMENTS.map((placement) => [alg, placement] as const)))('%s, RSA on the %s', (alg, placement) => {
  const { priv, pub } = pair(alg);
  const jws = jwsSigner(signatureMaker(placement));
  const key = { kid: `kid-${alg}`, alg, key: priv };
  const claims = { sub: 'alice', iss: 'https://issuer.example', n: 1, unicode: 'é✓' };

  it('compact: verifies with jose, header {alg, kid, typ}', async () => {
    const token = await jws.compact(claims, key, 'at+jwt');
    const { payload, protectedHeader } = await compactVerify(token, pub, { algorithms: [alg] });
    expect(protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'at+jwt' });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(claims);
  });

  it('flattened: verifies with jose; another key does not', async () => {
    const signed = await jws.flattened(claims, key, 'JWT');
    const verified = await flattenedVerify(signed, pub, { algorithms: [alg] });
    expect(verified.protectedHeader).toEqual({ alg, kid: `kid-${alg}`, typ: 'JWT' });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(claims);
    await expect(flattenedVerify(signed, pair(alg).pub, { algorithms: [alg] })).rejects.toThrow();
  });
});

describe('where RSA signs', () => {
  it('on the thread pool with more than one CPU, on the event loop with one', () => {
    expect(rsaPlacement(1)).toBe('event-loop');
    expect(rsaPlacement(2)).toBe('thread-pool');
    expect(rsaPlacement(64)).toBe('thread-pool');
  });

  it('a token signed before a rotation keeps its kid; the same key object signs the same header every time', async () => {
    const jws = jwsSigner(signatureMaker('event-loop'));
    const { priv } = pair('RS256');
    const first = { kid: 'first', alg: 'RS256' as const, key: priv };
    const second = { kid: 'second', alg: 'RS256' as const, key: priv };
    const kid = (t: string): unknown => (JSON.parse(Buffer.from(t.split('.')[0] ?? '', 'base64url').toString()) as { kid: unknown }).kid;
    expect(kid(await jws.compact({}, first, 'JWT'))).toBe('first');
    expect(kid(await jws.compact({}, second, 'JWT'))).toBe('second');
    expect(kid(await jws.compact({}, first, 'at+jwt'))).toBe('first');
  });
});
