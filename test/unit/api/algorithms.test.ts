// Every row of the algorithm table works end to end: Signet generates a key for it, loads it back
// through loadKey with that algorithm, signs a JWS with it (signing/), and jose verifies the token
// with the published JWK (or, for HS*, with the shared secret). The kube-apiserver verifiers that
// a row names are those the authenticator check (api/kube-authenticator.ts) lets through.
import { compactVerify, importJWK } from 'jose';
import { createSecretKey } from 'node:crypto';
import { ALGORITHM_TABLE, ALGORITHMS, isSymmetricAlgorithm, type Algorithm } from '../../../src/api/algorithms.js';
import { kubeAuthenticatorProblems } from '../../../src/api/kube-authenticator.js';
import { generateKeyMaterial } from '../../../src/keys/generate.js';
import { loadKey } from '../../../src/keys/load.js';
import { generateSecret } from '../../../src/keys/symmetric.js';
import { jwsSigner } from '../../../src/signing/jws.js';
import { signatureMaker } from '../../../src/signing/signature.js';
import { algorithmAnnotation, keyInput } from '../../support/keys.js';

/** The key as Signet generates and stores it, loaded back; and what a verifier verifies with. */
async function generatedAndLoaded(alg: Algorithm) {
  if (isSymmetricAlgorithm(alg)) {
    const secret = generateSecret(alg);
    const result = loadKey({ ...keyInput({ secret }, { annotations: algorithmAnnotation(alg) }), allowSymmetric: true });
    if (!result.ok) throw new Error(result.problem.message);
    return { loaded: result.value, verifyKey: createSecretKey(secret) };
  }
  const material = await generateKeyMaterial(alg, 2048);
  const result = loadKey(keyInput({ 'key.pem': material['key.pem'], 'pub.pem': material['pub.pem'] }, { annotations: algorithmAnnotation(alg) }));
  if (!result.ok) throw new Error(result.problem.message);
  return { loaded: result.value, verifyKey: await importJWK({ ...result.value.publicJwk }, alg) };
}

describe.each(ALGORITHMS)('algorithm table row %s', (alg) => {
  const row = ALGORITHM_TABLE[alg];

  it('generates a key that loads with this algorithm, signs, and verifies with jose', async () => {
    const { loaded, verifyKey } = await generatedAndLoaded(alg);
    expect(loaded.algorithm).toBe(alg);
    if (row.family === 'oct') {
      expect(loaded.publicJwk).toBeUndefined();
      expect(loaded.keySize).toBe(row.minSecretBytes * 8);
    } else {
      expect(loaded.publicJwk).toMatchObject({ kty: row.family, alg, use: 'sig', ...('curve' in row ? { crv: row.curve } : {}) });
      expect(loaded.keySize).toBe('keySize' in row ? row.keySize : 2048);
    }
    if (loaded.privateKey === undefined) throw new Error('the signing key has no private half');
    const token = await jwsSigner(signatureMaker()).compact({ sub: 'alice' }, { kid: loaded.kid, alg, key: loaded.privateKey }, 'JWT');
    const { payload, protectedHeader } = await compactVerify(token, verifyKey, { algorithms: [alg] });
    expect(protectedHeader).toMatchObject({ alg, kid: loaded.kid });
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual({ sub: 'alice' });
  });

  it(`is ${row.verifiers.kubeAuthenticator ? '' : 'not '}accepted by the kube-apiserver's JWT authenticator check`, () => {
    const problems = kubeAuthenticatorProblems({ issuerURI: 'https://issuer.example', discoveryEnabled: true, signingKey: { secretName: 'k', algorithm: alg } });
    expect(problems).toHaveLength(row.verifiers.kubeAuthenticator ? 0 : 1);
  });
});
