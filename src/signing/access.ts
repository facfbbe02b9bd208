// Who is asking and whether they may (DESIGN §9): the bearer token is checked with a TokenReview and
// the request authorised with a SubjectAccessReview against the AuthServer, so plain RBAC says who
// may sign with which issuer. Both answers are cached in one bounded LRU cache for at most 10 s and
// never past the token's expiry, and concurrent requests with the same token share one API call, so
// steady traffic makes no API call per request.
import { hash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import pLimit, { type LimitFunction } from 'p-limit';

/** The longest time an answer is reused. */
export const MAX_CACHE_MS = 10_000;
export const DEFAULT_CACHE_ENTRIES = 10_000;
/**
 * Reviews sent to the API server at once, and waiting beyond those: a flood of new (say, made-up)
 * tokens costs the API server this much at most; beyond the queue, requests are refused at once.
 */
export const DEFAULT_MAX_CONCURRENT_REVIEWS = 32;
export const DEFAULT_MAX_QUEUED_REVIEWS = 1_000;

/** The API server is not asked: too many reviews are waiting already. */
export class ReviewsBusyError extends Error {}

export interface Identity {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export type Authentication = { authenticated: true; user: Identity } | { authenticated: false };

/** What a SubjectAccessReview asks about: verb on authservers/<subresource> named <name> in <namespace>. */
export interface AccessRequest {
  namespace: string;
  name: string;
  subresource: 'sign' | 'keyset';
  verb: 'create' | 'get';
}

/** The two API calls, injected (src/signing/kube-review.ts makes them against the API server). */
export interface Reviewer {
  authenticate(token: string): Promise<Authentication>;
  authorize(user: Identity, request: AccessRequest): Promise<boolean>;
}

export type CacheKind = 'authentication' | 'authorization';

export interface AccessOptions {
  maxEntries?: number;
  maxAgeMs?: number;
  now?: () => number;
  /** Called for every lookup, for the cache-hit metric. */
  onLookup?: (cache: CacheKind, hit: boolean) => void;
  maxConcurrentReviews?: number;
  maxQueuedReviews?: number;
}

/** The `exp` of a JWT, in ms, read without verification (the TokenReview verified it); undefined for other tokens. */
export function tokenExpiryMs(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || parts[1] === undefined || parts[1].length > 8192) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' && Number.isFinite(payload.exp) ? payload.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}

/** How long an answer about this token may be reused: at most maxAgeMs, never past its expiry; 0 for not at all. */
export function cacheTtlMs(now: number, maxAgeMs: number, expiresAtMs: number | undefined): number {
  if (expiresAtMs === undefined) return maxAgeMs;
  return Math.max(0, Math.min(maxAgeMs, Math.floor(expiresAtMs - now)));
}

/** What the cache is keyed by: no bearer token is kept in memory past its request. */
function tokenHash(token: string): string {
  return hash('sha256', token, 'base64url');
}

interface Cached {
  answer: Promise<Authentication | boolean>;
}

export class AccessChecker {
  private readonly cache: LRUCache<string, Cached>;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly limit: LimitFunction;
  private readonly maxQueued: number;

  constructor(private readonly reviewer: Reviewer, private readonly opts: AccessOptions = {}) {
    this.limit = pLimit(opts.maxConcurrentReviews ?? DEFAULT_MAX_CONCURRENT_REVIEWS);
    this.maxQueued = opts.maxQueuedReviews ?? DEFAULT_MAX_QUEUED_REVIEWS;
    this.maxAgeMs = Math.min(opts.maxAgeMs ?? MAX_CACHE_MS, MAX_CACHE_MS);
    this.now = opts.now ?? Date.now;
    this.cache = new LRUCache<string, Cached>({ max: opts.maxEntries ?? DEFAULT_CACHE_ENTRIES, ttl: this.maxAgeMs, ttlResolution: 0, perf: { now: this.now } });
  }

  /** Whether the token authenticates, and as whom. Rejects when the API server cannot be asked. */
  authenticate(token: string): Promise<Authentication> {
    return this.cached('authentication', `a:${tokenHash(token)}`, token, () => this.reviewer.authenticate(token)) as Promise<Authentication>;
  }

  /** Whether the (authenticated) bearer of `token` may do `request`. Rejects when the API server cannot be asked. */
  async authorize(token: string, user: Identity, request: AccessRequest): Promise<boolean> {
    const key = `z:${tokenHash(token)}\0${request.verb}\0${request.subresource}\0${request.namespace}\0${request.name}`;
    return this.cached('authorization', key, token, () => this.reviewer.authorize(user, request)) as Promise<boolean>;
  }

  private cached(kind: CacheKind, key: string, token: string, ask: () => Promise<Authentication | boolean>): Promise<Authentication | boolean> {
    const hit = this.cache.get(key);
    this.opts.onLookup?.(kind, hit !== undefined);
    if (hit) return hit.answer;
    if (this.limit.pendingCount >= this.maxQueued) return Promise.reject(new ReviewsBusyError(`${this.maxQueued} token and access reviews are waiting already`));
    const ttl = cacheTtlMs(this.now(), this.maxAgeMs, tokenExpiryMs(token));
    const answer = this.limit(ask);
    if (ttl > 0) {
      const entry: Cached = { answer };
      this.cache.set(key, entry, { ttl });
      // A failed call is not an answer: the next request asks again.
      answer.catch(() => {
        if (this.cache.peek(key) === entry) this.cache.delete(key);
      });
    }
    return answer;
  }

  /** Entries held now (bounded by maxEntries). */
  get size(): number {
    return this.cache.size;
  }
}
