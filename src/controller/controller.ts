// Wiring of the AuthServer controller: informers feed indexes and the work queue; the queue's
// workers run the reconciler. Informer handlers only enqueue keys (they are not awaited).
import { CoreV1Api, type KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from '../api/time.js';
import { GROUP, VERSION, PLURAL, type AuthServer } from '../api/types.js';
import type { JwksPublisher, Readiness } from '../jwks/types.js';
import { generateKeyMaterial } from '../keys/generate.js';
import { makeApiClient } from '../kube/client.js';
import { eventRecorder } from '../kube/events.js';
import { readSecret } from '../kube/secrets.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { attestationFor } from './attestation.js';
import { Informer, objectKey } from './informer.js';
import { IssuerIndex } from './issuer-index.js';
import { WorkQueue } from './queue.js';
import { issuerClaim, servedIssuer, type IssuerPolicy } from './issuer-ownership.js';
import type { ReconcileOutcome } from './outcome.js';
import { clusterExecutor, type EffectDeps } from './effects.js';
import { ReconcileMemory } from './memory.js';
import { Reconciler, type ReconcilerDeps } from './reconciler.js';
import { readinessOf } from './readiness.js';
import { SecretIndex, referencedSecretNames } from './secret-index.js';
import { keyOnly } from './trim.js';
import { GENERATION_CONCURRENCY, limitConcurrency } from './generation-limit.js';


/** A Secret's add or update event: its name and the version it brought. */
interface SecretEvent {
  name: string;
  version: string;
}

export interface ControllerOptions {
  kc: KubeConfig;
  /** Empty: every namespace. */
  namespaces: string[];
  store: JwksPublisher;
  /** The signing service's keys (docs/architecture.md#the-signing-service), which the reconciler fills on every replica. */
  signingKeys?: EffectDeps['signingKeys'];
  log: Logger;
  metrics: Metrics;
  canWrite?: () => boolean;
  concurrency?: number;
  /** Seam for tests and benchmarks. */
  generate?: EffectDeps['generate'];
  /** Keys generated at once (see generation-limit.ts). */
  generationConcurrency?: number;
  /** What the cluster admin allows of issuers (default: https only, any host). */
  issuerPolicy?: IssuerPolicy;
  /** The cluster's service-account issuer (docs/architecture.md#the-service-account-issuer). */
  serviceAccountIssuer?: EffectDeps['serviceAccountIssuer'];
  /** Seals status.retiredKeys (rotation/seal.ts). */
  sealer: ReconcilerDeps['sealer'];
  /** One clock for the reconciler and the queue's timers (api/time.ts). */
  clock?: Clock;
}

export class Controller {
  private readonly authServers: Array<Informer<AuthServer>> = [];
  private readonly secretInformers = new Map<string, Informer<KubernetesObject>>();
  private readonly secretIndex = new SecretIndex();
  private readonly issuers = new IssuerIndex();
  private readonly issuerPolicy: IssuerPolicy;
  private readonly queue: WorkQueue;
  private readonly reconciler: Reconciler;
  /** What the reconciler remembers; told here which Secrets are no longer referenced. */
  private readonly memory = new ReconcileMemory();
  /** AuthServers whose documents are in the store. */
  private readonly published = new Set<string>();
  private servingAll = false;
  /** Consecutive failed reconciles per AuthServer, for readiness. */
  private readonly failures = new Map<string, number>();
  /** Secret changes seen while their AuthServer's reconcile runs, by AuthServer. */
  private readonly secretEventsDuring = new Map<string, SecretEvent[]>();
  /** AuthServers asked for before the Secrets they reference were listed (start()). */
  private readonly awaitingSecrets = new Set<string>();
  /** AuthServers whose last reconcile here held a write back (this replica did not lead): what a takeover runs again. */
  private readonly heldBack = new Set<string>();
  private readonly canWrite: () => boolean;

  constructor(private readonly opts: ControllerOptions) {
    const { kc, log, metrics } = opts;
    this.issuerPolicy = opts.issuerPolicy ?? { allowInsecure: false };
    // Every write is checked against canWrite when it is sent, not only when a reconcile starts.
    const canWrite = opts.canWrite ?? (() => true);
    this.canWrite = canWrite;
    const core = makeApiClient(kc, CoreV1Api, { canWrite });
    this.queue = new WorkQueue({
      concurrency: opts.concurrency ?? 16,
      onDepth: (d) => metrics.queueDepth.set(d),
      onRetry: () => metrics.queueRetries.inc(),
      ...(opts.clock && { clock: opts.clock }),
    });
    const scopes = opts.namespaces.length > 0 ? opts.namespaces : [''];
    for (const ns of scopes) {
      const nsPath = ns ? `/namespaces/${ns}` : '';
      this.authServers.push(new Informer<AuthServer>({
        kc, log, name: `authservers${ns ? `/${ns}` : ''}`,
        path: `/apis/${GROUP}/${VERSION}${nsPath}/${PLURAL}`,
        onChange: (type, obj, old) => this.onAuthServer(type, obj, old),
        onRestart: (reason) => metrics.watchRestarts.inc({ resource: 'authservers', reason }),
      }));
      this.secretInformers.set(ns, new Informer<KubernetesObject>({
        kc, log, name: `secrets${ns ? `/${ns}` : ''}`, metadataOnly: true, keep: keyOnly,
        path: `/api/v1${nsPath}/secrets`,
        onChange: (type, obj) => this.onSecret(type, obj),
        onRestart: (reason) => metrics.watchRestarts.inc({ resource: 'secrets', reason }),
      }));
    }
    const effects: EffectDeps = {
      core,
      kc,
      events: eventRecorder(core),
      store: {
        set: (doc) => {
          opts.store.set(doc);
          this.published.add(`${doc.namespace}/${doc.name}`);
        },
        delete: (namespace, name) => {
          opts.store.delete(namespace, name);
          this.published.delete(`${namespace}/${name}`);
        },
      },
      ...(opts.signingKeys && { signingKeys: opts.signingKeys }),
      ...(opts.serviceAccountIssuer && { serviceAccountIssuer: opts.serviceAccountIssuer }),
      canWrite,
      generate: limitConcurrency(opts.generate ?? generateKeyMaterial, opts.generationConcurrency ?? GENERATION_CONCURRENCY),
      log,
      metrics,
      memory: this.memory,
    };
    this.reconciler = new Reconciler({
      reader: {
        authServer: (key) => this.getAuthServer(key),
        secretVersion: (namespace, name) => this.secretInformerFor(namespace)?.get(`${namespace}/${name}`)?.metadata?.resourceVersion,
        readSecret: (namespace, name) => readSecret(kc, namespace, name),
        olderClaimant: (key) => this.issuers.olderClaimant(key),
        servedJwks: (namespace, name, kids) => opts.store.servedJwks(namespace, name, kids),
      },
      memory: this.memory,
      executor: (key, as) => clusterExecutor(effects, key, as),
      issuerPolicy: this.issuerPolicy,
      sealer: opts.sealer,
      ...(opts.serviceAccountIssuer && { serviceAccountIssuer: opts.serviceAccountIssuer }),
      metrics,
      ...(opts.clock && { clock: opts.clock }),
    });
  }

  /** Every informer has delivered its first list. */
  get synced(): boolean {
    return this.authServers.every((i) => i.synced) && [...this.secretInformers.values()].every((i) => i.synced);
  }

  /** Ready to serve (readiness.ts); latched once reached, so a new AuthServer does not make the replica unready. */
  readiness(): Readiness {
    if (this.servingAll) return { ready: true, message: 'ok' };
    // Cache keys, not objectKey() of each object: asked every 100 ms or so while a replica starts.
    const listed = this.synced ? this.authServers.flatMap((i) => [...i.keys()]) : [];
    const verdict = readinessOf({ synced: this.synced, listed, published: this.published, failures: this.failures });
    this.servingAll = verdict.ready;
    return verdict;
  }

  /**
   * An AuthServer is reconciled once the Secrets' informer has listed the Secrets it references
   * (client-go's WaitForCacheSync, per AuthServer): a reconcile before it cannot tell an attested
   * version (attestation.ts) from a changed one, and would read every Secret. Both first lists
   * arrive page by page, and the reconciles run between their pages (at 10,000 AuthServers, while
   * the API server is still answering); a Secret listed is at the version the whole list gives.
   */
  start(): void {
    for (const informer of this.secretInformers.values()) {
      // Those still waiting on another namespace's list wait on (enqueue).
      void informer.whenSynced().then(() => { for (const key of [...this.awaitingSecrets]) this.releaseAwaiting(key); });
    }
    this.queue.start((key) => this.handle(key));
    for (const i of [...this.secretInformers.values(), ...this.authServers]) i.start();
  }

  /** Re-reconciles everything (the cluster's service-account issuer changed). */
  resyncAll(): void {
    for (const i of this.authServers) for (const key of i.keys()) this.enqueue(key, 'the cluster\'s service-account issuer changed');
  }

  /**
   * This replica became leader. Every replica reconciles every AuthServer as events come, so a new
   * leader runs again only those whose last reconcile held a write back, or failed (its retry may be
   * minutes away in backoff, after an API outage); the others found nothing to write, and their
   * next transition is already timed (the queue's delayed adds). At 10,000 AuthServers a takeover
   * is then a handful of reconciles, not 10,000 beside the JWKS load.
   */
  takeOver(): void {
    for (const key of this.heldBack) this.enqueue(key, 'this replica became leader, and the reconcile before held a write back');
    for (const key of this.failures.keys()) this.enqueue(key, 'this replica became leader, and the reconcile before failed');
  }

  async stop(): Promise<void> {
    await Promise.all([...this.authServers, ...this.secretInformers.values()].map((i) => i.stop()));
    await this.queue.shutdown();
  }

  private async handle(key: string): Promise<ReconcileOutcome> {
    const { metrics, log } = this.opts;
    const end = metrics.reconcileDuration.startTimer();
    const secretEvents: SecretEvent[] = [];
    this.secretEventsDuring.set(key, secretEvents);
    let outcome: ReconcileOutcome | undefined;
    try {
      outcome = await this.reconciler.reconcile(key);
      metrics.reconciles.inc({ result: outcome.result });
      log.debug('reconciled', { authserver: key, result: outcome.result });
      this.failures.delete(key);
      this.noteHeldBack(key, outcome.heldBack === true);
      return outcome;
    } catch (err) {
      metrics.reconciles.inc({ result: 'error' });
      this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
      log.warn('reconcile failed; retrying with backoff', { authserver: key, error: (err as Error).message });
      throw err;
    } finally {
      end();
      this.secretEventsDuring.delete(key);
      // Still active here: the queue runs the key once more when it ends (queue.ts).
      const unread = secretEvents.find((e) => outcome?.secretsRead?.get(e.name) !== e.version);
      if (unread) this.enqueue(key, `Secret ${unread.name} at version ${unread.version}, which its reconcile did not read, came during it`);
    }
  }

  private noteHeldBack(key: string, held: boolean): void {
    if (!held) {
      this.heldBack.delete(key);
      return;
    }
    this.heldBack.add(key);
    // Leadership came while it ran, after takeOver() had read the set: run it again now.
    if (this.canWrite()) this.enqueue(key, 'its reconcile held a write back as this replica became leader');
  }

  private getAuthServer(key: string): AuthServer | undefined {
    for (const i of this.authServers) {
      const found = i.get(key);
      if (found) return found;
    }
    return undefined;
  }

  private secretInformerFor(namespace: string): Informer<KubernetesObject> | undefined {
    return this.secretInformers.get(namespace) ?? this.secretInformers.get('');
  }

  /** Whether the Secrets' informer has listed every Secret the AuthServer references, or all of them (start()). */
  private secretsListed(key: string): boolean {
    const informer = this.secretInformerFor(key.slice(0, key.indexOf('/')));
    return !informer || informer.synced || this.secretIndex.secretsOf(key).every((s) => informer.get(s) !== undefined);
  }

  /** Queues an AuthServer that waited for its Secrets to be listed (enqueue keeps it waiting if they are not yet); false if it was not waiting. */
  private releaseAwaiting(key: string): boolean {
    if (!this.awaitingSecrets.delete(key)) return false;
    this.enqueue(key, 'the Secrets it references were listed');
    return true;
  }

  private onAuthServer(type: 'add' | 'update' | 'delete', obj: AuthServer, old: AuthServer | undefined): void {
    const key = objectKey(obj);
    const ns = obj.metadata.namespace ?? '';
    const name = obj.metadata.name ?? '';
    const affected = type === 'delete'
      ? this.issuers.remove(key)
      : this.issuers.set(key, issuerClaim(obj, this.issuerPolicy), String(obj.metadata.creationTimestamp ?? ''), servedIssuer(obj));
    if (type === 'delete') {
      for (const s of referencedSecretNames(obj)) this.dropUnreferenced(ns, s, key);
      this.secretIndex.remove(ns, name);
    } else {
      const before = old ? referencedSecretNames(old) : [];
      this.secretIndex.set(ns, name, referencedSecretNames(obj));
      for (const s of before) if (!this.secretIndex.isReferenced(ns, s)) this.memory.forgetSecret(ns, s);
    }
    // Our own status write coming back needs no reconcile (at 10,000 AuthServers, half the work).
    if (type !== 'update' || !this.memory.caughtUp(key, obj)) this.enqueue(key, `AuthServer ${type} at version ${obj.metadata.resourceVersion ?? ''}`);
    for (const k of affected) this.enqueue(k, `issuer claim of ${key} changed`);
  }

  /** Why a reconcile was asked for, at debug level: what to read when an AuthServer reconciles more than expected. */
  private enqueue(key: string, cause: string): void {
    if (!this.secretsListed(key)) {
      this.awaitingSecrets.add(key);
      return;
    }
    this.opts.log.debug('reconcile queued', { authserver: key, cause });
    this.queue.add(key);
  }

  private dropUnreferenced(ns: string, secret: string, except: string): void {
    if (this.secretIndex.authServersFor(ns, secret).every((k) => k === except)) this.memory.forgetSecret(ns, secret);
  }

  private onSecret(type: 'add' | 'update' | 'delete', obj: KubernetesObject): void {
    const name = obj.metadata?.name ?? '';
    const version = obj.metadata?.resourceVersion;
    for (const key of this.secretIndex.authServersFor(obj.metadata?.namespace ?? '', name)) {
      if (this.releaseAwaiting(key)) continue;
      // During its reconcile: weighed against the version that reconcile read, once it ends (at a
      // cold start of many, a Secret's event often comes while its AuthServer's first reconcile runs).
      const during = this.secretEventsDuring.get(key);
      if (during && type !== 'delete' && version !== undefined) {
        during.push({ name, version });
        continue;
      }
      // The reconcile that attested this very version in status has read it: nothing new for that
      // AuthServer (at a cold start of many, its Secrets' events often come after its own).
      const attestedVersion = attestationFor(this.memory.latest(key, this.getAuthServer(key)), name)?.resourceVersion;
      if (type === 'delete' || version === undefined || attestedVersion !== version) this.enqueue(key, `Secret ${name} ${type} at version ${version ?? ''}`);
    }
  }
}
