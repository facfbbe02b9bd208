// Performs a decision (decide.ts) — the one place where a reconcile has effects, in the order that
// makes a crash at any point safe (DESIGN §8). The effects themselves are the executor's, so this
// order is unit-testable with a fake one (test/unit/controller/act.test.ts).
import type { AuthServerStatus } from '../api/types.js';
import type { IssuerDocument } from '../jwks/types.js';
import type { Decision, RecordedEvent, SecretChange } from './decide.js';
import type { ReconcileOutcome } from './outcome.js';

export interface Executor {
  /** Serves the document (every replica, leader or not). */
  serve(document: IssuerDocument): void;
  /** Asked before the first write: only the leader writes. */
  canWrite(): boolean;
  /** Makes the Secret change; false when the Secret changed meanwhile (409): the next reconcile re-reads it. */
  changeSecret(change: SecretChange): Promise<boolean>;
  /** Writes status with the object's resourceVersion; false on a conflict (409). */
  writeStatus(status: AuthServerStatus): Promise<boolean>;
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
export async function act(decision: Decision, x: Executor): Promise<ReconcileOutcome> {
  x.serve(decision.document);
  if (!x.canWrite()) return { result: 'success', ...(decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {}) };
  const change = decision.change;
  if (change && change.kind !== 'Promote') {
    return { result: (await x.changeSecret(change)) ? 'success' : 'conflict', requeueAfterMs: 0 };
  }
  if (decision.statusChanged && !(await x.writeStatus(decision.status))) return { result: 'conflict' };
  for (const e of decision.events) await x.record(e);
  if (change) return { result: (await x.changeSecret(change)) ? 'success' : 'conflict', requeueAfterMs: 0 };
  return { result: 'success', ...(decision.requeueAfterMs !== undefined ? { requeueAfterMs: decision.requeueAfterMs } : {}) };
}

