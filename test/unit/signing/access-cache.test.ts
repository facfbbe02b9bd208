// The review cache of the signing service: at most 10 s, never past the token's expiry, bounded,
// one API call for concurrent requests with the same token, failures not cached.
import { AccessChecker, cacheTtlMs, ReviewsBusyError, tokenExpiryMs, type AccessRequest, type Authentication, type Identity, type Reviewer } from '../../../src/signing/access.js';

const user: Identity = { username: 'system:serviceaccount:team-a:gateway', groups: ['system:serviceaccounts'] };
const signReq: AccessRequest = { namespace: 'team-a', name: 'login', subresource: 'sign', verb: 'create' };

function jwt(exp: number): string {
  const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${part({ alg: 'RS256' })}.${part({ sub: 'x', exp })}.c2ln`;
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

function setup(opts: { maxEntries?: number } = {}) {
  let now = 1_800_000_000_000;
  const reviewer = new CountingReviewer();
  const lookups: string[] = [];
  const checker = new AccessChecker(reviewer, { ...opts, now: () => now, onLookup: (cache, hit) => lookups.push(`${cache}:${hit ? 'hit' : 'miss'}`) });
  return { reviewer, checker, lookups, advance: (ms: number) => { now += ms; }, now: () => now };
}

describe('tokenExpiryMs and cacheTtlMs', () => {
  it('reads exp from a JWT, nothing from other tokens', () => {
    expect(tokenExpiryMs(jwt(1_800_000_100))).toBe(1_800_000_100_000);
    expect(tokenExpiryMs('static-token')).toBeUndefined();
    expect(tokenExpiryMs('a.!!!.c')).toBeUndefined();
  });
  it('is at most the maximum and never past the expiry', () => {
    expect(cacheTtlMs(1000, 10_000, undefined)).toBe(10_000);
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
    await checker.authenticate(token);
    expect(reviewer.authns).toBe(2);
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
    await checker.authorize(token, user, { ...signReq, subresource: 'keyset', verb: 'get' });
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
    for (let i = 0; i < 1000; i++) await checker.authenticate(`token-${i}`);
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
    const pending = Array.from({ length: 14 }, (_, i) => checker.authenticate(`made-up-${i}`));
    await expect(checker.authenticate('one-too-many')).rejects.toThrow(ReviewsBusyError);
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
