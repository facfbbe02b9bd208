// The rotation timeline with an injected clock: whole years of rotations, a simulated operator
// that wakes at each due time (or late, or after a long outage, or with a clock that jumps), and
// the invariants of DESIGN §8 checked at every step.
import type { EffectiveRotation } from '../../../src/api/defaults.js';
import type { KeyStatus, RetiredKey } from '../../../src/api/types.js';
import { retain } from '../../../src/rotation/retention.js';
import type { RotationRequests } from '../../../src/rotation/secret-layout.js';
import { planRotation, type SigningSecretState, type Timeline } from '../../../src/rotation/timeline.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (t: number): string => new Date(t).toISOString();

const policy = (over: Partial<EffectiveRotation> = {}): EffectiveRotation => ({
  configured: true, periodMs: 30 * D, publishAheadMs: 1 * D, retainForMs: 7 * D, ...over,
});

/**
 * A model of the operator's bookkeeping around planRotation: the Secret (active, next, record)
 * and the status (keys with publishedSince/state, retired keys). Every transition is applied the
 * way the controller applies it; the JWKS is what the status and Secret serve.
 */
class World {
  secret: SigningSecretState;
  keys: KeyStatus[] = [];
  retired: RetiredKey[] = [];
  private kids = 0;
  /** Every kid that ever signed, with when it first signed and when it was first served. */
  readonly signed: Array<{ kid: string; at: number; servedSince: number }> = [];
  readonly firstServed = new Map<string, number>();
  readonly transitions: Array<{ kind: string; at: number; due: number | undefined }> = [];
  requests: RotationRequests = {};

  constructor(public policy: EffectiveRotation, public now: number, managed = true) {
    const kid = this.newKid();
    this.secret = { secretName: 'login-key', managed, activeKid: kid, activatedAt: now };
    this.serve();
    this.signed.push({ kid, at: now, servedSince: now });
  }

  private newKid(): string {
    return `k${++this.kids}`;
  }

  plan(): Timeline {
    return planRotation({ now: this.now, policy: this.policy, signing: this.secret, requests: this.requests, previousKeys: this.keys });
  }

  /** One reconcile at the current time: make the transition, then write status; returns when to wake. */
  reconcile(): number | undefined {
    const t = this.plan();
    const tr = t.transition;
    if (tr) {
      this.transitions.push({ kind: tr.kind, at: this.now, due: t.dueAt });
      switch (tr.kind) {
        case 'GenerateNext':
          this.secret = { ...this.secret, nextKid: this.newKid(), ...(tr.trigger === 'Manual' ? { requestedAt: this.now, handledRotate: this.requests.rotate } : {}) };
          break;
        case 'RequestPromotion':
          this.secret = { ...this.secret, requestedAt: this.now, handledRotate: this.requests.rotate };
          break;
        case 'Promote': {
          // Status first (the retiree), then the Secret (DESIGN §8 step 2).
          this.retired = retain(this.retired, [{ kid: this.secret.activeKid, secretName: 'login-key', jwk: jwk(this.secret.activeKid), retiresAt: tr.retiresAt }], this.now).retired;
          const kid = this.secret.nextKid!;
          this.signed.push({ kid, at: this.now, servedSince: this.firstServed.get(kid) ?? Infinity });
          this.secret = { ...withoutNext(this.secret), activeKid: kid, activatedAt: this.now };
          break;
        }
        case 'Emergency': {
          const kid = this.newKid();
          this.secret = { ...withoutNext(this.secret), activeKid: kid, activatedAt: this.now, handledEmergency: this.requests.emergency, handledRotate: this.requests.rotate };
          this.signed.push({ kid, at: this.now, servedSince: this.now });
          break;
        }
      }
    }
    const r = retain(this.retired, [], this.now);
    this.retired = r.retired;
    this.serve();
    if (tr) return this.now; // the controller requeues at once after a write
    const due = [this.plan().dueAt, r.dueAt].filter((d): d is number => d !== undefined);
    return due.length ? Math.min(...due) : undefined;
  }

  private serve(): void {
    const t = this.plan();
    const prev = (kid: string) => this.keys.find((k) => k.kid === kid);
    const entry = (kid: string, state: KeyStatus['state'], extra: Partial<KeyStatus>): KeyStatus => ({
      secretName: 'login-key', kid, role: state === 'Active' ? 'SignAndVerify' : 'VerifyOnly', algorithm: 'RS256', keySize: 2048,
      generated: true, publishedSince: prev(kid)?.publishedSince ?? iso(this.now), state, ...extra,
    });
    this.keys = [
      entry(this.secret.activeKid, 'Active', { activatesAt: iso(t.activeSince ?? this.now) }),
      ...(this.secret.nextKid ? [entry(this.secret.nextKid, 'Next', { activatesAt: iso(t.next?.activatesAt ?? this.now) })] : []),
    ];
    for (const k of this.jwks()) if (!this.firstServed.has(k)) this.firstServed.set(k, this.now);
  }

