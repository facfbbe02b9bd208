// The rotation timeline with an injected clock: whole years of rotations driven through the real
// reconciler (observe → plan → act) against the fake cluster of test/support/fake-cluster.ts. A
// simulated operator wakes at each requeueAfterMs the reconciler returns (or late, or after a long
// outage, or with a clock that jumps), and the invariants of docs/architecture.md#rotation are checked after every
// reconcile from what the cluster shows: the served JWKS, the Secret and the status.
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { effectiveSpec } from '../../../src/api/defaults.js';
import { formatDuration } from '../../../src/api/duration.js';
import { parseTime } from '../../../src/api/time.js';
import { ROTATE_ANNOTATION, ROTATE_EMERGENCY_ANNOTATION, type AuthServer, type Condition, type KeyStatus, type Rotation } from '../../../src/api/types.js';
import { ReconcileMemory } from '../../../src/controller/memory.js';
import { Reconciler } from '../../../src/controller/reconciler.js';
import { publicMembers } from '../../../src/keys/public-jwk.js';
import { thumbprint } from '../../../src/keys/thumbprint.js';
import { ROTATE_HANDLED_ANNOTATION, ROTATION_REQUESTED_AT_ANNOTATION, NEXT_KEY_PEM } from '../../../src/rotation/secret-layout.js';
import { planRotation, type SigningSecretState } from '../../../src/rotation/timeline.js';
import { FakeCluster, NAMESPACE } from '../../support/fake-cluster.js';
import { testSealer } from '../../support/seal.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;
const T0 = Date.parse('2026-01-01T00:00:00Z');
const iso = (t: number): string => new Date(t).toISOString().replace(/\.000Z$/, 'Z');
const KEY = `${NAMESPACE}/login`;
const SECRET = 'login-key';
/** For the runs over a simulated year or two: the reconciler wakes at least hourly (MAX_REQUEUE_MS), some 10⁴ reconciles. */
const YEARS_TIMEOUT_MS = 30_000;

/** spec.tokenSignature.rotation in Go durations; 30d/1d/7d unless told. `period: undefined`: no schedule. */
function rotation(over: { period?: number | undefined; publishAhead?: number; retainFor?: number } = {}): Rotation {
  const r = { period: 30 * D, publishAhead: 1 * D, retainFor: 7 * D, ...over };
  return {
    ...(r.period !== undefined ? { period: formatDuration(r.period) } : {}),
    publishAhead: formatDuration(r.publishAhead), retainFor: formatDuration(r.retainFor),
  };
}

function authServer(rot: Rotation): AuthServer {
  return {
    apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer',
    metadata: { name: 'login', namespace: NAMESPACE, generation: 1, resourceVersion: '1', uid: 'uid-login' },
    // ES256: fast to generate, so years of rotations take a moment.
    spec: { issuerURI: 'https://login.example.com', tokenSignature: { signAndVerifyKeyRef: { name: SECRET }, keyGeneration: { algorithm: 'ES256' }, rotation: rot } },
  };
}

/** The kid of a PEM in the Secret, as Signet computes it (keyIdFormat Thumbprint); parsed once per PEM. */
const kids = new Map<string, string>();
function kidOf(pem: Buffer | undefined): string | undefined {
  if (!pem) return undefined;
  const text = pem.toString();
  let kid = kids.get(text);
  if (kid === undefined) kids.set(text, (kid = thumbprint(publicMembers(createPublicKey(text)))));
  return kid;
}

interface Transition { kind: string; at: number; /** status.nextRotationTime before the reconcile that made it. */ due: number | undefined }

/**
 * The invariants of docs/architecture.md#rotation, from what the cluster shows after each reconcile: no key signs (is the
 * Secret's key.pem, or status.signingKeyID) before it was served for publishAhead, except the first
 * key and an emergency's; no key leaves the JWKS before its retiresAt, except the active and next
 * key an emergency drops; at most one next key, and a next key is never replaced by another.
 */
