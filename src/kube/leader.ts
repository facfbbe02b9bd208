// Leader election through a coordination.k8s.io/v1 Lease (client-node ships none, docs/architecture.md#toolchain-facts).
// Every write carries the Lease's resourceVersion, so two candidates cannot both win. As in
// client-go, expiry is judged by when this process last saw the record change, not by the
// holder's clock, and a leader that has not renewed within the renew deadline stops leading
// then, whatever call is still hanging: leadership is a deadline checked when asked and by a
// timer, not a flag that the renewal loop would have to come back to clear (docs/architecture.md#command-line-flags).
import { systemClock, type Clock } from '../api/time.js';
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.js';
import { makeApiClient } from './client.js';
import { isConflict, isNotFound } from './errors.js';

export interface LeaderElectionOptions {
  namespace: string;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  identity?: string;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  log: Logger;
  clock?: Clock;
}

export class LeaderElector {
  readonly identity: string;
  private readonly clock: Clock;
  private readonly api: CoordinationV1Api;
  private leading = false;
  /**
   * When the last successful acquire or renew began. Measured from the start, not the answer: the
   * others count the lease from when they see the write, which is later.
   */
  private renewedAt = 0;
  private observed: { key: string; at: number } = { key: '', at: 0 };
  private timer: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The acquire or renew in flight: a release must wait for it, or its write makes the release conflict. */
  private attempt: Promise<void> = Promise.resolve();

  constructor(kc: KubeConfig, private readonly opts: LeaderElectionOptions) {
    this.clock = opts.clock ?? systemClock;
    // Half the renew deadline per call: a hung call leaves time for another attempt in it.
    this.api = makeApiClient(kc, CoordinationV1Api, { timeoutMs: opts.renewDeadlineMs / 2 });
    this.identity = opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  }

  /** True only while the last renew is younger than the renew deadline, whatever is in flight. */
  get isLeader(): boolean {
    return this.leading && this.clock() - this.renewedAt < this.opts.renewDeadlineMs;
  }

  start(): void {
    this.attempt = this.tick();
  }

  /** Stops competing; a leader releases the Lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearTimeout(this.deadline);
    await this.attempt;
    // Released even when not leading: an attempt that was in flight may have just written the Lease.
    this.setLeading(false);
    try {
      const lease = await this.api.readNamespacedLease({ name: this.opts.leaseName, namespace: this.opts.namespace });
      if (lease.spec?.holderIdentity !== this.identity) return;
      lease.spec = { ...lease.spec, holderIdentity: undefined, renewTime: undefined, acquireTime: undefined };
      await this.api.replaceNamespacedLease({ name: this.opts.leaseName, namespace: this.opts.namespace, body: lease });
    } catch (err) {
      this.opts.log.warn('could not release the leader lease', { error: (err as Error).message });
    }
  }

  private async tick(): Promise<void> {
    const began = this.clock();
    try {
      const won = await this.tryAcquireOrRenew();
      // A success that took longer than the renew deadline is no renewal: the deadline passed.
      if (won && !this.stopped && this.clock() - began < this.opts.renewDeadlineMs) this.renewed(began);
    } catch (err) {
      this.opts.log.warn('leader election attempt failed', { error: (err as Error).message });
    }
    if (!this.stopped) this.timer = setTimeout(() => { this.attempt = this.tick(); }, this.opts.retryPeriodMs);
  }

  private renewed(at: number): void {
    this.renewedAt = at;
    clearTimeout(this.deadline);
    this.deadline = setTimeout(() => this.deadlinePassed(), at + this.opts.renewDeadlineMs - this.clock());
    this.setLeading(true);
  }

  private deadlinePassed(): void {
    if (!this.leading) return;
    this.opts.log.error('could not renew the leader lease within the renew deadline; stepping down', {
      lease: `${this.opts.namespace}/${this.opts.leaseName}`, renewDeadlineMs: this.opts.renewDeadlineMs, sinceLastRenewMs: this.clock() - this.renewedAt,
    });
    this.setLeading(false);
  }

  private setLeading(value: boolean): void {
    if (this.leading === value) return;
    this.leading = value;
    this.opts.log.info(value ? 'became leader' : 'stopped leading', { identity: this.identity, lease: `${this.opts.namespace}/${this.opts.leaseName}` });
    if (value) this.opts.onStartedLeading();
    else this.opts.onStoppedLeading();
  }

  private async tryAcquireOrRenew(): Promise<boolean> {
    const { namespace, leaseName: name } = this.opts;
    const now = new V1MicroTime();
    const leaseDurationSeconds = Math.ceil(this.opts.leaseDurationMs / 1000);
    let lease: V1Lease;
    try {
      lease = await this.api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (!isNotFound(err)) throw err;
      try {
        await this.api.createNamespacedLease({ namespace, body: { metadata: { name, namespace }, spec: { holderIdentity: this.identity, leaseDurationSeconds, acquireTime: now, renewTime: now, leaseTransitions: 0 } } });
        return true;
      } catch (e) {
        if (isConflict(e)) return false;
        throw e;
      }
    }
    const spec = lease.spec ?? {};
    const recordKey = `${spec.holderIdentity ?? ''}|${String(spec.renewTime ?? '')}`;
    if (recordKey !== this.observed.key) this.observed = { key: recordKey, at: this.clock() };
    const held = !!spec.holderIdentity;
    const mine = spec.holderIdentity === this.identity;
    const expired = this.clock() > this.observed.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
    if (held && !mine && !expired) return false;

    lease.spec = {
      ...spec,
      holderIdentity: this.identity,
      leaseDurationSeconds,
      renewTime: now,
      ...(mine ? {} : { acquireTime: now, leaseTransitions: (spec.leaseTransitions ?? 0) + (held ? 1 : 0) }),
    };
    try {
      await this.api.replaceNamespacedLease({ name, namespace, body: lease });
      return true;
    } catch (err) {
      if (isConflict(err)) return false;
      throw err;
    }
  }
}
