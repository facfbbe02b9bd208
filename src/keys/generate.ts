// New keys for keyGeneration.mode IfMissing. OpenSSL generates them on the libuv thread pool, so a
// 4096-bit RSA key (seconds) never blocks the event loop that serves the JWKS.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { RSA_KEY_SIZES } from '../api/types.js';
import type { Algorithm, RsaKeySize } from '../api/types.js';
import type { GeneratedKeyMaterial } from './types.js';

// The overloads only resolve to string PEMs with the encodings written inline in each call.
const generate = promisify(generateKeyPair);

const EC_CURVE: Partial<Record<Algorithm, string>> = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };

/** PKCS#8 key.pem and SPKI pub.pem for the algorithm; rsaKeySize applies to RS* and PS*. Rejects on bad input. */
export async function generateKeyMaterial(algorithm: Algorithm, rsaKeySize: RsaKeySize): Promise<GeneratedKeyMaterial> {
  let pair: { publicKey: string; privateKey: string };
  const curve = EC_CURVE[algorithm];
  if (/^(RS|PS)(256|384|512)$/.test(algorithm)) {
    if (!(RSA_KEY_SIZES as readonly number[]).includes(rsaKeySize)) throw new Error(`rsaKeySize must be one of ${RSA_KEY_SIZES.join(', ')}`);
    // A plain rsaEncryption key, also for PS*: an RSA-PSS-restricted key is not accepted by loadKey.
    pair = await generate('rsa', {
      modulusLength: rsaKeySize,
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  } else if (curve !== undefined) {
    pair = await generate('ec', {
      namedCurve: curve,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  } else if (algorithm === 'EdDSA') {
    pair = await generate('ed25519', {
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
  } else {
    throw new Error('unsupported algorithm');
  }
  return { 'key.pem': pair.privateKey, 'pub.pem': pair.publicKey };
}
