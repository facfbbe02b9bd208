// Who is asking and whether they may (docs/architecture.md#the-signing-service): the bearer token is checked with a TokenReview and
// the request authorised with a SubjectAccessReview against the AuthServer, so plain RBAC says who
// may sign with which issuer. Answers are cached for at most 10 s and never past the token's expiry,
// and concurrent requests with the same token share one API call, so steady traffic makes no API
// call per request.
//
// Against a flood of made-up tokens (issue 20, point 3): a token that cannot be a ServiceAccount
// token is refused without an API call (token-shape.ts); negative answers live in their own small
// cache, so they never evict a real caller's positive answer; and the reviews that are sent queue
// per source (fair-queue.ts), so a flooding source waits behind itself, not in front of others.
// Entries expire on a monotonic clock: a wall-clock step back does not extend the 10 s.
import { hash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { LRUCache } from 'lru-cache';
import { systemClock, type Clock } from '../api/time.js';
import { FairQueue, QueueFullError } from './fair-queue.js';
import { inspectToken } from './token-shape.js';
import { SignetError } from '../api/errors.js';

/** The longest time an answer is reused. */
export const MAX_CACHE_MS = 10_000;
export const DEFAULT_CACHE_ENTRIES = 10_000;
/** Negative answers (bad tokens, denials) kept: their own cache, so that a flood churns only this one. */
export const DEFAULT_NEGATIVE_CACHE_ENTRIES = 1_000;
/**
 * Reviews sent to the API server at once, and waiting beyond those (in all, and per source): a
 * flood of new tokens costs the API server this much at most; beyond the queue, requests are
 * refused at once.
 */
export const DEFAULT_MAX_CONCURRENT_REVIEWS = 32;
export const DEFAULT_MAX_QUEUED_REVIEWS = 1_000;
export const DEFAULT_MAX_QUEUED_REVIEWS_PER_SOURCE = 100;

/** The API server is not asked: too many reviews are waiting already. */
export class ReviewsBusyError extends SignetError {
  override readonly code = 'ERR_SIGNET_REVIEWS_BUSY';
}

export interface Identity {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** `problem` says why a token was refused, when that is known without asking the API server. */
export type Authentication = { authenticated: true; user: Identity } | { authenticated: false; problem?: string };

/** What a SubjectAccessReview asks about: `create` on authservers/<subresource> named <name> in <namespace>. */
export interface AccessRequest {
  namespace: string;
  name: string;
  subresource: 'sign' | 'keyset';
  verb: 'create';
}

/** The two API calls, injected (src/signing/kube-review.ts makes them against the API server). */
export interface Reviewer {
  authenticate(token: string): Promise<Authentication>;
  authorize(user: Identity, request: AccessRequest): Promise<boolean>;
}

export type CacheKind = 'authentication' | 'authorization';

export interface AccessOptions {
  maxEntries?: number;
  maxNegativeEntries?: number;
  maxAgeMs?: number;
  /** Wall clock, for tokens' `exp`. */
  now?: Clock;
  /** Monotonic clock (ms), for how long an answer has been cached. */
  monotonicNow?: () => number;
  /** Called for every lookup, for the cache-hit metric. */
  onLookup?: (cache: CacheKind, hit: boolean) => void;
  maxConcurrentReviews?: number;
  maxQueuedReviews?: number;
  maxQueuedReviewsPerSource?: number;
}

/** How long an answer about this token may be reused: at most maxAgeMs, never past its expiry; 0 for not at all. */
export function cacheTtlMs(now: number, maxAgeMs: number, expiresAtMs: number): number {
  return Math.max(0, Math.min(maxAgeMs, Math.floor(expiresAtMs - now)));
}

/** What the caches are keyed by: no bearer token is kept in memory past its request. */
function tokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

type Answer = Authentication | boolean;

const isPositive = (answer: Answer): boolean => (typeof answer === 'boolean' ? answer : answer.authenticated);

export class AccessChecker {
  private readonly positive: LRUCache<string, Answer>;
  private readonly negative: LRUCache<string, Answer>;
  /** Reviews on their way, shared by concurrent requests with the same key; bounded by the queue. */
  private readonly inFlight = new Map<string, Promise<Answer>>();
  private readonly maxAgeMs: number;
  private readonly now: Clock;
  private readonly queue: FairQueue;

  constructor(private readonly reviewer: Reviewer, private readonly opts: AccessOptions = {}) {
    const maxQueued = opts.maxQueuedReviews ?? DEFAULT_MAX_QUEUED_REVIEWS;
    this.queue = new FairQueue({
      concurrency: opts.maxConcurrentReviews ?? DEFAULT_MAX_CONCURRENT_REVIEWS,
      maxQueued,
      maxQueuedPerSource: Math.min(maxQueued, opts.maxQueuedReviewsPerSource ?? DEFAULT_MAX_QUEUED_REVIEWS_PER_SOURCE),
    });
    this.maxAgeMs = Math.min(opts.maxAgeMs ?? MAX_CACHE_MS, MAX_CACHE_MS);
    this.now = opts.now ?? systemClock;
    const perf = { now: opts.monotonicNow ?? (() => performance.now()) };
    const common = { ttl: this.maxAgeMs, ttlResolution: 0, perf };
    this.positive = new LRUCache<string, Answer>({ ...common, max: opts.maxEntries ?? DEFAULT_CACHE_ENTRIES });
    this.negative = new LRUCache<string, Answer>({ ...common, max: opts.maxNegativeEntries ?? DEFAULT_NEGATIVE_CACHE_ENTRIES });
  }

  /**
   * Whether the token authenticates, and as whom. `source` (the caller's address) is the queue the
   * review waits in. Rejects when the API server cannot be asked.
   */
  authenticate(token: string, source = ''): Promise<Authentication> {
    return this.cached('authentication', `a:${tokenHash(token)}`, token, source, () => this.reviewer.authenticate(token),
      (problem) => ({ authenticated: false, problem })) as Promise<Authentication>;
  }

  /** Whether the (authenticated) bearer of `token` may do `request`. Rejects when the API server cannot be asked. */
  async authorize(token: string, user: Identity, request: AccessRequest, source = ''): Promise<boolean> {
    const key = `z:${tokenHash(token)}\0${request.verb}\0${request.subresource}\0${request.namespace}\0${request.name}`;
    return this.cached('authorization', key, token, source, () => this.reviewer.authorize(user, request), () => false) as Promise<boolean>;
  }

  /** A cached answer, or the review's; a token that cannot be one is `refused` without a review (or a cache entry). */
  private cached(kind: CacheKind, key: string, token: string, source: string, ask: () => Promise<Answer>, refused: (problem: string) => Answer): Promise<Answer> {
    const hit = this.positive.get(key) ?? this.negative.get(key);
    this.opts.onLookup?.(kind, hit !== undefined);
    if (hit !== undefined) return Promise.resolve(hit);
    const pending = this.inFlight.get(key);
    if (pending) return pending;
    const shape = inspectToken(token, this.now());
    if (!shape.ok) return Promise.resolve(refused(shape.problem));
    const answer = this.queue.run(source, ask).then(
      (a) => {
        this.inFlight.delete(key);
        const ttl = cacheTtlMs(this.now(), this.maxAgeMs, shape.expiresAtMs);
        if (ttl > 0) (isPositive(a) ? this.positive : this.negative).set(key, a, { ttl });
        return a;
      },
      // A failed call is not an answer: the next request asks again.
      (err: unknown) => {
        this.inFlight.delete(key);
        throw err instanceof QueueFullError ? new ReviewsBusyError(err.message) : err;
      },
    );
    this.inFlight.set(key, answer);
    return answer;
  }

  /** Positive answers held now (bounded by maxEntries). */
  get size(): number {
    return this.positive.size;
  }

  /** Negative answers held now (bounded by maxNegativeEntries). */
  get negativeSize(): number {
    return this.negative.size;
  }
}
