// The executor of act.ts against the cluster and this process: Secrets, status and events through
// the API server (the leader's), the served document, the signing service's keys, the
// service-account issuer, metrics and the reconciler's memory (every replica). Each method does
// what it is told; what to do, and in which order, is plan.ts's and act.ts's.
import type { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { KID_ANNOTATION, type AuthServer } from '../api/types.js';
import type { JwksPublisher } from '../jwks/types.js';
import type { generateKeyMaterial } from '../keys/generate.js';
import { isSymmetricAlgorithm } from '../api/algorithms.js';
import { generateKid, generateSecret } from '../keys/symmetric.js';
import { apiErrorMessage, isConflict } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { createGeneratedSecret, patchGeneratedSecret, patchGeneratedSecretOperations } from '../kube/secrets.js';
import { writeStatus } from '../kube/status.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { ServiceAccountIssuerHook } from '../sa-signer/service.js';
import type { SigningKeyStore } from '../signing/key-store.js';
import type { Executor } from './act.js';
import type { ReconcileMemory } from './memory.js';

export interface EffectDeps {
  core: CoreV1Api;
  /** For the status write (kube/status.ts). */
  kc: KubeConfig;
  events: EventRecorder;
  store: Pick<JwksPublisher, 'set' | 'delete'>;
  /** The signing service's keys (docs/architecture.md#the-signing-service), filled on every replica for AuthServers with spec.signing.enabled. */
  signingKeys?: Pick<SigningKeyStore, 'set' | 'delete'>;
  /** The cluster's service-account issuer (docs/architecture.md#the-service-account-issuer), when Signet signs for the kube-apiserver. */
  serviceAccountIssuer?: ServiceAccountIssuerHook;
  /** Only the leader writes (Secrets, status, events); every replica serves. */
  canWrite: () => boolean;
  generate: typeof generateKeyMaterial;
  log: Logger;
  metrics: Metrics;
  memory: ReconcileMemory;
}

/** The executor for one reconcile of `key` (namespace/name); `as` is undefined when the AuthServer is gone. */
export function clusterExecutor(deps: EffectDeps, key: string, as: AuthServer | undefined): Executor {
  const [namespace = '', name = ''] = key.split('/');
  const target = (): AuthServer => {
    if (!as) throw new Error(`AuthServer ${key} is gone: nothing to write`);
    return as;
  };
  return {
    serve: (document) => deps.store.set(document),
    keep: (views) => {
      if (views.signing) deps.signingKeys?.set(namespace, name, views.signing);
      else deps.signingKeys?.delete(namespace, name);
      deps.memory.holdPrivate(key, views.privateOf);
      deps.memory.setMetrics(key, views.metrics);
      if (deps.serviceAccountIssuer?.is(key)) deps.serviceAccountIssuer.observe(key, views.serviceAccountIssuer);
    },
    forget: () => {
      deps.store.delete(namespace, name);
      deps.signingKeys?.delete(namespace, name);
      deps.serviceAccountIssuer?.observe(key, undefined);
      deps.memory.forget(key);
    },
    canWrite: () => deps.canWrite(),
    createSecret: async (secret) => {
      const { algorithm } = secret;
      const symmetric = isSymmetricAlgorithm(algorithm);
      try {
        const material = symmetric ? { secret: generateSecret(algorithm) } : await deps.generate(algorithm, secret.rsaKeySize);
        const created = await createGeneratedSecret(deps.core, {
          namespace, name: secret.name, authServerName: secret.authServerName, algorithm, material,
          annotations: { ...secret.annotations, ...(symmetric ? { [KID_ANNOTATION]: generateKid() } : {}) },
          ...(secret.owner && { owner: secret.owner }),
        });
        // Not created: another reconcile or a user won the race; the next reconcile reads what is there.
        if (created) {
          deps.metrics.keysGenerated.inc({ algorithm });
          deps.log.info('generated key', { namespace, authserver: name, secret: secret.name, algorithm });
        }
        return created;
      } catch (err) {
        deps.log.error('key generation failed', { namespace, authserver: name, secret: secret.name, error: apiErrorMessage(err) });
        throw err;
      }
    },
    generateKey: (algorithm, rsaKeySize) => deps.generate(algorithm, rsaKeySize),
    // The log lines before and after the write mark the step for operators (and for the crash
    // tests, which kill the process when they appear).
    writeSecret: async (change, patch) => {
      const fields = { namespace, authserver: name, secret: change.secretName, step: change.kind };
      deps.log.info('rotation step: writing Secret', fields);
      const done = Array.isArray(patch)
        ? await patchGeneratedSecretOperations(deps.core, namespace, change.secretName, change.resourceVersion, patch)
        : await patchGeneratedSecret(deps.core, namespace, change.secretName, change.resourceVersion, patch as Exclude<typeof patch, readonly unknown[]>);
      // Parsed again from the version the write made (or the one that won).
      deps.memory.forgetSecret(namespace, change.secretName);
      if (!done) {
        deps.log.info('rotation step: Secret changed meanwhile; reading it again', fields);
        return false;
      }
      deps.log.info('rotation step: Secret written', fields);
      if (change.kind === 'GenerateNext' || change.kind === 'Emergency') deps.metrics.keysGenerated.inc({ algorithm: change.algorithm });
      if (change.kind === 'Promote') deps.metrics.rotations.inc({ kind: change.trigger === 'Manual' ? 'manual' : 'scheduled' });
      if (change.kind === 'Emergency') deps.metrics.rotations.inc({ kind: 'emergency' });
      return true;
    },
    writeStatus: async (status, promoting) => {
      const object = target();
      if (promoting) deps.log.info('rotation step: writing status (the replaced key into retiredKeys)', { namespace, authserver: name, step: 'Promote' });
      deps.memory.writingStatus(key, status, object);
      let written: AuthServer | undefined;
      try {
        const stored = await writeStatus(deps.kc, deps.canWrite, object, status);
        written = { ...object, metadata: { ...object.metadata, resourceVersion: stored.metadata.resourceVersion }, status: stored.status ?? status };
        return true;
      } catch (err) {
        // The informer brings the newer object and with it another reconcile.
        if (isConflict(err)) return false;
        throw err;
      } finally {
        deps.memory.wroteStatus(key, written);
      }
    },
    record: async (e) => {
      try {
        await deps.events.record(target(), e.type, e.reason, e.message);
      } catch (err) {
        // An event that cannot be written must not fail the reconcile: status already says it.
        deps.log.warn('could not record event', { namespace, authserver: name, reason: e.reason, error: (err as Error).message });
      }
    },
  };
}
