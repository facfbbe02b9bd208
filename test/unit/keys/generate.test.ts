// generateKeyMaterial: every algorithm's key loads back with that algorithm and size, in the formats
// docs/architecture.md#key-material-in-secrets names, and generation runs off the event loop.
import { ASYMMETRIC_ALGORITHMS, RSA_KEY_SIZES } from '../../../src/api/types.js';
import type { AsymmetricAlgorithm, RsaKeySize } from '../../../src/api/types.js';
import { generateKeyMaterial } from '../../../src/keys/generate.js';
import { loadKey } from '../../../src/keys/load.js';
import { algorithmAnnotation, keyInput } from '../../support/keys.js';

const SIZE: Record<AsymmetricAlgorithm, number> = {
  RS256: 2048, RS384: 2048, RS512: 2048, PS256: 2048, PS384: 2048, PS512: 2048, ES256: 256, ES384: 384, ES512: 521, EdDSA: 256,
};

describe('generateKeyMaterial', () => {
  it.each(ASYMMETRIC_ALGORITHMS)('%s: PKCS#8 key.pem and SPKI pub.pem that load back with the algorithm', async (alg) => {
    const material = await generateKeyMaterial(alg, 2048);
    expect(material['key.pem']).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+\n-----END PRIVATE KEY-----\n$/);
    expect(material['pub.pem']).toMatch(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/);
    // As Signet stores it: both data keys and the algorithm annotation.
    const result = loadKey(keyInput({ 'key.pem': material['key.pem'], 'pub.pem': material['pub.pem'] }, { annotations: algorithmAnnotation(alg) }));
    if (!result.ok) throw new Error(result.problem.message);
    expect(result.value.algorithm).toBe(alg);
    expect(result.value.keySize).toBe(SIZE[alg]);
    expect(result.value.privateKey).toBeDefined();
    // And without the annotation only the RSA algorithms other than RS256 need it.
    const bare = loadKey(keyInput({ 'key.pem': material['key.pem'] }));
    expect(bare.ok && bare.value.algorithm).toBe(/^(RS384|RS512|PS)/.test(alg) ? 'RS256' : alg);
  });

  it('makes a new key every time', async () => {
    const [a, b] = await Promise.all([generateKeyMaterial('ES256', 2048), generateKeyMaterial('ES256', 2048)]);
    expect(a['key.pem']).not.toBe(b['key.pem']);
  });

  it.each([3072] as const)('honours rsaKeySize %i', async (bits) => {
    const material = await generateKeyMaterial('PS256', bits);
    const result = loadKey(keyInput({ 'key.pem': material['key.pem'] }, { annotations: algorithmAnnotation('PS256') }));
    expect(result.ok && result.value.keySize).toBe(bits);
  });

  it('rejects an RSA size outside the API and an unknown algorithm', async () => {
    await expect(generateKeyMaterial('RS256', 1024 as RsaKeySize)).rejects.toThrow(RSA_KEY_SIZES.join(', '));
    await expect(generateKeyMaterial('HS256', 2048)).rejects.toThrow(/unsupported algorithm/);
  });

  it('keeps the event loop turning while a 4096-bit RSA key is generated', async () => {
    const started = performance.now();
    let last = started;
    let longestGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      longestGap = Math.max(longestGap, now - last);
      last = now;
      ticks++;
    }, 10);
    try {
      const material = await generateKeyMaterial('RS256', 4096);
      const elapsed = performance.now() - started;
      const result = loadKey(keyInput({ 'key.pem': material['key.pem'] }));
      expect(result.ok && result.value.keySize).toBe(4096);
      // A synchronous generator would give one tick after a gap as long as the whole generation.
      expect(longestGap).toBeLessThan(Math.max(250, elapsed / 4));
      expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 100));
    } finally {
      clearInterval(timer);
    }
  }, 60_000);
});
