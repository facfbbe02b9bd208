// Reconciles one AuthServer: read (cache, Secrets), decide (decide.ts, pure), act (serve the
// document, write status, record events). Level-triggered and idempotent: running it twice, or
// after a crash half-way, converges on the same state, and a key is generated only when its
// Secret is confirmed missing by the API server.
import type { CoreV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { isDeepStrictEqual } from 'node:util';
import { effectiveSpec, type EffectiveSpec } from '../api/defaults.js';
import { SignetError } from '../api/errors.js';
import { fail, ok } from '../api/result.js';
import { API_VERSION, EXPORTABLE_ANNOTATION, KID_ANNOTATION, KIND, type AuthServer, type AuthServerStatus, type KeyRole, type KeyStatus } from '../api/types.js';
import type { JwksStore } from '../jwks/store.js';
import type { generateKeyMaterial } from '../keys/generate.js';
import { loadKey } from '../keys/load.js';
import { ALGORITHM_TABLE, isSymmetricAlgorithm } from '../api/algorithms.js';
import { generateKid, generateSecret, isPublishable } from '../keys/symmetric.js';
import type { AnyLoadedKey, KeyResult, PublicJwk } from '../keys/types.js';
import { apiErrorMessage, isConflict } from '../kube/errors.js';
import type { EventRecorder } from '../kube/events.js';
import { createGeneratedSecret, patchGeneratedSecret, patchGeneratedSecretOperations, readSecret, type SecretSnapshot } from '../kube/secrets.js';
import { writeStatus } from '../kube/status.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics, PublishedKey } from '../observability/metrics.js';
import type { SigningLayout } from '../rotation/decision.js';
import type { ServiceAccountIssuerHook } from '../sa-signer/service.js';
import type { Sealer } from '../rotation/seal.js';
import { signingEntryFor, type SigningKeyStore } from '../signing/key-store.js';
import {
  NEXT_KEY_DATA_KEYS, NEXT_KEY_PEM, emergencyChange, generateNextChange, initialAnnotations, nextKeyData, promoteOperations, readRequests, readSecretRecord,
  requestPromotionChange, type SecretChange as SecretPatch, type SecretRecord,
} from '../rotation/secret-layout.js';
import { act, type Executor } from './act.js';
import { decide, type Decision, type IssuerVerdict, type RefResolution, type SecretChange } from './decide.js';
import type { IssuerIndex } from './issuer-index.js';
import type { ReconcileOutcome } from './outcome.js';
import { custodyOf, mayExport, mayRotate, maySign, signingRefusal, type Custody } from './key-custody.js';
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
  /** The signing service's keys (DESIGN §9), filled on every replica for AuthServers with spec.signing.enabled. */
  signingKeys?: Pick<SigningKeyStore, 'set' | 'delete'>;
  /** The cluster's service-account issuer (DESIGN §12), when Signet signs for the kube-apiserver. */
  serviceAccountIssuer?: ServiceAccountIssuerHook;
  /** Only the leader writes (Secrets, status, events); every replica serves. */
  canWrite: () => boolean;
  generate: typeof generateKeyMaterial;
  /** Seals status.retiredKeys with a key only Signet reads (rotation/seal.ts). */
  sealer: Sealer;
  log: Logger;
  metrics: Metrics;
  now?: () => Date;
}

/**
 * Thrown after status and events are written when a key could not be generated, so that the
 * work queue retries this AuthServer alone, with its own exponential backoff.
 */
export class GenerationFailedError extends SignetError {
  override readonly code = 'ERR_SIGNET_GENERATION_FAILED';
  /** Why, by Secret name. */
  constructor(message: string, readonly failures: ReadonlyMap<string, string>) {
    super(message);
  }
}

