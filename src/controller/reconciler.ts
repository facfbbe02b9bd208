// Reconciles one AuthServer: read (cache, Secrets), decide (decide.ts, pure), act (serve the
// document, write status, record events). Level-triggered and idempotent: running it twice, or
// after a crash half-way, converges on the same state, and a key is generated only when its
// Secret is confirmed missing by the API server.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { effectiveSpec, type EffectiveSpec } from '../api/defaults.js';
import { API_VERSION, KIND, type AuthServer, type KeyRole, type KeyStatus } from '../api/types.js';
import type { JwksStore } from '../jwks/store.js';
import type { generateKeyMaterial } from '../keys/generate.js';
import { loadKey } from '../keys/load.js';
import type { LoadResult } from '../keys/types.js';
import { apiErrorMessage, isConflict } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { createGeneratedSecret, isGeneratedBySignet, readSecret, type SecretSnapshot } from '../kube/secrets.js';
import { writeStatus } from '../kube/status.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, PublishedKey } from '../observability/metrics.js';
import { decide, type IssuerVerdict, type RefOutcome, type RefResolution } from './decide.js';
import type { IssuerIndex } from './issuer-index.js';
import { issuerVerdict, type IssuerPolicy } from './issuer-ownership.js';

export interface ReconcilerDeps {
  getAuthServer: (key: string) => AuthServer | undefined;
  /** The resourceVersion the Secret watch has seen, if any. */
  secretVersion: (namespace: string, name: string) => string | undefined;
  issuers: IssuerIndex;
  /** What the cluster admin allows of issuers (command line). */
  issuerPolicy: IssuerPolicy;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  events: EventRecorder;
  store: Pick<JwksStore, 'set' | 'delete'>;
  /** Only the leader writes (Secrets, status, events); every replica serves. */
  canWrite: () => boolean;
  generate: typeof generateKeyMaterial;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
}

/** How a reconcile ended, for metrics and the work queue. */
export interface ReconcileOutcome {
  /** conflict: the status write lost to a newer object, whose watch event brings another reconcile. */
  result: 'success' | 'conflict';
  requeueAfterMs?: number;
}

/**
 * Thrown after status and events are written when a key could not be generated, so that the
 * work queue retries this AuthServer alone, with its own exponential backoff.
 */
export class GenerationFailedError extends Error {}

interface ParsedSecret {
  version: string;
  generated: boolean;
  /** Load results by variant (private half required, kid format). */
  results: Map<string, LoadResult>;
}

export class Reconciler {
  /**
   * Parsed keys by Secret and resourceVersion: a Secret is read and parsed once per change, and
   * only the parse result (public halves) is kept, never the Secret's bytes.
   */
  private readonly parsed = new Map<string, ParsedSecret>();
  /** The keys each AuthServer serves, for metrics. */
  private readonly published = new Map<string, PublishedKey[]>();

  constructor(private readonly deps: ReconcilerDeps) {
    deps.metrics.setPublishedKeys(() => [...this.published.values()].flat());
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { deps } = this;
    const as = deps.getAuthServer(key);
    if (!as) {
      const [namespace = '', name = ''] = key.split('/');
      deps.store.delete(namespace, name);
      this.published.delete(key);
      for (const role of ['SignAndVerify', 'VerifyOnly']) deps.metrics.keys.remove({ namespace, authserver: name, role });
      return { result: 'success' };
    }
    const spec = effectiveSpec(as.spec);
    const refs: Array<{ name: string; role: KeyRole }> = [
      { name: spec.signAndVerifyKeyRef.name, role: 'SignAndVerify' },
      ...spec.extraVerifyKeyRefs.map((r) => ({ name: r.name, role: 'VerifyOnly' as const })),
    ];
    const resolutions = await Promise.all(refs.map(async (ref): Promise<RefResolution> => ({
      secretName: ref.name, role: ref.role, outcome: await this.resolve(as, spec, ref.name, ref.role),
    })));
    const now = (deps.now ?? (() => new Date()))().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const decision = decide({ authServer: as, spec, resolutions, issuer: this.issuerVerdict(key, as), now });

    deps.store.set(decision.document);
    this.observeKeys(key, as, decision.status.keys ?? []);
    if (!deps.canWrite()) return { result: 'success' };
    if (decision.statusChanged) {
      try {
        await writeStatus(deps.custom, as, decision.status);
      } catch (err) {
        // The informer brings the newer object and with it another reconcile.
        if (isConflict(err)) return { result: 'conflict' };
        throw err;
      }
    }
    for (const e of decision.events) await this.record(as, e.type, e.reason, e.message);
    const failed = resolutions.find((r) => !r.outcome.ok && r.outcome.reason === 'GenerationFailed');
    if (failed && !failed.outcome.ok) throw new GenerationFailedError(failed.outcome.message);
    return { result: 'success' };
  }

  private issuerVerdict(key: string, as: AuthServer): IssuerVerdict {
    return issuerVerdict(as, this.deps.issuerPolicy, this.deps.issuers.olderClaimant(key));
  }

  private async resolve(as: AuthServer, spec: EffectiveSpec, secretName: string, role: KeyRole): Promise<RefOutcome> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    const requirePrivate = role === 'SignAndVerify';
    // While the watch reports the version already parsed, the Secret has not changed: no GET.
    const known = deps.secretVersion(namespace, secretName);
    const cached = this.parsed.get(`${namespace}/${secretName}`);
    const hit = known !== undefined && cached?.version === known ? cached.results.get(variantOf(requirePrivate, spec)) : undefined;
    if (hit && cached) return outcomeOf(hit, cached.generated);

