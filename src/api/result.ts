// One shape for everything that can be refused, across keys/, the issuer checks, the reconciler's
// decision and the signing service's claim rules: the value, or the problem, a stable reason (for
// conditions, metrics and answers) with a message that says what is wrong and how to fix it.

export interface Problem<R extends string = string> {
  reason: R;
  message: string;
}

/** A check with nothing to hand back (value undefined) may be written `{ ok: true }`. */
export type Ok<T> = undefined extends T ? { ok: true; value?: T } : { ok: true; value: T };
export type Failed<R extends string = string> = { ok: false; problem: Problem<R> };
export type Result<T, R extends string = string> = Ok<T> | Failed<R>;

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail<R extends string>(reason: R, message: string): Failed<R> {
  return { ok: false, problem: { reason, message } };
}