interface ParsedSecret {
  version: string;
  /** Who may have Signet use its key (key-custody.ts). */
  custody: Custody;
  /** Names of the Secret's data keys and annotations at this version (what a promotion moves). */
  dataKeys: ReadonlySet<string>;
  annotationKeys: ReadonlySet<string>;
  /** Signet's rotation record in the Secret's annotations. */
  record: SecretRecord;
  /** Load results by variant (private half required, kid format); `next/…` for next.key.pem. */
  results: Map<string, KeyResult<AnyLoadedKey>>;
}

export class Reconciler {
  /**
   * Parsed keys by Secret and resourceVersion: a Secret is read and parsed once per change, and
   * only the parse result (public halves) is kept, never the Secret's bytes.
   */
  private readonly parsed = new Map<string, ParsedSecret>();
  /** The keys each AuthServer serves, for metrics. */
  private readonly published = new Map<string, PublishedKey[]>();
  /** Public JWKs served per AuthServer, by kid: what a key replaced in place looked like (retention). */
  private readonly servedJwks = new Map<string, Map<string, PublicJwk>>();
  /**
   * The object as our last status write left it, while the informer has not caught up: a
   * reconcile right after a write must not decide (and serve) from the status before it.
   */
  private readonly written = new Map<string, { basedOn: string | undefined; object: AuthServer }>();
  /** The status being written now and the object it was decided from: its watch event may come before the answer. */
  private readonly writing = new Map<string, { status: AuthServerStatus; from: AuthServer }>();
  /** The Secret (namespace/name) whose private key is parsed and kept for each signing AuthServer. */
  private readonly privateHeld = new Map<string, string>();

  constructor(private readonly deps: ReconcilerDeps) {
    deps.metrics.setPublishedKeys(() => [...this.published.values()].flat());
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const { deps } = this;
    const as = this.current(key);
    if (!as) {
      const [namespace = '', name = ''] = key.split('/');
      deps.store.delete(namespace, name);
      this.updateSigning(key, undefined);
      deps.serviceAccountIssuer?.observe(key, undefined);
      this.published.delete(key);
      this.servedJwks.delete(key);
      this.written.delete(key);
      for (const role of ['SignAndVerify', 'VerifyOnly']) deps.metrics.keys.remove({ namespace, authserver: name, role });
      deps.metrics.authServerReady.remove({ namespace, authserver: name });
      return { result: 'success' };
    }
    const spec = effectiveSpec(as.spec);
    const refs: Array<{ name: string; role: KeyRole }> = [
      { name: spec.signAndVerifyKeyRef.name, role: 'SignAndVerify' },
      ...spec.extraVerifyKeyRefs.map((r) => ({ name: r.name, role: 'VerifyOnly' as const })),
    ];
    // Read: the referenced Secrets (nothing is written while reading).
    const saIssuer = deps.serviceAccountIssuer?.is(key) ? deps.serviceAccountIssuer : undefined;
    const resolutions = await Promise.all(refs.map((ref) => this.resolve(as, spec, ref.name, ref.role, saIssuer !== undefined)));
    const clock = this.now();
    const jwks = this.servedJwks.get(key);
    const input = {
      authServer: as, spec, resolutions, issuer: this.issuerVerdict(key, as),
      now: clock.toISOString().replace(/\.\d{3}Z$/, 'Z'), nowMs: clock.getTime(), jwkOf: (kid: string) => jwks?.get(kid), sealer: deps.sealer,
      ...(saIssuer && { issuerProblems: saIssuer.problems(spec, resolutions) }),
    };
    // Decide (pure), then act (act.ts: the one place with effects, in the crash-safe order).
    const decision = decide(input);
    this.observe(key, as, spec, decision);
    this.updateSigning(key, { spec, resolutions, servedOnIssuer: decision.document.servedOnIssuer, holdsPrivate: saIssuer !== undefined });
    saIssuer?.observe(key, { spec, resolutions, decision });
    try {
      const outcome = await act(decision, this.executor(key, as, spec, decision));
      if (!outcome.requeueAfterMs) return outcome;
      // The wait was worked out before the writes: the time they took comes off it, or every
      // transition would be late by a reconcile's length.
      const spent = this.now().getTime() - clock.getTime();
      return { ...outcome, requeueAfterMs: Math.max(0, outcome.requeueAfterMs - spent) };
    } catch (err) {
      if (!(err instanceof GenerationFailedError)) throw err;
      // Status says why (reason GenerationFailed), then the queue retries with its backoff.
      const failed = resolutions.map((r): RefResolution => {
        const message = err.failures.get(r.secretName);
        return message === undefined ? r : { ...r, outcome: fail('GenerationFailed', message) };
      });
      // The issuer verdict again: ownership may have moved while the keys were generated, and the
      // store serves whatever verdict it is given last.
      const retry = decide({ ...input, issuer: this.issuerVerdict(key, as), resolutions: failed });
      await act(retry, this.executor(key, as, spec, retry));
      throw err;
    }
  }

