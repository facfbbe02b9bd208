// Performs a plan (plan.ts) — the one place where a reconcile has effects, in the order that makes
// a crash at any point safe (docs/architecture.md#rotation). The effects themselves are the executor's (effects.ts), so
// this order is unit-testable with a fake one (test/unit/controller/act.test.ts).
import type { Algorithm, AuthServerStatus, RsaKeySize } from '../api/types.js';
import type { IssuerDocument } from '../jwks/types.js';
import type { GeneratedKeyMaterial } from '../keys/types.js';
import { apiErrorMessage } from '../kube/errors.js';
import type { RotationChange } from '../rotation/decision.js';
import { emergencyChange, generateNextChange, requestPromotionChange, type SecretChange as SecretPatch, type SecretPatchOperation } from '../rotation/secret-layout.js';
import type { RecordedEvent } from './decide.js';
import type { ActOutcome } from './outcome.js';
import type { NewSecret, Plan, ProcessViews, SecretWrite } from './plan.js';

export interface Executor {
  /** Serves the document (every replica, leader or not). */
  serve(document: IssuerDocument): void;
  /** Keeps this process's views of the reconcile: signing keys, metrics, the service-account issuer. */
  keep(views: ProcessViews): void;
  /** The AuthServer is gone: stop serving it and drop what is kept of it. */
  forget(): void;
  /** Asked before the first write: only the leader writes. */
  canWrite(): boolean;
  /** Generates key material and creates the Secret; false when one of that name exists already. Throws when it cannot. */
  createSecret(secret: NewSecret): Promise<boolean>;
  /** Fresh asymmetric key material for a rotation step. */
  generateKey(algorithm: Algorithm, rsaKeySize: RsaKeySize): Promise<GeneratedKeyMaterial>;
  /** Writes a rotation step, conditional on the version decided on; false when the Secret changed meanwhile (409). */
  writeSecret(change: RotationChange, patch: SecretPatch | readonly SecretPatchOperation[]): Promise<boolean>;
  /** Writes status with the object's resourceVersion; false on a conflict (409). `promoting`: the status of a promotion (logged as its step). */
  writeStatus(status: AuthServerStatus, promoting: boolean): Promise<boolean>;
  record(event: RecordedEvent): Promise<void>;
}

/**
 * The order, for each kind of Secret change (at most one per reconcile):
 * - generate a missing Secret, generate the next key, record a manual request, emergency: the
 *   Secret first. The status that describes the new key is written by the reconcile that reads it
 *   back, so a crash in between leaves a Secret that the next reconcile reads as it is (a next key
 *   not yet in status counts as published from then on: it signs later, never earlier).
 * - promote: the status first, recording the replaced key in retiredKeys, then the Secret. A crash
 *   in between leaves the old key both signing and retired; the next reconcile promotes again.
 * Events follow the write that they announce. After a Secret change the reconcile runs again at
 * once; otherwise it is due again when the next rotation transition is.
 */
export async function act(plan: Plan, x: Executor): Promise<ActOutcome> {
  if (plan.kind === 'Forget') {
    x.forget();
    return { result: 'success' };
  }
  const { decision, write } = plan;
  const wait = decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {};
  x.serve(decision.document);
  x.keep(plan.views);
  if (!x.canWrite()) return { result: 'success', ...wait, ...((write || decision.statusChanged || decision.events.length > 0) && { heldBack: true as const }) };
  if (write && write.change.kind !== 'Promote') return changeSecret(write, x);
  if (decision.statusChanged && !(await x.writeStatus(decision.status, write?.change.kind === 'Promote'))) return { result: 'conflict' };
  for (const e of decision.events) await x.record(e);
  if (write) return changeSecret(write, x);
  return { result: 'success', ...wait };
}

async function changeSecret(write: SecretWrite, x: Executor): Promise<ActOutcome> {
  const { change } = write;
  if (change.kind === 'GenerateMissing') {
    // In parallel; a failure of one does not keep the others from being created.
    const failures = new Map<string, string>();
    await Promise.all((write.create ?? []).map(async (secret) => {
      try {
        if (await x.createSecret(secret)) await x.record(secret.announce);
      } catch (err) {
        // The message is the API's own (stable from one attempt to the next), never the response dump.
        failures.set(secret.name, apiErrorMessage(err));
      }
    }));
    return { result: 'success', requeueAfterMs: 0, ...(failures.size > 0 && { generationFailures: failures }) };
  }
  let patch: SecretPatch | readonly SecretPatchOperation[] | undefined;
  switch (change.kind) {
    case 'GenerateNext':
      patch = generateNextChange(await x.generateKey(change.algorithm, write.rsaKeySize), write.at, change.trigger === 'Manual' ? write.requests : undefined);
      break;
    case 'RequestPromotion':
      patch = requestPromotionChange(write.requests, write.at);
      break;
    case 'Promote':
      patch = write.operations;
      break;
    case 'Emergency':
      patch = emergencyChange(await x.generateKey(change.algorithm, write.rsaKeySize), write.at, write.requests);
      break;
  }
  const written = patch !== undefined && await x.writeSecret(change, patch);
  if (written && write.announce) await x.record(write.announce);
  return { result: written ? 'success' : 'conflict', requeueAfterMs: 0 };
}
