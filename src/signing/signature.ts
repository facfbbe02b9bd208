// The signature over a JWS signing input (RFC 7518 §3), made with node:crypto on the KeyObject the
// store holds, and where it is made. EC, Ed25519 and HMAC signatures take tens of microseconds and
// are made at once. An RSA signature takes a third of a millisecond (RSA-4096: several): with more
// than one CPU it goes to libuv's thread pool, which signs on the other CPUs while the loop keeps
// answering; with one CPU the pool can only take turns with the loop, and each hop costs, so it is
// made on the loop in short batches (turn-batches.ts), which measured 2–4 % more signatures per
// second than the pool there (test/bench/signing.ts).
import { createHmac, sign, type KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { ALGORITHM_TABLE, type Algorithm } from '../api/algorithms.js';
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

// The digest and node:crypto's key options of each algorithm are its row in the algorithm table.
export function signatureMaker(placement: RsaPlacement = rsaPlacement(availableParallelism())): MakeSignature {
  const loop = new TurnBatches(TURN_BUDGET_MS);
  return (alg, key, input) => {
    const row = ALGORITHM_TABLE[alg];
    const data = Buffer.from(input, 'latin1');
    if (row.family === 'oct') return Promise.resolve(createHmac(row.digest, key).update(data).digest());
    const keyInput = 'sign' in row ? { key, ...row.sign } : key;
    if (key.asymmetricKeyType !== 'rsa') return Promise.resolve(sign(row.digest, data, keyInput));
    if (placement === 'event-loop') return loop.run(() => sign(row.digest, data, keyInput));
    return new Promise((resolve, reject) => {
      sign(row.digest, data, keyInput, (err, sig) => (err ? reject(err) : resolve(sig)));
    });
  };
}