class Invariants {
  readonly violations: string[] = [];
  readonly firstServed = new Map<string, number>();
  /** When each kid began to sign (became key.pem), in order. */
  readonly signed: Array<{ kid: string; at: number }> = [];
  readonly retiresAt = new Map<string, number>();
  readonly removed: Array<{ kid: string; at: number; retiresAt: number | undefined }> = [];
  maxServed = 0;
  private served = new Set<string>();
  private active: string | undefined;
  private next: string | undefined;
  private signingKeyID: string | undefined;
  /** Keys an emergency made sign at once, and those it dropped at once. */
  private readonly emergencyKeys = new Set<string>();
  private readonly mayDrop = new Set<string>();

  observe(cluster: FakeCluster, now: number, calls: readonly string[]): void {
    const as = cluster.authServer;
    if (!as) return;
    const publishAhead = effectiveSpec(as.spec).rotation.publishAheadMs;
    const emergency = calls.includes('secret:Emergency');
    const secret = cluster.secrets.get(SECRET);
    const active = kidOf(secret?.data['key.pem']);
    const next = kidOf(secret?.data[NEXT_KEY_PEM]);
    // The reconcile that decides an emergency already serves neither the active nor the next key.
    if (emergency) {
      for (const kid of [this.active, this.next]) if (kid !== undefined) this.mayDrop.add(kid);
      if (active !== undefined) this.emergencyKeys.add(active);
    }
    // The document was served before this reconcile's writes: what verifiers could fetch.
    if (cluster.served) {
      const served = new Set(cluster.served.keys.map((k) => k.kid));
      for (const kid of served) if (!this.firstServed.has(kid)) this.firstServed.set(kid, now);
      for (const kid of this.served) {
        if (served.has(kid) || this.mayDrop.has(kid)) continue;
        const retiresAt = this.retiresAt.get(kid);
        this.removed.push({ kid, at: now, retiresAt });
        if (retiresAt === undefined || now < retiresAt) this.violations.push(`kid ${kid} left the JWKS at ${iso(now)}, retiresAt ${retiresAt === undefined ? 'none' : iso(retiresAt)}`);
      }
      this.served = served;
      this.maxServed = Math.max(this.maxServed, served.size);
    }
    for (const r of as.status?.retiredKeys ?? []) this.retiresAt.set(r.kid, Math.max(this.retiresAt.get(r.kid) ?? 0, Date.parse(r.retiresAt)));
    const nextInStatus = (as.status?.keys ?? []).filter((k) => k.state === 'Next');
    if (nextInStatus.length > 1) this.violations.push(`two next keys in status at ${iso(now)}`);

    if (active !== undefined && active !== this.active) {
      if (this.active !== undefined) this.checkPrePublished('key.pem', active, now, publishAhead);
      this.signed.push({ kid: active, at: now });
    }
    if (this.next !== undefined && next !== this.next && !(next === undefined && (active === this.next || emergency))) {
      this.violations.push(`next key ${this.next} replaced by ${next ?? 'nothing'} at ${iso(now)} without being promoted`);
    }
    const signingKeyID = as.status?.signingKeyID;
    if (signingKeyID !== undefined && signingKeyID !== this.signingKeyID && this.signingKeyID !== undefined) this.checkPrePublished('status.signingKeyID', signingKeyID, now, publishAhead);
    [this.active, this.next, this.signingKeyID] = [active, next, signingKeyID ?? this.signingKeyID];
  }

  private checkPrePublished(where: string, kid: string, now: number, publishAhead: number): void {
    if (this.emergencyKeys.has(kid)) return;
    const since = this.firstServed.get(kid);
    if (since === undefined || now - since < publishAhead) {
      this.violations.push(`kid ${kid} became ${where} at ${iso(now)}, served ${since === undefined ? 'never' : `since ${iso(since)}`} (publishAhead ${formatDuration(publishAhead)})`);
    }
  }
}

/**
 * The simulated operator: the real Reconciler with its ReconcileMemory, the fake cluster, and a
 * clock the test moves. It reconciles at once after a write (requeueAfterMs 0), sleeps for a
 * requeueAfterMs otherwise, and waits for a watch event when nothing is due (undefined).
 */
class Operator {
  now: number;
  readonly cluster: FakeCluster;
  readonly transitions: Transition[] = [];
  readonly invariants = new Invariants();
  /** Kills and restarts the process after every reconcile that wrote anything (docs/architecture.md#rotation: a crash at any step is safe). */
  restartAfterWrites = false;
  private reconciler: Reconciler;

