// The status seal (src/rotation/seal.ts) with a fixed key, for unit tests of the decision.
import { hmacSealer } from '../../src/rotation/seal.js';

export const testSealer = hmacSealer(Buffer.alloc(32, 7));
