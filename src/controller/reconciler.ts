// Reconciles one AuthServer: read (cache, Secrets), decide (decide.ts, pure), act (serve the
// document, write status, record events). Level-triggered and idempotent: running it twice, or
// after a crash half-way, converges on the same state, and a key is generated only when its
// Secret is confirmed missing by the API server.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { effectiveSpec, type EffectiveSpec } from '../api/defaults.js';
import { checkIssuer } from '../api/issuer.js';
import { ALLOW_UNSAFE_ISSUER_ANNOTATION, API_VERSION, KIND, type AuthServer, type KeyRole, type KeyStatus } from '../api/types.js';
import type { JwksStore } from '../jwks/store.js';
import type { generateKeyMaterial } from '../keys/generate.js';
import { loadKey } from '../keys/load.js';
import type { LoadResult } from '../keys/types.js';
import { isConflict } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { createGeneratedSecret, isGeneratedBySignet, type SecretReader, type SecretSnapshot } from '../kube/secrets.js';
import { writeStatus } from '../kube/status.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, PublishedKey } from '../observability/metrics.js';
import { decide, type IssuerVerdict, type RefOutcome, type RefResolution } from './decide.js';
import type { IssuerIndex } from './issuer-index.js';
import type { HandlerResult } from './queue.js';

export interface ReconcilerDeps {
  getAuthServer: (key: string) => AuthServer | undefined;
  /** The resourceVersion the Secret watch has seen, if any. */
  secretVersion: (namespace: string, name: string) => string | undefined;
  secrets: SecretReader;
  issuers: IssuerIndex;
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

/** The route an AuthServer's issuer claims, or undefined when the issuer is invalid. */
export function issuerRoute(as: AuthServer): string | undefined {
  const check = checkIssuer(as.spec?.issuerURI ?? '', as.metadata.annotations?.[ALLOW_UNSAFE_ISSUER_ANNOTATION] === 'true');
  return check.ok ? `${check.host}${check.path}` : undefined;
}

/** Whether the status says this AuthServer has been serving its issuer (not waiting on a conflict). */
export function servedIssuer(as: AuthServer): boolean {
  const ready = as.status?.conditions?.find((c) => c.type === 'Ready');
  return !!ready && as.status?.issuerURI === as.spec?.issuerURI && ready.reason !== 'IssuerConflict' && ready.reason !== 'InvalidIssuerURI';
}

export class Reconciler {
  /** Parsed keys by Secret and resourceVersion: a Secret is parsed once per change. */
  private readonly parsed = new Map<string, { version: string; results: Map<string, LoadResult> }>();
  /** The keys each AuthServer serves, for metrics. */
  private readonly published = new Map<string, PublishedKey[]>();

  constructor(private readonly deps: ReconcilerDeps) {
    deps.metrics.setPublishedKeys(() => [...this.published.values()].flat());
  }

  async reconcile(key: string): Promise<HandlerResult> {
    const { deps } = this;
    const as = deps.getAuthServer(key);
    if (!as) {
      const [namespace = '', name = ''] = key.split('/');
      deps.store.delete(namespace, name);
      this.published.delete(key);
      for (const role of ['SignAndVerify', 'VerifyOnly']) deps.metrics.keys.remove({ namespace, authserver: name, role });
      return;
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
    if (!deps.canWrite()) return;
    if (decision.statusChanged) {
      try {
        await writeStatus(deps.custom, as, decision.status);
      } catch (err) {
        // The informer brings the newer object and with it another reconcile.
        if (isConflict(err)) {
          deps.metrics.reconciles.inc({ result: 'conflict' });
          return;
        }
        throw err;
      }
    }
    for (const e of decision.events) await this.record(as, e.type, e.reason, e.message);
  }

  private issuerVerdict(key: string, as: AuthServer): IssuerVerdict {
    const allowUnsafe = as.metadata.annotations?.[ALLOW_UNSAFE_ISSUER_ANNOTATION] === 'true';
    const check = checkIssuer(as.spec.issuerURI, allowUnsafe);
    if (!check.ok) return { ok: false, reason: 'InvalidIssuerURI', message: check.message };
    const owner = this.deps.issuers.owner(`${check.host}${check.path}`);
    if (owner && owner !== key) {
      return { ok: false, reason: 'IssuerConflict', message: `issuer "${as.spec.issuerURI}" is already served by the older AuthServer ${owner}; choose another issuerURI or delete that AuthServer` };
    }
    return { ok: true };
  }

  private async resolve(as: AuthServer, spec: EffectiveSpec, secretName: string, role: KeyRole): Promise<RefOutcome> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    let secret = await deps.secrets.read(namespace, secretName, deps.secretVersion(namespace, secretName));
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
    const result = this.load(secret, role === 'SignAndVerify', spec);
    if (!result.ok) return { ok: false, reason: result.problem.reason, message: result.problem.message };
    return { ok: true, key: result.key, generated: isGeneratedBySignet(secret.labels) };
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
      const secret = await deps.secrets.read(namespace, secretName, undefined);
      if (secret) return { ok: true, secret };
      return { ok: false, reason: 'GenerationFailed', message: `Secret "${secretName}" was created but cannot be read back; it will be retried` };
    } catch (err) {
      deps.log.error('key generation failed', { namespace, authserver: as.metadata.name, secret: secretName, error: (err as Error).message });
      return { ok: false, reason: 'GenerationFailed', message: `generating a ${algorithm} key into Secret "${secretName}" failed: ${(err as Error).message}; check that Signet may create Secrets in namespace "${namespace}"` };
    }
  }

  private load(secret: SecretSnapshot, requirePrivate: boolean, spec: EffectiveSpec): LoadResult {
    const id = `${secret.namespace}/${secret.name}`;
    let entry = this.parsed.get(id);
    if (!entry || entry.version !== secret.resourceVersion) {
      entry = { version: secret.resourceVersion, results: new Map() };
      this.parsed.set(id, entry);
    }
    const variant = `${requirePrivate}/${spec.keyIdFormat}`;
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
    this.deps.secrets.forget(namespace, name);
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