  constructor(as: AuthServer, start: number) {
    this.now = start;
    const memory = new ReconcileMemory();
    this.cluster = new FakeCluster(memory, as);
    this.reconciler = this.reconcilerFor(memory);
  }

  /** The operator at `start` with its signing Secret generated and served. */
  static async started(rot: Rotation, start = T0): Promise<Operator> {
    const op = new Operator(authServer(rot), start);
    await op.settle();
    return op;
  }

  private reconcilerFor(memory: ReconcileMemory): Reconciler {
    return new Reconciler({
      reader: this.cluster.reader(), memory, executor: this.cluster.executor(), issuerPolicy: { allowInsecure: false }, sealer: testSealer,
      metrics: { setIssuers: () => undefined }, clock: () => this.now,
    });
  }

  /** The process dies and starts again: nothing remembered, nothing served until it reconciles. */
  restart(): void {
    const memory = new ReconcileMemory();
    this.cluster.restart(memory);
    this.reconciler = this.reconcilerFor(memory);
  }

  get status(): NonNullable<AuthServer['status']> {
    return this.cluster.authServer?.status ?? {};
  }

  statusKey(state: KeyStatus['state']): KeyStatus | undefined {
    return this.status.keys?.find((k) => k.state === state);
  }

  condition(type: string): Condition | undefined {
    return this.status.conditions?.find((c) => c.type === type);
  }

  /** The kid the Secret's key.pem holds now. */
  get signingKid(): string | undefined {
    return kidOf(this.cluster.secrets.get(SECRET)?.data['key.pem']);
  }

  get served(): string[] {
    return this.cluster.served?.keys.map((k) => k.kid) ?? [];
  }

  kinds(since = 0): Array<[string, number]> {
    return this.transitions.map((t) => [t.kind, t.at - since]);
  }

  /** One reconcile at the current time; its requeueAfterMs. */
  async reconcile(): Promise<number | undefined> {
    const from = this.cluster.calls.length;
    const due = parseTime(this.status.nextRotationTime);
    const outcome = await this.reconciler.reconcile(KEY);
    if (outcome.result !== 'success') throw new Error(`reconcile at ${iso(this.now)}: ${outcome.result}`);
    const calls = this.cluster.calls.slice(from);
    for (const c of calls) if (c.startsWith('secret:')) this.transitions.push({ kind: c.slice('secret:'.length), at: this.now, due });
    this.invariants.observe(this.cluster, this.now, calls);
    // Once settled, the status names the key that signs (a reconcile after a Secret write catches up).
    if (outcome.requeueAfterMs !== 0 && this.status.signingKeyID !== this.signingKid) {
      this.invariants.violations.push(`status.signingKeyID ${this.status.signingKeyID ?? 'none'} is not key.pem's ${this.signingKid ?? 'none'} at ${iso(this.now)}`);
    }
    if (this.restartAfterWrites && calls.some((c) => c === 'status' || c.startsWith('secret:') || c.startsWith('create:'))) {
      this.restart();
      return 0; // a process reconciles what it watches as it starts
    }
    return outcome.requeueAfterMs;
  }

  /** Reconciles at once until nothing is left to do now; the wait it ends with. */
  async settle(): Promise<number | undefined> {
    for (let i = 0; i < 10; i++) {
      const wait = await this.reconcile();
      if (wait !== 0) return wait;
    }
    throw new Error(`no end to immediate requeues at ${iso(this.now)}`);
  }

  /**
   * Reconciles now (the process starts, or a watch event), then at each wake it asks for, plus
   * `lateness()`, while that is before `until`; leaves the clock at `until`.
   */
  async run(until: number, lateness: () => number = () => 0): Promise<void> {
    for (;;) {
      const wait = await this.settle();
      const wake = wait === undefined ? undefined : this.now + wait + lateness();
      if (wake === undefined || wake >= until) {
        this.now = Math.max(this.now, until);
        return;
      }
      this.now = wake;
    }
  }
}

