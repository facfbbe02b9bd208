// New keys for keyGeneration.mode IfMissing. OpenSSL generates them on the libuv thread pool, so a
// 4096-bit RSA key (seconds) never blocks the event loop that serves the JWKS.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { ALGORITHM_TABLE, RSA_KEY_SIZES } from '../api/algorithms.js';
import type { Algorithm, RsaKeySize } from '../api/algorithms.js';
import type { GeneratedKeyMaterial } from './types.js';

// The overloads only resolve to string PEMs with the encodings written inline in each call.
const generate = promisify(generateKeyPair);

/** PKCS#8 key.pem and SPKI pub.pem for the algorithm (its row in the algorithm table); rsaKeySize applies to RSA. Rejects on bad input. */
export async function generateKeyMaterial(algorithm: Algorithm, rsaKeySize: RsaKeySize): Promise<GeneratedKeyMaterial> {
  let pair: { publicKey: string; privateKey: string };
  const row = ALGORITHM_TABLE[algorithm];
  switch (row.family) {
    case 'RSA':
      if (!(RSA_KEY_SIZES as readonly number[]).includes(rsaKeySize)) throw new Error(`rsaKeySize must be one of ${RSA_KEY_SIZES.join(', ')}`);
      // A plain rsaEncryption key, also for PS*: an RSA-PSS-restricted key is not accepted by loadKey.
      pair = await generate('rsa', {
        modulusLength: rsaKeySize,
        publicExponent: 0x10001,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      break;
    case 'EC':
      pair = await generate('ec', {
        namedCurve: row.namedCurve,
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      break;
    case 'OKP':
      // The OKP types take no options but the encodings; the cast picks one overload for them all.
      pair = await generate(row.nodeType as 'ed25519', {
        publicKeyEncoding: { type: 'spki', format: 'pem' },
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      });
      break;
    case 'oct':
      throw new Error('unsupported algorithm');
  }
  return { 'key.pem': pair.privateKey, 'pub.pem': pair.publicKey };
}
