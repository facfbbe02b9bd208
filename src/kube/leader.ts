// Leader election through a coordination.k8s.io/v1 Lease (client-node ships none, DESIGN §7).
// Every write carries the Lease's resourceVersion, so two candidates cannot both win. As in
// client-go, expiry is judged by when this process last saw the record change, not by the
// holder's clock.
import { CoordinationV1Api, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from '../observability/logger.js';
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
}

export class LeaderElector {
  readonly identity: string;
  private readonly api: CoordinationV1Api;
  private leading = false;
  private lastRenew = 0;
  private observed: { key: string; at: number } = { key: '', at: 0 };
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(kc: KubeConfig, private readonly opts: LeaderElectionOptions) {
    this.api = kc.makeApiClient(CoordinationV1Api);
    this.identity = opts.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  start(): void {
    void this.tick();
  }

  /** Stops competing; a leader releases the Lease so that another replica takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (!this.leading) return;
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
    try {
      const won = await this.tryAcquireOrRenew();
      if (won) this.lastRenew = Date.now();
      if (won && !this.leading) this.setLeading(true);
    } catch (err) {
      this.opts.log.warn('leader election attempt failed', { error: (err as Error).message });
    }
    if (this.leading && Date.now() - this.lastRenew > this.opts.renewDeadlineMs) {
      this.opts.log.error('could not renew the leader lease in time; stepping down', { lease: this.opts.leaseName });
      this.setLeading(false);
    }
    if (!this.stopped) this.timer = setTimeout(() => void this.tick(), this.opts.retryPeriodMs);
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
    if (recordKey !== this.observed.key) this.observed = { key: recordKey, at: Date.now() };
    const held = !!spec.holderIdentity;
    const mine = spec.holderIdentity === this.identity;
    const expired = Date.now() > this.observed.at + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000;
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