describe('scheduled rotation', () => {
  it('rotates once per period for two years, each key pre-published for publishAhead and retired after retainFor', async () => {
    const op = await Operator.started(rotation());
    await op.run(T0 + 730 * D);
    const inv = op.invariants;
    expect(inv.violations).toEqual([]);
    const promotions = op.transitions.filter((t) => t.kind === 'Promote');
    expect(promotions).toHaveLength(24); // 730 days / 30
    // Every promotion at activeSince + period exactly, with the operator waking on time.
    promotions.forEach((p, i) => expect(iso(p.at)).toBe(iso(T0 + (i + 1) * 30 * D)));
    const generations = op.transitions.filter((t) => t.kind === 'GenerateNext');
    expect(generations).toHaveLength(24);
    // A second ahead of publishAhead (GENERATE_LEAD_MS), so publication is done when the promotion is due.
    generations.forEach((g, i) => expect(iso(g.at)).toBe(iso(T0 + (i + 1) * 30 * D - D - S)));
    expect(op.transitions.map((t) => t.kind)).toEqual(Array.from({ length: 24 }, () => ['GenerateNext', 'Promote']).flat());
    // Each replaced key is served until exactly its retiresAt (promotion + retainFor), then dropped.
    expect(inv.removed).toHaveLength(24);
    const retirements = Array.from({ length: 24 }, (_, i) => iso(T0 + (i + 1) * 30 * D + 7 * D));
    expect(inv.removed.map((r) => [iso(r.at), iso(r.retiresAt ?? NaN)])).toEqual(retirements.map((t) => [t, t]));
    // Active, next and one retired key at most; here never all three at once (retainFor < period − publishAhead).
    expect(inv.maxServed).toBe(2);
    expect(inv.signed).toHaveLength(25);
  }, YEARS_TIMEOUT_MS);

  it('with an operator that wakes up to 10 minutes late, still never promotes a key served for less than publishAhead', async () => {
    let seed = 7;
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const op = await Operator.started(rotation({ period: 7 * D, publishAhead: 2 * D, retainFor: 3 * D }));
    await op.run(T0 + 365 * D, () => Math.floor(random() * 10 * M));
    expect(op.invariants.violations).toEqual([]);
    expect(op.invariants.maxServed).toBeLessThanOrEqual(3);
    expect(op.transitions.filter((t) => t.kind === 'Promote').length).toBeGreaterThanOrEqual(51);
    // Each transition no earlier than the status announced it, and late by the operator's lateness only.
    for (const t of op.transitions) {
      expect(t.due).toBeDefined();
      expect(t.at - t.due!).toBeGreaterThanOrEqual(0);
      expect(t.at - t.due!).toBeLessThanOrEqual(10 * M);
    }
  }, YEARS_TIMEOUT_MS);

  it('an operator down for longer than a period makes one rotation when it comes back, not one per missed period', async () => {
    const op = await Operator.started(rotation({ period: 1 * H, publishAhead: 10 * M }));
    op.restart();
    op.now = T0 + 5 * D; // down for five days
    await op.run(T0 + 5 * D + 30 * M);
    expect(op.kinds(T0 + 5 * D)).toEqual([['GenerateNext', 0], ['Promote', 10 * M]]);
    expect(op.invariants.violations).toEqual([]);
  });

  it('an operator down between generate and promote waits until the next key was served for publishAhead', async () => {
    const op = await Operator.started(rotation({ period: 1 * H, publishAhead: 10 * M }));
    await op.run(T0 + 50 * M - S); // the next key is due at 50m − 1 s
    expect(await op.reconcile()).toBe(0);
    expect(op.kinds(T0)).toEqual([['GenerateNext', 50 * M - S]]);
    // It dies before the reconcile that publishes the next key: the status never had it.
    expect(op.statusKey('Next')).toBeUndefined();
    op.restart();
    op.now = T0 + 3 * H;
    await op.settle();
    // Back two hours later, the next key counts as served from now.
    expect(op.statusKey('Next')).toMatchObject({ publishedSince: iso(T0 + 3 * H), activatesAt: iso(T0 + 3 * H + 10 * M) });
    await op.run(T0 + 3 * H + 30 * M);
    expect(op.kinds(T0)).toEqual([['GenerateNext', 50 * M - S], ['Promote', 3 * H + 10 * M]]);
    expect(op.invariants.violations).toEqual([]);
  });

  it('an operator killed after every write resumes from the Secret and the status: the replaced key is served until its retiresAt', async () => {
    const op = await Operator.started(rotation({ period: 1 * H, publishAhead: 10 * M, retainFor: 20 * M }));
    op.restartAfterWrites = true;
    await op.run(T0 + 1 * H + 1);
    // The promotion's status (the retiree, sealed) was written before the Secret: the restarted
    // process serves the replaced key from status alone, to the millisecond.
    const [replaced] = op.invariants.signed;
    op.now = T0 + 1 * H + 20 * M - 1;
    await op.settle();
    expect(op.served).toContain(replaced?.kid);
    op.now = T0 + 1 * H + 20 * M;
    await op.settle();
    expect(op.served).not.toContain(replaced?.kid);
    await op.run(T0 + 2 * H + 30 * M);
    expect(op.kinds(T0)).toEqual([['GenerateNext', 50 * M - S], ['Promote', 1 * H], ['GenerateNext', 1 * H + 50 * M - S], ['Promote', 2 * H]]);
    expect(op.invariants.removed.map((r) => [r.at - T0, r.retiresAt! - T0])).toEqual([[1 * H + 20 * M, 1 * H + 20 * M], [2 * H + 20 * M, 2 * H + 20 * M]]);
    expect(op.invariants.violations).toEqual([]);
  });

  it('a publishAhead raised mid-rotation delays the promotion; lowered, it never promotes before the schedule', async () => {
    const op = await Operator.started(rotation({ period: 10 * H, publishAhead: 1 * H }));
    await op.run(T0 + 9 * H + M); // next published at 9h − 1 s
    expect(op.statusKey('Next')?.activatesAt).toBe(iso(T0 + 10 * H));
    const publishAhead = async (ms: number): Promise<void> => {
      op.cluster.editSpec((spec) => { spec.tokenSignature.rotation = rotation({ period: 10 * H, publishAhead: ms }); });
      await op.settle(); // the watch event of the edit
    };
    await publishAhead(3 * H);
    expect(op.statusKey('Next')?.activatesAt).toBe(iso(T0 + 9 * H - S + 3 * H));
    await publishAhead(10 * M);
    expect(op.statusKey('Next')?.activatesAt).toBe(iso(T0 + 10 * H));
    await op.run(T0 + 11 * H);
    expect(op.transitions.find((t) => t.kind === 'Promote')?.at).toBe(T0 + 10 * H);
    expect(op.invariants.violations).toEqual([]);
  });

  it('a clock that jumps back keeps the next key from signing until it was served for publishAhead by the new clock', async () => {
    const op = await Operator.started(rotation({ period: 10 * H, publishAhead: 1 * H }));
    await op.run(T0 + 9 * H + M); // next generated and served since 9h − 1 s
    op.now = T0 + 2 * H; // the clock jumps back seven hours
    expect(await op.settle()).toBe(1 * H); // nothing to do; woken again within the hour to notice
    expect(op.transitions.map((t) => t.kind)).toEqual(['GenerateNext']);
    expect(op.status.nextRotationTime).toBe(iso(T0 + 10 * H));
    await op.run(T0 + 11 * H);
    expect(op.transitions.filter((x) => x.kind === 'Promote').map((x) => x.at)).toEqual([T0 + 10 * H]);
    expect(op.invariants.violations).toEqual([]);
  });

  it('a clock that jumps forward makes one step at a time, each pre-publication honoured', async () => {
    const op = await Operator.started(rotation({ period: 10 * H, publishAhead: 1 * H }));
    op.now = T0 + 1000 * D;
    await op.run(T0 + 1000 * D + 2 * H);
    expect(op.kinds(T0 + 1000 * D)).toEqual([['GenerateNext', 0], ['Promote', 1 * H]]);
    expect(op.invariants.violations).toEqual([]);
  });

  it('a publishAhead not under period (stored before the CRD rule) rotates every publishAhead, never early', async () => {
    const op = await Operator.started(rotation({ period: 1 * H, publishAhead: 2 * H }));
    await op.run(T0 + 10 * H);
    expect(op.invariants.violations).toEqual([]);
    expect(op.transitions.filter((t) => t.kind === 'Promote').map((t) => t.at - T0)).toEqual([2 * H, 4 * H, 6 * H, 8 * H]);
  });

  it('never holds two next keys: a held next key is promoted, not replaced', async () => {
    const op = await Operator.started(rotation({ period: 1 * H, publishAhead: 10 * M }));
    await op.run(T0 + 50 * M + 1);
    const next = op.statusKey('Next')?.kid;
    expect(next).toBeDefined();
    for (const now of [T0 + 55 * M, T0 + 20 * D]) {
      op.now = now;
      await op.settle();
      expect(op.transitions.filter((t) => t.kind === 'GenerateNext')).toHaveLength(1);
    }
    expect(op.invariants.signed.map((s) => s.kid)).toContain(next);
    expect(op.invariants.violations).toEqual([]);
  });
});