  /**
   * True when the watch delivers the very object our last status write made: the reconcile that
   * wrote it already decided from everything in it, so another would decide the same. The write
   * is forgotten (the informer now holds it). A status anyone else wrote has another version.
   */
  caughtUp(key: string, as: AuthServer): boolean {
    const mine = this.written.get(key);
    if (mine && mine.object.metadata.resourceVersion === as.metadata.resourceVersion) {
      this.written.delete(key);
      return true;
    }
    // The answer is not in yet: the same object but for exactly the status being written.
    const pending = this.writing.get(key);
    if (!pending) return false;
    const { metadata } = pending.from;
    return as.metadata.generation === metadata.generation && isDeepStrictEqual(as.metadata.labels, metadata.labels) &&
      isDeepStrictEqual(as.metadata.annotations, metadata.annotations) && isDeepStrictEqual(as.status, JSON.parse(JSON.stringify(pending.status)));
  }

  /** The AuthServer to reconcile: the informer's, unless our own status write is newer. */
  /** The injected clock (tests), else the system's. */
  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  private current(key: string): AuthServer | undefined {
    const seen = this.deps.getAuthServer(key);
    const mine = this.written.get(key);
    if (seen && mine && seen.metadata.resourceVersion === mine.basedOn) return mine.object;
    this.written.delete(key);
    return seen;
  }

  private observe(key: string, as: AuthServer, spec: EffectiveSpec, decision: Decision): void {
    const { deps } = this;
    this.observeKeys(key, as, decision.status, spec);
    const ready = decision.status.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    deps.metrics.authServerReady.set({ namespace: as.metadata.namespace ?? '', authserver: as.metadata.name ?? '' }, ready ? 1 : 0);
  }

  /** The effects of a reconcile, for act.ts. */
  private executor(key: string, as: AuthServer, spec: EffectiveSpec, decision: Decision): Executor {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    return {
      serve: (document) => {
        deps.store.set(document);
        // Keep the JWKs of what is served now and of what the status still lists (replaced in place since).
        const keep = new Set([...document.keys.map((k) => k.kid), ...(as.status?.keys ?? []).map((k) => k.kid)]);
        const known = this.servedJwks.get(key) ?? new Map<string, PublicJwk>();
        for (const k of document.keys) known.set(k.kid, k);
        for (const kid of known.keys()) if (!keep.has(kid)) known.delete(kid);
        this.servedJwks.set(key, known);
      },
      canWrite: () => deps.canWrite(),
      writeStatus: async (status) => {
        const promoting = decision.change?.kind === 'Promote' ? { namespace, authserver: as.metadata.name, step: 'Promote' } : undefined;
        if (promoting) deps.log.info('rotation step: writing status (the replaced key into retiredKeys)', promoting);
        this.writing.set(key, { status, from: as });
        try {
          const stored = await writeStatus(deps.custom, as, status);
          // Unless the watch has brought it already: then the informer holds what this would.
          if (deps.getAuthServer(key)?.metadata.resourceVersion !== stored.metadata.resourceVersion) {
            this.written.set(key, { basedOn: as.metadata.resourceVersion, object: { ...as, metadata: { ...as.metadata, resourceVersion: stored.metadata.resourceVersion }, status: stored.status ?? status } });
          }
          return true;
        } catch (err) {
          // The informer brings the newer object and with it another reconcile.
          if (isConflict(err)) return false;
          throw err;
        } finally {
          this.writing.delete(key);
        }
      },
      record: (e) => this.record(as, e.type, e.reason, e.message),
      changeSecret: async (change) => {
        const done = change.kind === 'GenerateMissing' ? await this.generateMissing(as, spec, change.secretNames) : await this.rotate(as, spec, change);
        if (change.kind !== 'GenerateMissing') this.parsed.delete(`${namespace}/${change.secretName}`);
        return done;
      },
    };
  }

