// How many keys Signet generates at once. OpenSSL runs in libuv's thread pool: one RSA-4096
// generation at a time leaves CPU to the event loop (JWKS latency) and pool threads to
// everything else (DNS, file reads). test/bench/jwks-under-keygen.ts measures the difference.
import pLimit from 'p-limit';

export const GENERATION_CONCURRENCY = 1;

export function limitConcurrency<A extends unknown[], R>(fn: (...args: A) => Promise<R>, concurrency: number): (...args: A) => Promise<R> {
  const limit = pLimit(concurrency);
  return (...args) => limit(() => fn(...args));
}
