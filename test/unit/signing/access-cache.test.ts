// The review cache of the signing service: at most 10 s, never past the token's expiry, bounded,
// one API call for concurrent requests with the same token, failures not cached; and under a flood
// of made-up tokens (issue 20, point 3), no API call for what cannot be a token, negative answers
// in their own cache, reviews queued per source, expiry on a monotonic clock.
import { AccessChecker, cacheTtlMs, ReviewsBusyError, type AccessRequest, type Authentication, type Identity, type Reviewer } from '../../../src/signing/access.js';

const user: Identity = { username: 'system:serviceaccount:team-a:gateway', groups: ['system:serviceaccounts'] };
const signReq: AccessRequest = { namespace: 'team-a', name: 'login', subresource: 'sign', verb: 'create' };

/** A token of the shape a ServiceAccount token has (not verified here: the reviewer says whether it is good). */
function jwt(exp: number, sub = 'x'): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ iss: 'https://kubernetes.default.svc', sub, exp })}.c2ln`;
}

class CountingReviewer implements Reviewer {
  authns = 0;
  authzs = 0;
  fail = false;
  allowed = true;
  async authenticate(): Promise<Authentication> {
    this.authns++;
    await Promise.resolve();
    if (this.fail) throw new Error('API server unavailable');
    return { authenticated: true, user };
  }
  async authorize(): Promise<boolean> {
    this.authzs++;
    await Promise.resolve();
    if (this.fail) throw new Error('API server unavailable');
    return this.allowed;
  }
}

function setup(opts: { maxEntries?: number; maxNegativeEntries?: number } = {}) {
  // The wall clock (tokens' exp) and the monotonic clock (cache age) move together unless a test steps one.
  let now = 1_800_000_000_000;
  let mono = 1_000;
  const reviewer = new CountingReviewer();
  const lookups: string[] = [];
  const checker = new AccessChecker(reviewer, { ...opts, now: () => now, monotonicNow: () => mono, onLookup: (cache, hit) => lookups.push(`${cache}:${hit ? 'hit' : 'miss'}`) });
  return { reviewer, checker, lookups, advance: (ms: number) => { now += ms; mono += ms; }, stepWallClock: (ms: number) => { now += ms; }, now: () => now };
}

describe('cacheTtlMs', () => {
  it('is at most the maximum and never past the expiry', () => {
    expect(cacheTtlMs(1000, 10_000, 4000)).toBe(3000);
    expect(cacheTtlMs(1000, 10_000, 999_999)).toBe(10_000);
    expect(cacheTtlMs(5000, 10_000, 4000)).toBe(0);
  });
});

describe('AccessChecker', () => {
  it('answers repeated requests from the cache for 10 s, then asks again', async () => {
    const { reviewer, checker, advance, lookups } = setup();
    const token = jwt(1_800_003_600);
    for (let i = 0; i < 100; i++) {
      const authn = await checker.authenticate(token);
      expect(authn.authenticated).toBe(true);
      expect(await checker.authorize(token, user, signReq)).toBe(true);
    }
    expect([reviewer.authns, reviewer.authzs]).toEqual([1, 1]);
    expect(lookups.filter((l) => l.endsWith('hit'))).toHaveLength(198);
    advance(9_999);
    await checker.authenticate(token);
    expect(reviewer.authns).toBe(1);
    advance(2);
    await checker.authenticate(token);
    await checker.authorize(token, user, signReq);
    expect([reviewer.authns, reviewer.authzs]).toEqual([2, 2]);
  });

  it('never past the token\'s expiry', async () => {
    const { reviewer, checker, advance, now } = setup();
    const token = jwt(Math.floor(now() / 1000) + 3); // expires in 3 s
    await checker.authenticate(token);
    advance(2_000);
    await checker.authenticate(token);
    expect(reviewer.authns).toBe(1);
    advance(1_001);
    // Expired now: refused without asking again.
    expect(await checker.authenticate(token)).toEqual({ authenticated: false, problem: 'the bearer token has expired' });
    expect(reviewer.authns).toBe(1);
  });

  it('one API call for concurrent requests with the same token', async () => {
    const { reviewer, checker } = setup();
    const token = jwt(1_800_003_600);
    await Promise.all(Array.from({ length: 50 }, () => checker.authenticate(token)));
    expect(reviewer.authns).toBe(1);
  });

  it('authorisation is cached per AuthServer, subresource and verb', async () => {
    const { reviewer, checker } = setup();
    const token = jwt(1_800_003_600);
    await checker.authorize(token, user, signReq);
    await checker.authorize(token, user, { ...signReq, name: 'other' });
    await checker.authorize(token, user, { ...signReq, subresource: 'keyset' });
    await checker.authorize(token, user, signReq);
    expect(reviewer.authzs).toBe(3);
  });

  it('a denial is cached like an approval, and a failure is not cached', async () => {
    const { reviewer, checker } = setup();
    const token = jwt(1_800_003_600);
    reviewer.allowed = false;
    expect(await checker.authorize(token, user, signReq)).toBe(false);
    reviewer.allowed = true;
    expect(await checker.authorize(token, user, signReq)).toBe(false);
    reviewer.fail = true;
    const other = jwt(1_800_003_601);
    await expect(checker.authenticate(other)).rejects.toThrow(/unavailable/);
    reviewer.fail = false;
    await expect(checker.authenticate(other)).resolves.toMatchObject({ authenticated: true });
    expect(reviewer.authns).toBe(2);
  });

  it('is bounded', async () => {
    const { checker } = setup({ maxEntries: 100 });
    for (let i = 0; i < 1000; i++) await checker.authenticate(jwt(1_800_003_600, `u${i}`));
    expect(checker.size).toBe(100);
  });
});

describe('AccessChecker under a flood of new tokens', () => {
  it('asks the API server at most maxConcurrentReviews at once and refuses beyond the queue at once', async () => {
    let inFlight = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const slow: Reviewer = {
      authenticate: () => new Promise<Authentication>((resolve) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        release.push(() => { inFlight--; resolve({ authenticated: false }); });
      }),
      authorize: () => Promise.resolve(false),
    };
    const checker = new AccessChecker(slow, { maxConcurrentReviews: 4, maxQueuedReviews: 10 });
    const pending = Array.from({ length: 14 }, (_, i) => checker.authenticate(jwt(1_800_003_600, `made-up-${i}`)));
    await expect(checker.authenticate(jwt(1_800_003_600, 'one-too-many'))).rejects.toThrow(ReviewsBusyError);
    await new Promise((r) => setImmediate(r));
    expect(peak).toBe(4);
    while (release.length > 0 || inFlight > 0) {
      release.splice(0).forEach((f) => f());
      await new Promise((r) => setImmediate(r));
    }
    await expect(Promise.all(pending)).resolves.toHaveLength(14);
    expect(peak).toBe(4);
  });
});

describe('AccessChecker against made-up tokens (issue 20, point 3)', () => {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');

  it.each([
    ['no JWT at all', 'garbage', /not a JWT/],
    ['an unsigned JWT (alg none)', `${part({ alg: 'none' })}.${part({ iss: 'x', exp: 1_900_000_000 })}.c2ln`, /not signed/],
    ['an empty signature', `${part({ alg: 'RS256' })}.${part({ iss: 'x', exp: 1_900_000_000 })}.`, /no signature/],
    ['no issuer', `${part({ alg: 'RS256' })}.${part({ exp: 1_900_000_000 })}.c2ln`, /no issuer/],
    ['no expiry', `${part({ alg: 'RS256' })}.${part({ iss: 'x' })}.c2ln`, /no expiry/],
    ['an expired token', jwt(1_700_000_000), /expired/],
    ['a payload that is not JSON', `${part({ alg: 'RS256' })}.bm90IGpzb24.c2ln`, /payload/],
  ])('refuses %s without asking the API server', async (_what, token, problem) => {
    const { reviewer, checker } = setup();
    const answer = await checker.authenticate(token, '10.0.0.9');
    expect(answer).toEqual({ authenticated: false, problem: expect.stringMatching(problem) as string });
    expect(await checker.authorize(token, user, signReq, '10.0.0.9')).toBe(false);
    expect([reviewer.authns, reviewer.authzs]).toEqual([0, 0]);
  });

  it('a flood of made-up tokens does not evict a real caller\'s cached answer (negative answers have their own cache)', async () => {
    const { reviewer, checker } = setup({ maxEntries: 100, maxNegativeEntries: 50 });
    const real = jwt(1_800_003_600, 'real');
    reviewer.authenticate = async (token?: string): Promise<Authentication> => {
      reviewer.authns++;
      await Promise.resolve();
      return token === real ? { authenticated: true, user } : { authenticated: false };
    };
    expect((await checker.authenticate(real, 'pod-a')).authenticated).toBe(true);
    for (let i = 0; i < 5_000; i++) await checker.authenticate(jwt(1_800_003_600, `forged-${i}`), 'attacker');
    expect(reviewer.authns).toBe(5_001);
    expect(checker.negativeSize).toBe(50);
    expect((await checker.authenticate(real, 'pod-a')).authenticated).toBe(true);
    expect(reviewer.authns).toBe(5_001); // answered from the cache
  });

  it('a wall clock stepped back does not keep an answer past 10 s (monotonic cache clock)', async () => {
    const { reviewer, checker, advance, stepWallClock } = setup();
    const token = jwt(1_800_003_600);
    await checker.authenticate(token);
    stepWallClock(-3_600_000);
    advance(10_001);
    await checker.authenticate(token);
    expect(reviewer.authns).toBe(2);
  });

  it('reviews queue per source: a flooding source waits behind itself, another source\'s review is next', async () => {
    const started: string[] = [];
    const release: Array<() => void> = [];
    const slow: Reviewer = {
      authenticate: (token) => new Promise<Authentication>((resolve) => {
        started.push((JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string }).sub);
        release.push(() => resolve({ authenticated: false }));
      }),
      authorize: () => Promise.resolve(false),
    };
    const checker = new AccessChecker(slow, { maxConcurrentReviews: 2, maxQueuedReviews: 1_000, maxQueuedReviewsPerSource: 20 });
    const flood = Array.from({ length: 200 }, (_, i) => checker.authenticate(jwt(1_800_003_600, `forged-${i}`), '10.0.0.66').catch((e: unknown) => e));
    const real = checker.authenticate(jwt(1_800_003_600, 'real'), '10.0.0.7');
    const refused = (await Promise.all(flood.slice(22))).filter((r) => r instanceof ReviewsBusyError);
    expect(refused).toHaveLength(178); // 2 running, 20 waiting for this source, the rest refused at once
    for (let i = 0; i < 2; i++) {
      release.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
    // The flooding source queued first and takes one turn; the next free slot is the other source's.
    expect(started.slice(2)).toEqual(['forged-2', 'real']);
    while (release.length > 0) {
      release.splice(0).forEach((f) => f());
      await new Promise((r) => setImmediate(r));
    }
    await expect(real).resolves.toEqual({ authenticated: false });
  });
});
