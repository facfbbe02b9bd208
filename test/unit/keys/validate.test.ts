// validate: which algorithm fits which key, and the order of precedence of the algorithm sources.
import { createPublicKey } from 'node:crypto';
import { ALGORITHMS } from '../../../src/api/types.js';
import { algorithmsFor, checkPair, chooseAlgorithm, describeKey } from '../../../src/keys/validate.js';
import type { KeyShape } from '../../../src/keys/validate.js';
import { makeKeyMaterial } from '../../support/keys.js';
import type { KeyKind } from '../../support/keys.js';

const SHAPES: Record<string, KeyShape> = {
  RSA: { family: 'RSA', keySize: 2048 },
  'P-256': { family: 'EC', curve: 'P-256', keySize: 256 },
  'P-384': { family: 'EC', curve: 'P-384', keySize: 384 },
  'P-521': { family: 'EC', curve: 'P-521', keySize: 521 },
  Ed25519: { family: 'OKP', curve: 'Ed25519', keySize: 256 },
};
const FITS: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'], 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'], Ed25519: ['EdDSA'],
};

describe('chooseAlgorithm', () => {
  const cases = Object.keys(SHAPES).flatMap((shape) => ALGORITHMS.map((alg) => [shape, alg] as const));
  it.each(cases)('%s key with annotation %s', (shapeName, alg) => {
    const shape = SHAPES[shapeName];
    if (shape === undefined) throw new Error('no shape');
    const result = chooseAlgorithm('s', 'key.pem', shape, { annotation: alg });
    const fits = FITS[shapeName]?.includes(alg) ?? false;
    expect(result.ok).toBe(fits);
    if (!result.ok) {
      expect(result.problem.reason).toBe('AlgorithmMismatch');
      expect(result.problem.message).toContain(`names algorithm ${alg}, which does not fit`);
    }
  });

  it('defaults to the first algorithm that fits', () => {
    for (const [name, shape] of Object.entries(SHAPES)) {
      const result = chooseAlgorithm('s', 'key.pem', shape, {});
      expect(result.ok && result.value).toBe(FITS[name]?.[0]);
      expect(algorithmsFor(shape)).toEqual(FITS[name]);
    }
  });

  it('prefers the annotation to the JWK alg, and the JWK alg to the default', () => {
    const rsa = SHAPES.RSA ?? { family: 'RSA', keySize: 2048 };
    expect(chooseAlgorithm('s', 'jwk.json', rsa, { annotation: 'PS512', jwkAlg: 'RS384' })).toEqual({ ok: true, value: 'PS512' });
    expect(chooseAlgorithm('s', 'jwk.json', rsa, { jwkAlg: 'RS384' })).toEqual({ ok: true, value: 'RS384' });
    const bad = chooseAlgorithm('s', 'jwk.json', rsa, { jwkAlg: 'none' });
    expect(!bad.ok && bad.problem.message).toMatch(/"alg" in jwk\.json/);
  });
});

describe('describeKey', () => {
  it.each([
    ['rsa2048', 'RSA', 2048], ['rsa3072', 'RSA', 3072], ['p256', 'EC', 256], ['p384', 'EC', 384], ['p521', 'EC', 521], ['ed25519', 'OKP', 256],
  ] as const)('%s is %s of size %i', (kind: KeyKind, family, size) => {
    const result = describeKey('s', 'data key "key.pem"', makeKeyMaterial(kind).publicKey);
    expect(result.ok && result.value.family).toBe(family);
    expect(result.ok && result.value.keySize).toBe(size);
  });
});

describe('checkPair', () => {
  it('accepts a key with its own public half and names the public data key on a mismatch', () => {
    const m = makeKeyMaterial('ed25519');
    const other = makeKeyMaterial('ed25519', 1);
    const shape = SHAPES.Ed25519 ?? { family: 'OKP', keySize: 256 };
    const good = checkPair('s', 'key.pem', m.privateKey, shape, { key: m.publicKey, dataKey: 'pub.pem', fix: 'fix it' });
    expect(good.ok && good.value.equals(createPublicKey(m.privateKey))).toBe(true);
    const bad = checkPair('s', 'key.pem', m.privateKey, shape, { key: other.publicKey, dataKey: 'pub.pem', fix: 'fix it' });
    expect(!bad.ok && bad.problem.reason).toBe('KeyMismatch');
    expect(!bad.ok && bad.problem.message).toMatch(/^Secret "s" data key "pub\.pem": .*fix it$/);
  });
});