  jwks(): string[] {
    return [...new Set([this.secret.activeKid, ...(this.secret.nextKid ? [this.secret.nextKid] : []), ...this.retired.map((r) => r.kid)])];
  }

  /** Runs the operator from now until `until`, waking at each due time plus `lateness()`. */
  run(until: number, lateness: () => number = () => 0, onStep?: () => void): void {
    while (this.now < until) {
      const wake = this.reconcile();
      onStep?.();
      if (wake === undefined) return;
      this.now = Math.max(this.now, wake === this.now ? this.now : wake + lateness());
    }
  }
}

function withoutNext(s: SigningSecretState): SigningSecretState {
  const copy = { ...s };
  delete copy.nextKid;
  delete copy.requestedAt;
  return copy;
}

const jwk = (kid: string) => ({ kty: 'RSA', kid, use: 'sig', alg: 'RS256', n: `n-${kid}`, e: 'AQAB' });

/** DESIGN §8 invariants over a world's history. */
function checkInvariants(w: World): void {
  for (const s of w.signed.slice(1)) {
    if (w.transitions.some((t) => t.kind === 'Emergency' && t.at === s.at)) continue;
    expect({ kid: s.kid, servedFor: s.at - s.servedSince }).toEqual({ kid: s.kid, servedFor: expect.any(Number) as number });
    expect(s.at - s.servedSince).toBeGreaterThanOrEqual(w.policy.publishAheadMs);
  }
}