describe('requests by annotation', () => {
  it('signet.dev/rotate starts step 1 now and promotes after publishAhead, once per new value', async () => {
    const op = new Operator(authServer(rotation({ period: undefined })), T0);
    expect(await op.settle()).toBeUndefined(); // no schedule, nothing due
    op.now = T0 + 3 * D;
    op.cluster.annotate({ [ROTATE_ANNOTATION]: '2026-01-04T00:00:00Z' });
    await op.run(T0 + 5 * D);
    expect(op.kinds(T0 + 3 * D)).toEqual([['GenerateNext', 0], ['Promote', 1 * D]]);
    // The same value again is no new request.
    op.now = T0 + 6 * D;
    op.cluster.annotate({ [ROTATE_ANNOTATION]: '2026-01-04T00:00:00Z' });
    await op.settle();
    expect(op.transitions).toHaveLength(2);
    op.cluster.annotate({ [ROTATE_ANNOTATION]: 'again' });
    await op.settle();
    expect(op.kinds(T0 + 3 * D).at(-1)).toEqual(['GenerateNext', 3 * D]);
    // A manual one: the request is recorded as handled in the same write.
    expect(op.cluster.secrets.get(SECRET)?.annotations).toMatchObject({ [ROTATE_HANDLED_ANNOTATION]: 'again', [ROTATION_REQUESTED_AT_ANNOTATION]: iso(T0 + 6 * D) });
    expect(op.invariants.violations).toEqual([]);
  });

  it('signet.dev/rotate while a next key is published promotes it as soon as it was served for publishAhead', async () => {
    const op = await Operator.started(rotation({ period: 30 * D, publishAhead: 1 * D }));
    await op.run(T0 + 29 * D + 1); // next published at 29d − 1 s, due at 30d
    op.now = T0 + 29 * D + 2 * H;
    op.cluster.annotate({ [ROTATE_ANNOTATION]: 'now' });
    await op.run(T0 + 29 * D + 3 * H);
    expect(op.transitions.map((t) => t.kind)).toEqual(['GenerateNext', 'RequestPromotion']);
    expect(op.statusKey('Next')?.activatesAt).toBe(iso(T0 + 30 * D - S)); // once published for a day, not before
    await op.run(T0 + 31 * D);
    expect(op.kinds(T0)).toEqual([['GenerateNext', 29 * D - S], ['RequestPromotion', 29 * D + 2 * H], ['Promote', 30 * D - S]]);
    expect(op.invariants.violations).toEqual([]);
    // A request later in the cycle moves the promotion earlier than a long schedule would.
    const long = await Operator.started(rotation({ period: 90 * D, publishAhead: 1 * D }));
    await long.run(T0 + 89 * D + 1);
    long.now = T0 + 89 * D + 1 * H;
    long.cluster.annotate({ [ROTATE_ANNOTATION]: 'x' });
    await long.settle();
    expect(long.statusKey('Next')?.activatesAt).toBe(iso(T0 + 90 * D - S));
    expect(long.invariants.violations).toEqual([]);
  });

  it('signet.dev/rotate-emergency makes a new key sign at once and drops the active and the next key', async () => {
    const op = await Operator.started(rotation({ period: 10 * H, publishAhead: 1 * H }));
    await op.run(T0 + 9 * H + 1);
    const [active, next] = [op.statusKey('Active')?.kid, op.statusKey('Next')?.kid];
    expect(op.served).toEqual([active, next]);
    op.now = T0 + 9 * H + 10 * M;
    op.cluster.annotate({ [ROTATE_EMERGENCY_ANNOTATION]: 'compromised' });
    await op.settle();
    expect(op.transitions.at(-1)).toMatchObject({ kind: 'Emergency', at: T0 + 9 * H + 10 * M });
    expect(op.served).toEqual([op.signingKid]);
    expect(op.status.signingKeyID).toBe(op.signingKid);
    expect(op.served).not.toContain(active);
    expect(op.served).not.toContain(next);
    expect(op.cluster.events.filter((e) => e.reason === 'EmergencyRotation')).toHaveLength(1);
    // The schedule restarts from the emergency.
    expect(op.status.nextRotationTime).toBe(iso(T0 + 9 * H + 10 * M + 9 * H - S));
    await op.settle();
    expect(op.transitions.filter((t) => t.kind === 'Emergency')).toHaveLength(1);
    expect(op.invariants.violations).toEqual([]);
  });

  it('an emergency and a rotate asked together: the emergency wins and consumes both', async () => {
    const op = new Operator(authServer(rotation({ period: undefined })), T0);
    await op.settle();
    op.cluster.annotate({ [ROTATE_ANNOTATION]: 'a', [ROTATE_EMERGENCY_ANNOTATION]: 'b' });
    await op.run(T0 + 1 * D);
    expect(op.transitions.map((t) => t.kind)).toEqual(['Emergency']);
    expect(op.invariants.violations).toEqual([]);
  });
});