  private issuerVerdict(key: string, as: AuthServer): IssuerVerdict {
    return issuerVerdict(as, this.deps.issuerPolicy, this.deps.issuers.olderClaimant(key));
  }

  /** `saIssuer`: the AuthServer is the cluster's service-account issuer, whose signing key is kept like signing.enabled ones. */
  private async resolve(as: AuthServer, spec: EffectiveSpec, secretName: string, role: KeyRole, saIssuer: boolean): Promise<RefResolution> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    const requirePrivate = role === 'SignAndVerify';
    const authServer = as.metadata.name ?? '';
    // While the watch reports the version already parsed, the Secret has not changed: no GET.
    const known = deps.secretVersion(namespace, secretName);
    const cached = this.parsed.get(`${namespace}/${secretName}`);
    let entry = known !== undefined && cached?.version === known && cached.results.has(variantOf(requirePrivate, spec, maySign(cached.custody, authServer), saIssuer)) ? cached : undefined;
    if (!entry) {
      const secret = await readSecret(deps.core, namespace, secretName);
      if (!secret) {
        const refField = role === 'SignAndVerify' ? 'spec.tokenSignature.signAndVerifyKeyRef' : 'spec.tokenSignature.extraVerifyKeyRefs';
        const message = spec.keyGeneration.mode === 'Never'
          ? `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; create it with a key.pem, or set spec.tokenSignature.keyGeneration.mode to IfMissing to let Signet generate it`
          : `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; the leader replica generates it`;
        return { secretName, role, missing: true, outcome: fail('SecretNotFound', message) };
      }
      entry = this.load(secret, requirePrivate, spec, authServer, saIssuer);
    }
    const { custody } = entry;
    const variant = variantOf(requirePrivate, spec, maySign(custody, authServer), saIssuer);
    const outcome = entry.results.get(variant)!;
    const { generated } = custody;
    if (role !== 'SignAndVerify') return { secretName, role, outcome, generated };
    const signer = spec.signing.enabled ? 'signing-service' : saIssuer ? 'service-account-signer' : undefined;
    const refusal = signingRefusal(custody, authServer, secretName, signer);
    const held = { rotatable: mayRotate(custody, authServer), exportable: mayExport(custody, authServer), ...(refusal !== undefined ? { refusal } : {}) };
    // A shared secret (HS*) has no rotation layout: it is rotated by editing the refs.
    if (!held.rotatable || (outcome.ok && !isPublishable(outcome.value))) return { secretName, role, outcome, generated, ...held };
    const next = entry.results.get(`next/${variant}`);
    const layout: SigningLayout = {
      resourceVersion: entry.version,
      record: entry.record,
      ...(next ? { next: !next.ok ? next : isPublishable(next.value) ? ok(next.value) : fail('UnsupportedKeyType', 'next.key.pem: not an asymmetric key') } : {}),
    };
    return { secretName, role, outcome, generated, layout, ...held };
  }

  /** Generates missing Secrets (in parallel); a failure of any is thrown after all were tried. */
  private async generateMissing(as: AuthServer, spec: EffectiveSpec, secretNames: readonly string[]): Promise<boolean> {
    const failures = new Map<string, string>();
    await Promise.all(secretNames.map(async (name) => {
      const failed = await this.generate(as, spec, name);
      if (failed) failures.set(name, failed);
    }));
    if (failures.size > 0) throw new GenerationFailedError([...failures.values()].join('; '), failures);
    return true;
  }

  /** Creates one generated Secret; the failure message, if it could not. */
  private async generate(as: AuthServer, spec: EffectiveSpec, secretName: string): Promise<string | undefined> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    const { algorithm, rsaKeySize, deletionPolicy } = spec.keyGeneration;
    const symmetric = isSymmetricAlgorithm(algorithm);
    try {
      const material = symmetric ? { secret: generateSecret(algorithm) } : await deps.generate(algorithm, rsaKeySize);
      const created = await createGeneratedSecret(deps.core, {
        namespace, name: secretName, authServerName: as.metadata.name ?? '', algorithm, material,
        annotations: {
          // Requests made before the Secret existed are not new to it.
          ...initialAnnotations(readRequests(as.metadata.annotations), this.now().getTime()),
          // Exportability is fixed now: a key generated while export was off never becomes exportable.
          ...(spec.signing.enabled && spec.signing.allowKeysetExport ? { [EXPORTABLE_ANNOTATION]: 'true' } : {}),
          ...(symmetric ? { [KID_ANNOTATION]: generateKid() } : {}),
        },
        ...(deletionPolicy === 'Delete' ? { owner: { apiVersion: API_VERSION, kind: KIND, name: as.metadata.name ?? '', uid: as.metadata.uid ?? '' } } : {}),
      });
      // Not created: another reconcile or a user won the race; the next reconcile reads what is there.
      if (created) {
        deps.metrics.keysGenerated.inc({ algorithm });
        deps.log.info('generated key', { namespace, authserver: as.metadata.name, secret: secretName, algorithm });
        const size = ALGORITHM_TABLE[algorithm].family === 'RSA' ? `${rsaKeySize}-bit ` : '';
        await this.record(as, 'Normal', 'KeyGenerated', `Generated a ${size}${algorithm} key in Secret "${secretName}" (deletionPolicy ${deletionPolicy})`);
      }
      return undefined;
    } catch (err) {
      // The message is the API's own (stable from one attempt to the next), never the response dump.
      const cause = apiErrorMessage(err);
      deps.log.error('key generation failed', { namespace, authserver: as.metadata.name, secret: secretName, error: cause });
      return `generating a ${algorithm} key into Secret "${secretName}" failed: ${cause.replace(/\.$/, '')}; check that Signet may create Secrets in namespace "${namespace}"`;
    }
  }

  /**
   * One rotation step on the generated signing Secret, conditional on the version the decision
   * was made from. The log lines before and after the write mark the step for operators (and for
   * the crash tests, which kill the process when they appear).
   */
  private async rotate(as: AuthServer, spec: EffectiveSpec, change: Exclude<SecretChange, { kind: 'GenerateMissing' }>): Promise<boolean> {
    const { deps } = this;
    const namespace = as.metadata.namespace ?? '';
    const now = this.now().getTime();
    const requests = readRequests(as.metadata.annotations);
    const fields = { namespace, authserver: as.metadata.name, secret: change.secretName, step: change.kind };
    const patch = (p: SecretPatch) => () => patchGeneratedSecret(deps.core, namespace, change.secretName, change.resourceVersion, p);
    let write: () => Promise<boolean>;
    switch (change.kind) {
      case 'GenerateNext':
        write = patch(generateNextChange(await deps.generate(change.algorithm, spec.keyGeneration.rsaKeySize), now, change.trigger === 'Manual' ? requests : undefined));
        break;
      case 'RequestPromotion':
        write = patch(requestPromotionChange(requests, now));
        break;
      case 'Promote': {
        // The API server moves the next key inside the Secret: its private half never reaches the
        // operator. What moves where is known from the version the decision was made from.
        const seen = this.parsed.get(`${namespace}/${change.secretName}`);
        if (!seen || seen.version !== change.resourceVersion || !mayRotate(seen.custody, as.metadata.name ?? '') || !seen.dataKeys.has(NEXT_KEY_PEM)) return false;
        const operations = promoteOperations(seen, now);
        write = () => patchGeneratedSecretOperations(deps.core, namespace, change.secretName, change.resourceVersion, operations);
        break;
      }
      case 'Emergency':
        write = patch(emergencyChange(await deps.generate(change.algorithm, spec.keyGeneration.rsaKeySize), now, requests));
        break;
    }
    deps.log.info('rotation step: writing Secret', fields);
    const done = await write();
    if (!done) {
      deps.log.info('rotation step: Secret changed meanwhile; reading it again', fields);
      return false;
    }
    deps.log.info('rotation step: Secret written', fields);
    if (change.kind === 'GenerateNext' || change.kind === 'Emergency') deps.metrics.keysGenerated.inc({ algorithm: change.algorithm });
    if (change.kind === 'Promote') deps.metrics.rotations.inc({ kind: change.trigger === 'Manual' ? 'manual' : 'scheduled' });
    if (change.kind === 'Emergency') {
      deps.metrics.rotations.inc({ kind: 'emergency' });
      await this.record(as, 'Warning', 'EmergencyRotation',
        `Emergency rotation (annotation signet.dev/rotate-emergency "${requests.emergency ?? ''}"): a new key in Secret "${change.secretName}" signs from now on; ` +
        `the previous signing key kid "${change.replacedKid}" and any next key are no longer served, so tokens they signed no longer verify`);
    }
    return true;
  }

  private load(secret: SecretSnapshot, requirePrivate: boolean, spec: EffectiveSpec, authServer: string, saIssuer: boolean): ParsedSecret {
    const id = `${secret.namespace}/${secret.name}`;
    let entry = this.parsed.get(id);
    if (!entry || entry.version !== secret.resourceVersion) {
      entry = {
        version: secret.resourceVersion, custody: custodyOf(secret.labels, secret.annotations), dataKeys: new Set(Object.keys(secret.data)), annotationKeys: new Set(Object.keys(secret.annotations)),
        record: readSecretRecord(secret.annotations), results: new Map(),
      };
      this.parsed.set(id, entry);
    }
    const signable = maySign(entry.custody, authServer);
    const variant = variantOf(requirePrivate, spec, signable, saIssuer);
    // The private half stays in memory only for the signing service (spec.signing.enabled) or the
    // cluster's service-account issuer, and only of a Secret it may sign with (key-custody.ts); a
    // shared secret is accepted only with the signing service.
    const keepPrivate = keepsPrivate(requirePrivate, spec, signable, saIssuer);
    const parse = (data: Record<string, Buffer>, dataKeyNames?: Readonly<Record<string, string>>): KeyResult<AnyLoadedKey> => {
      const result = loadKey({ secretName: secret.name, data, annotations: secret.annotations, uid: secret.uid, requirePrivate, keyIdFormat: spec.keyIdFormat, allowSymmetric: keepPrivate && spec.signing.enabled, ...(dataKeyNames && { dataKeyNames }) });
      return result.ok && !keepPrivate && isPublishable(result.value) ? ok({ ...result.value, privateKey: undefined }) : result;
    };
    if (!entry.results.has(variant)) entry.results.set(variant, parse(secret.data));
    // The pre-published next key of a rotation, in a Secret Signet generated.
    const next = mayRotate(entry.custody, authServer) ? nextKeyData(secret.data) : undefined;
    if (next && !entry.results.has(`next/${variant}`)) entry.results.set(`next/${variant}`, parse(next, NEXT_KEY_DATA_KEYS));
    return entry;
  }

  /** Drops what is remembered of a Secret that no AuthServer references any more. */
  forgetSecret(namespace: string, name: string): void {
    this.parsed.delete(`${namespace}/${name}`);
  }

  /**
   * The signing service's entry for this AuthServer (set on every replica), and the private keys
   * held for it: those of a Secret it no longer signs with, or of an AuthServer whose signing was
   * turned off or that was deleted, are dropped from the parse cache at once.
   */
  private updateSigning(key: string, current: { spec: EffectiveSpec; resolutions: RefResolution[]; servedOnIssuer: boolean; holdsPrivate?: boolean } | undefined): void {
    const [namespace = '', name = ''] = key.split('/');
    const signing = current?.resolutions.find((r) => r.role === 'SignAndVerify');
    const usable = signing?.outcome.ok && signing.refusal === undefined ? signing : undefined;
    const entry = current && signingEntryFor(current.spec, {
      active: usable?.outcome.ok ? usable.outcome.value : undefined,
      next: usable?.layout?.next?.ok ? usable.layout.next.value : undefined,
      servedOnIssuer: current.servedOnIssuer,
      exportable: usable?.exportable === true,
    });
    if (entry) this.deps.signingKeys?.set(namespace, name, entry);
    else this.deps.signingKeys?.delete(namespace, name);
    const held = (entry || current?.holdsPrivate) && signing ? `${namespace}/${signing.secretName}` : undefined;
    const before = this.privateHeld.get(key);
    if (before !== undefined && before !== held) {
      const parsed = this.parsed.get(before);
      for (const variant of [...(parsed?.results.keys() ?? [])]) if (variant.endsWith(SIGNING_VARIANT)) parsed?.results.delete(variant);
    }
    if (held === undefined) this.privateHeld.delete(key);
    else this.privateHeld.set(key, held);
  }

  private observeKeys(key: string, as: AuthServer, status: AuthServerStatus, spec: EffectiveSpec): void {
    const keys = status.keys ?? [];
    const labels = { namespace: as.metadata.namespace ?? '', authserver: as.metadata.name ?? '' };
    for (const role of ['SignAndVerify', 'VerifyOnly']) this.deps.metrics.keys.set({ ...labels, role }, keys.filter((k) => k.role === role).length);
    this.published.set(key, keys.map((k) => {
      const at = transitionOf(k, keys, spec);
      return { ...labels, kid: k.kid, role: k.role, publishedSince: k.publishedSince, ...(k.state ? { state: k.state } : {}), ...(at !== undefined ? { transitionAt: at } : {}) };
    }));
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

/** The parse variant that keeps a private key for the signing service. */
const SIGNING_VARIANT = '/signing';

function keepsPrivate(requirePrivate: boolean, spec: EffectiveSpec, signable: boolean, saIssuer: boolean): boolean {
  return requirePrivate && signable && (spec.signing.enabled || saIssuer);
}

function variantOf(requirePrivate: boolean, spec: EffectiveSpec, signable: boolean, saIssuer: boolean): string {
  return `${requirePrivate}/${spec.keyIdFormat}${keepsPrivate(requirePrivate, spec, signable, saIssuer) ? SIGNING_VARIANT : ''}`;
}

/** When a key next changes state: a Next key signs, a Retired one leaves, an Active one is replaced. */
function transitionOf(k: KeyStatus, keys: readonly KeyStatus[], spec: EffectiveSpec): number | undefined {
  const at = (t: string | undefined): number | undefined => (t === undefined || Number.isNaN(Date.parse(t)) ? undefined : Date.parse(t));
  switch (k.state) {
    case 'Next':
      return at(k.activatesAt);
    case 'Retired':
      return at(k.retiresAt);
    case 'Active': {
      const next = keys.find((n) => n.state === 'Next');
      if (next) return at(next.activatesAt);
      const since = at(k.activatesAt);
      return since !== undefined && spec.rotation.periodMs !== undefined ? since + spec.rotation.periodMs : undefined;
    }
    default:
      return undefined;
  }
}
