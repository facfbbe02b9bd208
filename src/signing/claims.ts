// The claim rules of the signing service (docs/architecture.md#the-signing-service), as pure functions of the caller's claims, the
// AuthServer's settings and the time: `iss` is the issuer (set when absent, refused when different),
// `iat` is now, `exp` defaults to iat + defaultTokenLifetime and may neither pass iat +
// maxTokenLifetime nor lie in the past, `jti` is a random 128-bit value when absent.
import { formatDuration } from '../api/duration.js';
import { fail, ok, type Result } from '../api/result.js';

export interface ClaimsContext {
  issuer: string;
  /** Seconds since the epoch. */
  now: number;
  defaultLifetimeMs: number;
  maxLifetimeMs: number;
  /** A fresh random jti (128 bits), used when the claims have none. */
  newJti: () => string;
}

/** The rule a request broke; `claim` is the member at fault (a dotted path inside sign-fields). */
export type ClaimsRule =
  | 'claims_not_object'
  | 'iss_mismatch'
  | 'exp_not_numeric'
  | 'exp_in_past'
  | 'exp_beyond_max_lifetime'
  | 'nbf_not_numeric'
  | 'jti_not_string';

export interface SignableClaims {
  claims: Record<string, unknown>;
  exp: number;
}

/** The claims to sign, or the rule broken (its reason, answered as `rule`). */
export type ClaimsResult = Result<SignableClaims, ClaimsRule>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The claims to sign, or the rule they break. `where` names them in messages ("claims", "document.access_token"). */
export function applyClaimRules(input: unknown, ctx: ClaimsContext, where = 'the claims'): ClaimsResult {
  if (!isObject(input)) return fail('claims_not_object', `${where} must be a JSON object of claims`);
  const iss = input.iss;
  if (iss !== undefined && iss !== ctx.issuer) {
    return fail('iss_mismatch', `${where}: "iss" must be this AuthServer's issuer "${ctx.issuer}" or absent`);
  }
  const iat = ctx.now;
  const max = iat + Math.floor(ctx.maxLifetimeMs / 1000);
  let exp: number;
  if (input.exp === undefined) {
    exp = iat + Math.floor(ctx.defaultLifetimeMs / 1000);
  } else {
    if (typeof input.exp !== 'number' || !Number.isFinite(input.exp)) {
      return fail('exp_not_numeric', `${where}: "exp" must be a NumericDate (seconds since 1970-01-01 UTC)`);
    }
    exp = input.exp;
    if (exp <= iat) return fail('exp_in_past', `${where}: "exp" ${exp} is not in the future (now is ${iat})`);
    if (exp > max) {
      return fail('exp_beyond_max_lifetime', `${where}: "exp" ${exp} is ${exp - iat} s after iat; this AuthServer's signing.maxTokenLifetime is ${formatDuration(ctx.maxLifetimeMs)}`);
    }
  }
  if (input.nbf !== undefined && (typeof input.nbf !== 'number' || !Number.isFinite(input.nbf))) {
    return fail('nbf_not_numeric', `${where}: "nbf" must be a NumericDate (seconds since 1970-01-01 UTC)`);
  }
  if (input.jti !== undefined && (typeof input.jti !== 'string' || input.jti === '')) {
    return fail('jti_not_string', `${where}: "jti" must be a non-empty string or absent`);
  }
  // Copied with fromEntries: members added to a spread copy cost V8 about a microsecond each, and
  // Object.assign would take an own "__proto__" member for the prototype instead of a claim.
  const claims: Record<string, unknown> = Object.fromEntries(Object.entries(input));
  claims.iss = ctx.issuer;
  claims.iat = iat;
  claims.exp = exp;
  if (input.jti === undefined) claims.jti = ctx.newJti();
  return ok({ claims, exp });
}

/**
 * Members one sign-fields request may name. KrakenD signs two (access and refresh token); without a
 * bound, a 64 KiB body naming thousands of empty members cost thousands of RSA signatures and a
 * multi-megabyte answer each (issue 20, point 1).
 */
export const MAX_KEYS_TO_SIGN = 16;
/**
 * Levels of objects and arrays a body may nest. JSON.parse takes far deeper input than
 * JSON.stringify, which overflows the stack near 10,000 levels: such a body was a 500 and an error
 * line per request.
 */
export const MAX_JSON_DEPTH = 400;

/** Whether `value` nests objects and arrays more than `max` levels deep; iterative, and stops at the first level too many. */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
    }
  }
  return false;
}

export interface SignFieldsRequest {
  document: Record<string, unknown>;
  keysToSign: string[];
  full: boolean;
}

export type SignFieldsRule = 'body_not_object' | 'document_not_object' | 'keys_to_sign_invalid' | 'too_many_keys_to_sign' | 'full_not_boolean';

export type SignFieldsParse = Result<SignFieldsRequest, SignFieldsRule>;

/** KrakenD's signer shape: `{"document": {...}, "keysToSign": ["access_token"], "full": false}`. */
export function parseSignFields(body: unknown): SignFieldsParse {
  if (!isObject(body)) return fail('body_not_object', 'the body must be a JSON object {"document": {...}, "keysToSign": [...], "full": false}');
  if (!isObject(body.document)) return fail('document_not_object', '"document" must be a JSON object');
  const keys = body.keysToSign;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k): k is string => typeof k === 'string' && k !== '')) {
    return fail('keys_to_sign_invalid', '"keysToSign" must be a non-empty array of member names of "document"');
  }
  const members = new Set(keys);
  if (members.size > MAX_KEYS_TO_SIGN) {
    return fail('too_many_keys_to_sign', `"keysToSign" names ${members.size} members; at most ${MAX_KEYS_TO_SIGN} may be signed in one request`);
  }
  if (body.full !== undefined && typeof body.full !== 'boolean') return fail('full_not_boolean', '"full" must be true or false');
  return ok({ document: body.document, keysToSign: [...members], full: body.full === true });
}