describe('scheduled rotation', () => {
  it('rotates once per period for two years, each key pre-published for publishAhead and retired after retainFor', () => {
    const w = new World(policy(), T0);
    const removedAt = new Map<string, number>();
    let retiredSince = new Map<string, number>();
    w.run(T0 + 730 * D, () => 0, () => {
      // A retired key is served until its retiresAt, never removed before it.
      const served = new Set(w.jwks());
      for (const r of w.retired) if (!retiredSince.has(r.kid)) retiredSince.set(r.kid, Date.parse(r.retiresAt));
      for (const [kid, retiresAt] of retiredSince) {
        if (!served.has(kid) && !removedAt.has(kid)) {
          removedAt.set(kid, w.now);
          expect(w.now).toBeGreaterThanOrEqual(retiresAt);
        }
      }
      expect(w.jwks().length).toBeLessThanOrEqual(3);
      retiredSince = new Map([...retiredSince].filter(([kid]) => served.has(kid) || removedAt.has(kid)));
    });
    const promotions = w.transitions.filter((t) => t.kind === 'Promote');
    expect(promotions).toHaveLength(24); // 730 days / 30
    // Every promotion at activeSince + period exactly, with the operator waking on time.
    promotions.forEach((p, i) => expect(p.at).toBe(T0 + (i + 1) * 30 * D));
    const generations = w.transitions.filter((t) => t.kind === 'GenerateNext');
    // A second ahead of publishAhead (GENERATE_LEAD_MS), so publication is done when the promotion is due.
    generations.forEach((g, i) => expect(g.at).toBe(T0 + (i + 1) * 30 * D - D - S));
    checkInvariants(w);
    expect(removedAt.size).toBeGreaterThanOrEqual(23);
  });

  it('with an operator that wakes up to 10 minutes late, still never promotes a key served for less than publishAhead', () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const w = new World(policy({ periodMs: 7 * D, publishAheadMs: 2 * D, retainForMs: 3 * D }), T0);
    w.run(T0 + 365 * D, () => random() * 10 * M);
    checkInvariants(w);
    expect(w.transitions.filter((t) => t.kind === 'Promote').length).toBeGreaterThanOrEqual(51);
    for (const t of w.transitions) expect(t.at - (t.due ?? t.at)).toBeLessThanOrEqual(10 * M);
  });

  it('an operator down for longer than a period makes one rotation when it comes back, not one per missed period', () => {
    const w = new World(policy({ periodMs: 1 * H, publishAheadMs: 10 * M }), T0);
    w.now = T0 + 5 * D; // down for five days
    w.run(T0 + 5 * D + 30 * M);
    expect(w.transitions.map((t) => [t.kind, t.at - (T0 + 5 * D)])).toEqual([['GenerateNext', 0], ['Promote', 10 * M]]);
    checkInvariants(w);
  });

  it('an operator down between generate and promote waits until the next key was served for publishAhead', () => {
    const w = new World(policy({ periodMs: 1 * H, publishAheadMs: 10 * M }), T0);
    w.run(T0 + 50 * M + 1); // generated at 50m
    expect(w.secret.nextKid).toBeDefined();
    // The status lost the next key (crash before the status write): it counts as served from now.
    w.keys = w.keys.filter((k) => k.state !== 'Next');
    w.now = T0 + 3 * H;
    expect(w.plan()).toMatchObject({ next: { publishedSince: T0 + 3 * H, activatesAt: T0 + 3 * H + 10 * M } });
    w.run(T0 + 4 * H);
    checkInvariants(w);
  });

  it('a publishAhead raised mid-rotation delays the promotion; lowered, it never promotes before the schedule', () => {
    const w = new World(policy({ periodMs: 10 * H, publishAheadMs: 1 * H }), T0);
    w.run(T0 + 9 * H + 1);
    expect(w.plan().next?.activatesAt).toBe(T0 + 10 * H);
    w.policy = policy({ periodMs: 10 * H, publishAheadMs: 3 * H });
    expect(w.plan().next?.activatesAt).toBe(T0 + 9 * H - S + 3 * H);
    w.policy = policy({ periodMs: 10 * H, publishAheadMs: 10 * M });
    expect(w.plan().next?.activatesAt).toBe(T0 + 10 * H);
    w.run(T0 + 11 * H);
    expect(w.transitions.find((t) => t.kind === 'Promote')?.at).toBe(T0 + 10 * H);
  });

  it('a clock that jumps back keeps the next key from signing until it was served for publishAhead by the new clock', () => {
    const w = new World(policy({ periodMs: 10 * H, publishAheadMs: 1 * H }), T0);
    w.run(T0 + 9 * H + 1); // next generated and served since 9h
    w.now = T0 + 2 * H; // the clock jumps back seven hours
    const t = w.plan();
    expect(t.transition).toBeUndefined();
    expect(t.dueAt).toBe(T0 + 10 * H);
    w.run(T0 + 11 * H);
    expect(w.transitions.filter((x) => x.kind === 'Promote').map((x) => x.at)).toEqual([T0 + 10 * H]);
  });

  it('a clock that jumps forward makes one step at a time, each pre-publication honoured', () => {
    const w = new World(policy({ periodMs: 10 * H, publishAheadMs: 1 * H }), T0);
    w.now = T0 + 1000 * D;
    w.run(T0 + 1000 * D + 2 * H);
    expect(w.transitions.map((t) => [t.kind, t.at - (T0 + 1000 * D)])).toEqual([['GenerateNext', 0], ['Promote', 1 * H]]);
    checkInvariants(w);
  });

  it('a publishAhead not under period (stored before the CRD rule) rotates every publishAhead, never early', () => {
    const w = new World(policy({ periodMs: 1 * H, publishAheadMs: 2 * H }), T0);
    w.run(T0 + 10 * H);
    checkInvariants(w);
    expect(w.transitions.filter((t) => t.kind === 'Promote').length).toBe(4);
  });

  it('never holds two next keys: a held next key is promoted, not replaced', () => {
    const w = new World(policy({ periodMs: 1 * H, publishAheadMs: 10 * M }), T0);
    w.run(T0 + 50 * M + 1);
    const next = w.secret.nextKid;
    for (const now of [T0 + 55 * M, T0 + 20 * D]) {
      w.now = now;
      expect(w.plan().transition?.kind).not.toBe('GenerateNext');
    }
    w.run(T0 + 20 * D + 1);
    expect(w.signed.map((s) => s.kid)).toContain(next);
  });
});