describe('Secrets Signet did not generate', () => {
  it('a period, a rotate or an emergency asked of a user Secret is SecretNotManaged and changes nothing', async () => {
    const op = new Operator(authServer(rotation()), T0 + 365 * D);
    const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    op.cluster.putSecret(SECRET, { 'key.pem': pem });
    const before = structuredClone(op.cluster.secrets.get(SECRET));
    const resolved = async (): Promise<Condition | undefined> => {
      await op.settle();
      return op.condition('SignAndVerifyKeyResolved');
    };
    expect(await resolved()).toMatchObject({ status: 'False', reason: 'SecretNotManaged', message: expect.stringContaining('every 720h0m0s') as string });
    op.cluster.editSpec((spec) => { spec.tokenSignature.rotation = rotation({ period: undefined }); });
    expect(await resolved()).toMatchObject({ status: 'True', reason: 'Resolved' });
    op.cluster.annotate({ [ROTATE_ANNOTATION]: 'x' });
    expect((await resolved())?.message).toMatch(/signet\.dev\/rotate asks .*Secret "login-key" .*not generated by Signet/);
    op.cluster.annotate({ [ROTATE_EMERGENCY_ANNOTATION]: 'x' });
    expect(await resolved()).toMatchObject({ reason: 'SecretNotManaged', message: expect.stringMatching(/rotate-emergency/) as string });
    await op.run(T0 + 400 * D);
    // Nothing written to the Secret, ever; its key is served all along.
    expect(op.cluster.calls.filter((c) => c.startsWith('secret:') || c.startsWith('create:') || c === 'generateKey')).toEqual([]);
    expect(op.cluster.secrets.get(SECRET)).toEqual(before);
    expect(op.served).toEqual([op.signingKid]);
  });

  it('an unresolved signing key plans nothing', () => {
    expect(planRotation({ now: T0, policy: effectiveSpec(authServer(rotation()).spec).rotation, signing: undefined, requests: { emergency: 'x' }, previousKeys: [] })).toEqual({});
  });
});

describe('where the timeline starts', () => {
  const signing: SigningSecretState = { secretName: 's', managed: true, activeKid: 'a' };
  const key = (over: Partial<KeyStatus>): KeyStatus => ({
    secretName: 's', kid: 'a', role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: true, publishedSince: iso(T0), ...over,
  });

  it('from the Secret record, else the status, else now (a full period from now)', () => {
    const p = effectiveSpec(authServer(rotation({ period: 10 * D, publishAhead: 1 * D })).spec).rotation;
    const at = (s: SigningSecretState, keys: KeyStatus[]) => planRotation({ now: T0 + D, policy: p, signing: s, requests: {}, previousKeys: keys }).activeSince;
    expect(at({ ...signing, activatedAt: T0 - D }, [key({ state: 'Active', activatesAt: iso(T0) })])).toBe(T0 - D);
    expect(at(signing, [key({ state: 'Active', activatesAt: iso(T0 + H) })])).toBe(T0 + H);
    expect(at(signing, [key({})])).toBe(T0);
    expect(at(signing, [])).toBe(T0 + D);
  });
});
