// What a bearer token must look like before Signet asks the API server about it (issue 20, point 3):
// a flood of made-up tokens would otherwise cost one TokenReview each. Callers send projected
// ServiceAccount tokens, which are JWTs: three base64url parts, a header whose alg is not "none",
// and a payload that names an issuer and expires in the future. Nothing here is verified; the
// TokenReview does that. A token that fails this shape would fail the review too.

const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Longer parts are no ServiceAccount token (those are about a kilobyte in all). */
const MAX_PART_CHARS = 8192;

function jsonObject(part: string): Record<string, unknown> | undefined {
  if (part.length > MAX_PART_CHARS || !BASE64URL.test(part)) return undefined;
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export type TokenShape = { ok: true; expiresAtMs: number } | { ok: false; problem: string };

const refused = (problem: string): TokenShape => ({ ok: false, problem });

/** Whether `token` may be a valid ServiceAccount token at `nowMs` (and its expiry), or why it cannot be. */
export function inspectToken(token: string, nowMs: number): TokenShape {
  const parts = token.split('.');
  if (parts.length !== 3) return refused('the bearer token is not a JWT (a ServiceAccount token has three dot-separated parts)');
  const [h = '', p = '', signature = ''] = parts;
  const header = jsonObject(h);
  if (!header) return refused('the bearer token\'s header is not base64url-encoded JSON');
  if (typeof header.alg !== 'string' || header.alg === '' || header.alg.toLowerCase() === 'none') return refused('the bearer token is not signed (its alg is missing or "none")');
  if (signature === '' || signature.length > MAX_PART_CHARS || !BASE64URL.test(signature)) return refused('the bearer token has no signature');
  const payload = jsonObject(p);
  if (!payload) return refused('the bearer token\'s payload is not base64url-encoded JSON');
  if (typeof payload.iss !== 'string' || payload.iss === '') return refused('the bearer token names no issuer (iss)');
  if (typeof payload.exp !== 'number' || !Number.isFinite(payload.exp)) return refused('the bearer token has no expiry (exp)');
  if (payload.exp * 1000 <= nowMs) return refused('the bearer token has expired');
  return { ok: true, expiresAtMs: payload.exp * 1000 };
}