describe('requests by annotation', () => {
  it('signet.dev/rotate starts step 1 now and promotes after publishAhead, once per new value', () => {
    const w = new World(policy({ periodMs: undefined }), T0);
    expect(w.reconcile()).toBeUndefined(); // no schedule, nothing due
    w.now = T0 + 3 * D;
    w.requests = { rotate: '2026-01-04T00:00:00Z' };
    w.run(T0 + 5 * D);
    expect(w.transitions.map((t) => [t.kind, t.at - (T0 + 3 * D)])).toEqual([['GenerateNext', 0], ['Promote', 1 * D]]);
    // The same value again is no new request.
    w.now = T0 + 6 * D;
    expect(w.plan().transition).toBeUndefined();
    w.requests = { rotate: 'again' };
    expect(w.plan().transition).toEqual({ kind: 'GenerateNext', trigger: 'Manual' });
    checkInvariants(w);
  });

  it('signet.dev/rotate while a next key is published promotes it as soon as it was served for publishAhead', () => {
    const w = new World(policy({ periodMs: 30 * D, publishAheadMs: 1 * D }), T0);
    w.run(T0 + 29 * D + 1); // next published at 29d, due at 30d
    w.now = T0 + 29 * D + 2 * H;
    w.requests = { rotate: 'now' };
    w.run(T0 + 29 * D + 3 * H);
    expect(w.transitions.map((t) => t.kind)).toEqual(['GenerateNext', 'RequestPromotion']);
    expect(w.plan().next?.activatesAt).toBe(T0 + 30 * D - S); // once published for a day, not before
    // A request later in the cycle moves the promotion earlier than a long schedule would.
    const long = new World(policy({ periodMs: 90 * D, publishAheadMs: 1 * D }), T0);
    long.run(T0 + 89 * D + 1);
    long.now = T0 + 89 * D + 1 * H;
    long.requests = { rotate: 'x' };
    long.reconcile();
    expect(long.plan().next?.activatesAt).toBe(T0 + 90 * D - S);
  });

  it('signet.dev/rotate-emergency makes a new key sign at once and drops the active and the next key', () => {
    const w = new World(policy({ periodMs: 10 * H, publishAheadMs: 1 * H }), T0);
    w.run(T0 + 9 * H + 1);
    const [active, next] = [w.secret.activeKid, w.secret.nextKid];
    w.now = T0 + 9 * H + 10 * M;
    w.requests = { emergency: 'compromised' };
    w.reconcile();
    expect(w.transitions.at(-1)).toMatchObject({ kind: 'Emergency', at: T0 + 9 * H + 10 * M });
    expect(w.jwks()).toEqual([w.secret.activeKid]);
    expect(w.jwks()).not.toContain(active);
    expect(w.jwks()).not.toContain(next);
    // The schedule restarts from the emergency.
    expect(w.plan().dueAt).toBe(T0 + 9 * H + 10 * M + 9 * H - S);
    w.reconcile();
    expect(w.transitions.filter((t) => t.kind === 'Emergency')).toHaveLength(1);
  });

  it('an emergency and a rotate asked together: the emergency wins and consumes both', () => {
    const w = new World(policy({ periodMs: undefined }), T0);
    w.requests = { rotate: 'a', emergency: 'b' };
    w.run(T0 + 1 * D);
    expect(w.transitions.map((t) => t.kind)).toEqual(['Emergency']);
  });
});

describe('Secrets Signet did not generate', () => {
  it('a period, a rotate or an emergency asked of a user Secret is SecretNotManaged and changes nothing', () => {
    const w = new World(policy(), T0, false);
    w.now = T0 + 365 * D;
    expect(w.plan()).toMatchObject({ notManaged: expect.stringContaining('every 720h0m0s') as string });
    expect(w.plan().transition).toBeUndefined();
    w.policy = policy({ periodMs: undefined });
    expect(w.plan().notManaged).toBeUndefined();
    w.requests = { rotate: 'x' };
    expect(w.plan().notManaged).toMatch(/signet\.dev\/rotate asks .*Secret "login-key" .*not generated by Signet/);
    w.requests = { emergency: 'x' };
    expect(w.plan().notManaged).toMatch(/rotate-emergency/);
    expect(w.plan().transition).toBeUndefined();
  });

  it('an unresolved signing key plans nothing', () => {
    expect(planRotation({ now: T0, policy: policy(), signing: undefined, requests: { emergency: 'x' }, previousKeys: [] })).toEqual({});
  });
});

describe('where the timeline starts', () => {
  const signing: SigningSecretState = { secretName: 's', managed: true, activeKid: 'a' };
  const key = (over: Partial<KeyStatus>): KeyStatus => ({
    secretName: 's', kid: 'a', role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: true, publishedSince: iso(T0), ...over,
  });

  it('from the Secret record, else the status, else now (a full period from now)', () => {
    const p = policy({ periodMs: 10 * D, publishAheadMs: 1 * D });
    const at = (s: SigningSecretState, keys: KeyStatus[]) => planRotation({ now: T0 + D, policy: p, signing: s, requests: {}, previousKeys: keys }).activeSince;
    expect(at({ ...signing, activatedAt: T0 - D }, [key({ state: 'Active', activatesAt: iso(T0) })])).toBe(T0 - D);
    expect(at(signing, [key({ state: 'Active', activatesAt: iso(T0 + H) })])).toBe(T0 + H);
    expect(at(signing, [key({})])).toBe(T0);
    expect(at(signing, [])).toBe(T0 + D);
  });
});
