// One shape for every refusal, so that each message names the Secret and the data key the same way
// and ends with how to fix it. Messages are built from fixed text, data key names and sanitised
// tokens only: nothing read from the key material ever reaches them.
import { curvesOf, MAX_RSA_BITS, MIN_RSA_BITS } from '../api/algorithms.js';
import { fail, type Failed } from '../api/result.js';
import type { KeyProblemReason } from './types.js';

export type Refusal = Failed<KeyProblemReason>;

/** `where` is the data key (or keys) at fault, e.g. `key.pem` or `annotation signet.dev/algorithm on key.pem`. */
export function refuse(reason: KeyProblemReason, secretName: string, where: string, what: string, fix: string): Refusal {
  return fail(reason, `Secret "${secretName}" ${where}: ${what}. ${fix}`);
}

/** `data key "key.pem"`: the usual `where`. */
export function dataKeyRef(dataKey: string): string {
  return `data key "${dataKey}"`;
}

/**
 * A user-written token (an algorithm name, a kty, a data key name) quoted back only when it is short
 * and plain, so that a pasted key or a hostile value is never echoed into a condition.
 */
export function quoteToken(value: unknown): string {
  return typeof value === 'string' && /^[A-Za-z0-9._+/-]{1,24}$/.test(value) ? `"${value}"` : '(a value Signet does not echo)';
}

/**
 * Node's error code (ERR_OSSL_ASN1_WRONG_TAG...) as words ("asn1 wrong tag"). The codes are fixed
 * identifiers, while Node's messages can quote the input, so only the code is used; as words it cannot
 * be mistaken for (or trip a scanner looking for) a long base64 run.
 */
export function errorCode(err: unknown): string {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  if (typeof code !== 'string' || !/^[A-Z0-9_]{1,64}$/.test(code)) return 'no error code';
  return code.replace(/^ERR_(OSSL_)?/, '').toLowerCase().replace(/_/g, ' ');
}

/** What Signet publishes, for messages that refuse a key type. */
export const SUPPORTED_KEYS = `Signet supports RSA (${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits), EC ${curvesOf('EC').join('/')} and ${curvesOf('OKP').join('/')} keys`;

/** "an RSA key", "a P-256 key": the article as the name is spoken. */
export function withArticle(name: string): string {
  return `${/^(RSA|EC|OKP|Ed|[AEIOU])/.test(name) ? 'an' : 'a'} ${name}`;
}