    let secret = await readSecret(deps.core, namespace, secretName);
    if (!secret) {
      const refField = role === 'SignAndVerify' ? 'spec.tokenSignature.signAndVerifyKeyRef' : 'spec.tokenSignature.extraVerifyKeyRefs';
      if (spec.keyGeneration.mode === 'Never') {
        return { ok: false, reason: 'SecretNotFound', message: `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; create it with a key.pem, or set spec.tokenSignature.keyGeneration.mode to IfMissing to let Signet generate it` };
      }
      if (!deps.canWrite()) {
        return { ok: false, reason: 'SecretNotFound', message: `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; the leader replica generates it` };
      }
      const generated = await this.generate(as, spec, secretName);
      if (!generated.ok) return generated;
      secret = generated.secret;
    }
    return outcomeOf(this.load(secret, requirePrivate, spec), isGeneratedBySignet(secret.labels));
  }

  private async generate(as: AuthServer, spec: EffectiveSpec, secretName: string): Promise<{ ok: true; secret: SecretSnapshot } | { ok: false; reason: 'GenerationFailed'; message: string }> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    const { algorithm, rsaKeySize, deletionPolicy } = spec.keyGeneration;
    try {
      const material = await deps.generate(algorithm, rsaKeySize);
      const created = await createGeneratedSecret(deps.core, {
        namespace, name: secretName, authServerName: as.metadata.name ?? '', algorithm, material,
        ...(deletionPolicy === 'Delete' ? { owner: { apiVersion: API_VERSION, kind: KIND, name: as.metadata.name ?? '', uid: as.metadata.uid ?? '' } } : {}),
      });
      if (created) {
        deps.metrics.keysGenerated.inc({ algorithm });
        deps.log.info('generated key', { namespace, authserver: as.metadata.name, secret: secretName, algorithm });
        const size = algorithm.startsWith('RS') || algorithm.startsWith('PS') ? `${rsaKeySize}-bit ` : '';
        await this.record(as, 'Normal', 'KeyGenerated', `Generated a ${size}${algorithm} key in Secret "${secretName}" (deletionPolicy ${deletionPolicy})`);
      }
      // Created by us or, after a 409, by whoever won the race: read back what is there.
      const secret = await readSecret(deps.core, namespace, secretName);
      if (secret) return { ok: true, secret };
      return { ok: false, reason: 'GenerationFailed', message: `Secret "${secretName}" was created but cannot be read back; it will be retried` };
    } catch (err) {
      // The message is the API's own (stable from one attempt to the next), never the response dump.
      const cause = apiErrorMessage(err);
      deps.log.error('key generation failed', { namespace, authserver: as.metadata.name, secret: secretName, error: cause });
      return { ok: false, reason: 'GenerationFailed', message: `generating a ${algorithm} key into Secret "${secretName}" failed: ${cause.replace(/\.$/, '')}; check that Signet may create Secrets in namespace "${namespace}"` };
    }
  }

  private load(secret: SecretSnapshot, requirePrivate: boolean, spec: EffectiveSpec): LoadResult {
    const id = `${secret.namespace}/${secret.name}`;
    let entry = this.parsed.get(id);
    if (!entry || entry.version !== secret.resourceVersion) {
      entry = { version: secret.resourceVersion, generated: isGeneratedBySignet(secret.labels), results: new Map() };
      this.parsed.set(id, entry);
    }
    const variant = variantOf(requirePrivate, spec);
    let result = entry.results.get(variant);
    if (!result) {
      result = loadKey({ secretName: secret.name, data: secret.data, annotations: secret.annotations, requirePrivate, keyIdFormat: spec.keyIdFormat });
      // Signet publishes, it never signs: the private half is not kept in memory.
      if (result.ok) result = { ok: true, key: { ...result.key, privateKey: undefined } };
      entry.results.set(variant, result);
    }
    return result;
  }

  /** Drops what is remembered of a Secret that no AuthServer references any more. */
  forgetSecret(namespace: string, name: string): void {
    this.parsed.delete(`${namespace}/${name}`);
  }

  private observeKeys(key: string, as: AuthServer, keys: readonly KeyStatus[]): void {
    const labels = { namespace: as.metadata.namespace ?? '', authserver: as.metadata.name ?? '' };
    for (const role of ['SignAndVerify', 'VerifyOnly']) this.deps.metrics.keys.set({ ...labels, role }, keys.filter((k) => k.role === role).length);
    this.published.set(key, keys.map((k) => ({ ...labels, kid: k.kid, role: k.role, publishedSince: k.publishedSince })));
  }

  private async record(as: AuthServer, type: 'Normal' | 'Warning', reason: Parameters<EventRecorder['record']>[2], message: string): Promise<void> {
    try {
      await this.deps.events.record(as, type, reason, message);
    } catch (err) {
      // An event that cannot be written must not fail the reconcile: status already says it.
      this.deps.log.warn('could not record event', { namespace: as.metadata.namespace, authserver: as.metadata.name, reason, error: (err as Error).message });
    }
  }
}

function variantOf(requirePrivate: boolean, spec: EffectiveSpec): string {
  return `${requirePrivate}/${spec.keyIdFormat}`;
}

function outcomeOf(result: LoadResult, generated: boolean): RefOutcome {
  return result.ok ? { ok: true, key: result.key, generated } : { ok: false, reason: result.problem.reason, message: result.problem.message };
}
