// The claim rules of docs/architecture.md#the-signing-service, and the sign-fields request shape.
import { applyClaimRules, parseSignFields, type ClaimsContext } from '../../../src/signing/claims.js';
import { formatDuration, parseDuration } from '../../../src/api/duration.js';

const NOW = 1_800_000_000;
const ctx: ClaimsContext = { issuer: 'https://login.example.com/team-a', now: NOW, defaultLifetimeMs: 600_000, maxLifetimeMs: 3_600_000, newJti: () => 'fresh-jti' };

describe('applyClaimRules', () => {
  it('sets iss, iat, a default exp and a jti, and keeps the other claims', () => {
    expect(applyClaimRules({ sub: 'alice', scope: 'read', nested: { a: [1] } }, ctx)).toEqual({
      ok: true, value: {
        exp: NOW + 600,
        claims: { sub: 'alice', scope: 'read', nested: { a: [1] }, iss: ctx.issuer, iat: NOW, exp: NOW + 600, jti: 'fresh-jti' },
      },
    });
  });

  it('accepts the issuer itself, an exp within the maximum, and a caller jti', () => {
    const r = applyClaimRules({ iss: ctx.issuer, exp: NOW + 3600, jti: 'mine' }, ctx);
    expect(r).toMatchObject({ ok: true, value: { exp: NOW + 3600, claims: { iss: ctx.issuer, exp: NOW + 3600, jti: 'mine' } } });
  });

  it('signs a "__proto__" member as a claim like any other, and leaves the input as it was', () => {
    const input = JSON.parse('{"__proto__": {"admin": true}, "sub": "alice"}') as Record<string, unknown>;
    const r = applyClaimRules(input, ctx);
    if (!r.ok) throw new Error(r.problem.message);
    expect(JSON.parse(JSON.stringify(r.value.claims))).toMatchObject({ sub: 'alice', iss: ctx.issuer });
    expect(JSON.stringify(r.value.claims)).toContain('"__proto__":{"admin":true}');
    expect(Object.getPrototypeOf(r.value.claims)).toBe(Object.prototype);
    expect(Object.keys(input)).toEqual(['__proto__', 'sub']);
  });

  it('iat is always now, whatever the caller says', () => {
    expect(applyClaimRules({ iat: 1 }, ctx)).toMatchObject({ ok: true, value: { claims: { iat: NOW } } });
  });

  it.each([
    ['an array', [1, 2], 'claims_not_object'],
    ['a string', 'sub', 'claims_not_object'],
    ['null', null, 'claims_not_object'],
    ['a number', 42, 'claims_not_object'],
    ['another issuer', { iss: 'https://evil.example.com' }, 'iss_mismatch'],
    ['the issuer with a trailing slash', { iss: `${ctx.issuer}/` }, 'iss_mismatch'],
    ['an exp one second past the maximum', { exp: NOW + 3601 }, 'exp_beyond_max_lifetime'],
    ['an exp of now', { exp: NOW }, 'exp_in_past'],
    ['an exp in the past', { exp: NOW - 10 }, 'exp_in_past'],
    ['an exp as a string', { exp: String(NOW + 60) }, 'exp_not_numeric'],
    ['an nbf as a string', { nbf: 'soon' }, 'nbf_not_numeric'],
    ['a numeric jti', { jti: 7 }, 'jti_not_string'],
  ])('refuses %s, naming the rule', (_what, claims, rule) => {
    const r = applyClaimRules(claims, ctx);
    expect(r).toMatchObject({ ok: false, problem: { reason: rule } });
    expect(r.ok ? '' : r.problem.message).toMatch(/\S/);
  });

  it('names the maximum in the message as a duration', () => {
    const r = applyClaimRules({ exp: NOW + 7200 }, ctx, 'document.access_token');
    expect(r.ok ? '' : r.problem.message).toBe('document.access_token: "exp" 1800007200 is 7200 s after iat; this AuthServer\'s signing.maxTokenLifetime is 1h0m0s');
  });
});

describe('parseSignFields', () => {
  it('reads KrakenD\'s shape, full defaulting to false, duplicates once', () => {
    expect(parseSignFields({ document: { access_token: {} }, keysToSign: ['access_token', 'access_token'] })).toEqual({
      ok: true, value: { document: { access_token: {} }, keysToSign: ['access_token'], full: false },
    });
  });
  it.each([
    [[], 'body_not_object'],
    [{ keysToSign: ['a'] }, 'document_not_object'],
    [{ document: {}, keysToSign: [] }, 'keys_to_sign_invalid'],
    [{ document: {}, keysToSign: [1] }, 'keys_to_sign_invalid'],
    [{ document: {}, keysToSign: ['a'], full: 'yes' }, 'full_not_boolean'],
  ])('refuses %j', (body, rule) => {
    expect(parseSignFields(body)).toMatchObject({ ok: false, problem: { reason: rule } });
  });
});

describe('Go durations', () => {
  it.each([
    ['90s', 90_000], ['30m', 1_800_000], ['720h', 2_592_000_000], ['1h30m', 5_400_000], ['1.5h', 5_400_000],
    ['500ms', 500], ['0', 0], ['-1m', -60_000], ['1h0m0s', 3_600_000], ['.5s', 500],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '1', '1d', '1 h', '1hour', 'h', '1h 30m', '1.h.', 'PT1H', '+', '1e3s'])('%j is refused', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats as Go does', () => {
    expect([3_600_000, 600_000, 90_000, 5_400_500, 0].map(formatDuration)).toEqual(['1h0m0s', '10m0s', '1m30s', '1h30m0.5s', '0s']);
  });
});
