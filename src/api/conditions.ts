// Condition bookkeeping per the Kubernetes API conventions: lastTransitionTime moves only when
// the status flips, and Ready summarises every other condition.
import { CONDITION_TYPES, type Condition, type ConditionStatus, type ConditionType } from './types.js';

export interface ConditionInput {
  type: ConditionType;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * Merges freshly computed conditions into the previous ones. A condition whose status did not
 * change keeps its lastTransitionTime; the result is in the canonical order of CONDITION_TYPES.
 */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly ConditionInput[], observedGeneration: number, now: string): Condition[] {
  const merged = next.map((c): Condition => {
    const old = previous?.find((p) => p.type === c.type);
    const lastTransitionTime = old && old.status === c.status ? old.lastTransitionTime : now;
    return { type: c.type, status: c.status, reason: c.reason, message: c.message, observedGeneration, lastTransitionTime };
  });
  return merged.sort((a, b) => CONDITION_TYPES.indexOf(a.type) - CONDITION_TYPES.indexOf(b.type));
}

/**
 * Ready is True only when every other condition (and every other check, such as the issuer's) is
 * True; otherwise it carries the first failure.
 */
export function readyCondition(others: ReadonlyArray<Omit<ConditionInput, 'type'>>, readyMessage: string): ConditionInput {
  const failing = others.find((c) => c.status !== 'True');
  if (!failing) return { type: 'Ready', status: 'True', reason: 'Resolved', message: readyMessage };
  return { type: 'Ready', status: failing.status === 'Unknown' ? 'Unknown' : 'False', reason: failing.reason, message: failing.message };
}

export function findCondition(conditions: readonly Condition[] | undefined, type: ConditionType): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}
