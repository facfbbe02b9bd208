// The signature over a JWS signing input (RFC 7518 §3), made with node:crypto on the KeyObject the
// store holds, and where it is made. EC, Ed25519 and HMAC signatures take tens of microseconds and
// are made at once. An RSA signature takes a third of a millisecond (RSA-4096: several): with more
// than one CPU it goes to libuv's thread pool, which signs on the other CPUs while the loop keeps
// answering; with one CPU the pool can only take turns with the loop, and each hop costs, so it is
// made on the loop in short batches (turn-batches.ts), which measured 2–4 % more signatures per
// second than the pool there (test/bench/signing.ts).
import { createHmac, constants, sign, type KeyObject, type SignKeyObjectInput, type SignPrivateKeyInput } from 'node:crypto';
import { availableParallelism } from 'node:os';
import type { Algorithm } from '../api/types.js';
import { TurnBatches } from './turn-batches.js';

/** Signs `input` (ASCII: base64url parts and a dot) with `key` for `alg`. */
export type MakeSignature = (alg: Algorithm, key: KeyObject, input: string) => Promise<Buffer>;

/** Where RSA signatures are made. */
export type RsaPlacement = 'thread-pool' | 'event-loop';

/** The thread pool only pays when there is another CPU for it to run on. */
export function rsaPlacement(cpus: number): RsaPlacement {
  return cpus > 1 ? 'thread-pool' : 'event-loop';
}

/** The longest the loop signs in one turn before it answers I/O again. */
const TURN_BUDGET_MS = 2;

/** How each algorithm signs: the digest and the key options of node:crypto. */
interface Method {
  digest: string | null;
  hmac?: boolean;
  options?: Omit<SignKeyObjectInput & SignPrivateKeyInput, 'key'>;
}

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
const P1363 = { dsaEncoding: 'ieee-p1363' as const };
const METHODS: Record<Algorithm, Method> = {
  RS256: { digest: 'sha256' }, RS384: { digest: 'sha384' }, RS512: { digest: 'sha512' },
  PS256: { digest: 'sha256', options: PSS }, PS384: { digest: 'sha384', options: PSS }, PS512: { digest: 'sha512', options: PSS },
  ES256: { digest: 'sha256', options: P1363 }, ES384: { digest: 'sha384', options: P1363 }, ES512: { digest: 'sha512', options: P1363 },
  EdDSA: { digest: null },
  HS256: { digest: 'sha256', hmac: true }, HS384: { digest: 'sha384', hmac: true }, HS512: { digest: 'sha512', hmac: true },
};

export function signatureMaker(placement: RsaPlacement = rsaPlacement(availableParallelism())): MakeSignature {
  const loop = new TurnBatches(TURN_BUDGET_MS);
  return (alg, key, input) => {
    const method = METHODS[alg];
    const data = Buffer.from(input, 'latin1');
    if (method.hmac) return Promise.resolve(createHmac(method.digest ?? '', key).update(data).digest());
    const keyInput = method.options ? { key, ...method.options } : key;
    if (key.asymmetricKeyType !== 'rsa') return Promise.resolve(sign(method.digest, data, keyInput));
    if (placement === 'event-loop') return loop.run(() => sign(method.digest, data, keyInput));
    return new Promise((resolve, reject) => {
      sign(method.digest, data, keyInput, (err, sig) => (err ? reject(err) : resolve(sig)));
    });
  };
}
