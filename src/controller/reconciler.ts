// Reconciles one AuthServer in three steps: observe (observe.ts: facts, no wording, no writes),
// decide (plan.ts: pure, every message and every effect as data), act (act.ts with the executor of
// effects.ts: the one place with effects, in the crash-safe order). Level-triggered and
// idempotent: running it twice, or after a crash half-way, converges on the same state, and a key
// is generated only when its Secret is confirmed missing by the API server.
import { SignetError } from '../api/errors.js';
import { systemClock, type Clock } from '../api/time.js';
import type { AuthServer } from '../api/types.js';
import type { Metrics } from '../observability/metrics.js';
import type { Sealer } from '../rotation/seal.js';
import type { ServiceAccountIssuerHook } from '../sa-signer/service.js';
import { act, type Executor } from './act.js';
import type { IssuerPolicy } from './issuer-ownership.js';
import type { ReconcileMemory } from './memory.js';
import type { ReconcileOutcome } from './outcome.js';
import { observe, type Observation, type ObserveContext, type Reader } from './observe.js';
import { plan } from './plan.js';

export interface ReconcilerDeps {
  reader: Reader;
  /** What the reconciler remembers between reconciles; the controller tells it which Secrets are unreferenced. */
  memory: ReconcileMemory;
  /** The effects of one reconcile of namespace/name (effects.ts); `as` is undefined when it is gone. */
  executor: (key: string, as: AuthServer | undefined) => Executor;
  /** What the cluster admin allows of issuers (command line). */
  issuerPolicy: IssuerPolicy;
  /** Seals status.retiredKeys with a key only Signet reads (rotation/seal.ts). */
  sealer: Sealer;
  /** The cluster's service-account issuer (docs/architecture.md#the-service-account-issuer), when Signet signs for the kube-apiserver. */
  serviceAccountIssuer?: Pick<ServiceAccountIssuerHook, 'is' | 'problems'>;
  metrics: Pick<Metrics, 'setIssuers'>;
  clock?: Clock;
}

/**
 * Thrown once the status says why a key could not be generated (reason GenerationFailed), so that
 * the work queue retries this AuthServer alone, with its own exponential backoff.
 */
export class GenerationFailedError extends SignetError {
  override readonly code = 'ERR_SIGNET_GENERATION_FAILED';
}

export class Reconciler {
  private readonly clock: Clock;

  constructor(private readonly deps: ReconcilerDeps) {
    this.clock = deps.clock ?? systemClock;
    deps.metrics.setIssuers(() => deps.memory.issuerMetrics());
  }

  async reconcile(key: string): Promise<ReconcileOutcome> {
    const seen = await observe(key, this.deps.reader, this.observeContext());
    const secretsRead = new Map(seen.gone ? [] : seen.refs.flatMap((r) => (r.found ? [[r.secretName, r.secret.version] as const] : [])));
    return { ...(await this.decideAndAct(key, seen)), secretsRead };
  }

  private observeContext(): ObserveContext {
    const sa = this.deps.serviceAccountIssuer;
    return { memory: this.deps.memory, isServiceAccountIssuer: (k) => sa?.is(k) === true, sealer: this.deps.sealer };
  }

  private async decideAndAct(key: string, seen: Observation): Promise<ReconcileOutcome> {
    const { deps } = this;
    const sa = deps.serviceAccountIssuer;
    const started = this.clock();
    const decided = plan(seen, { now: started, issuerPolicy: deps.issuerPolicy, sealer: deps.sealer, ...(sa && { issuerProblems: (spec, refs) => sa.problems(spec, refs) }) });
    const outcome = await act(decided, deps.executor(key, decided.kind === 'Apply' ? decided.authServer : undefined));
    if (outcome.generationFailures) {
      // A fact for the next reconcile, at once: its status says why, then the queue backs off.
      deps.memory.recordFailures(key, outcome.generationFailures);
      return { result: 'success', requeueAfterMs: 0 };
    }
    if (!seen.gone && seen.failuresRecorded && outcome.result === 'success') {
      deps.memory.clearFailures(key);
      const failed = decided.kind === 'Apply' ? decided.decision.status.conditions?.find((c) => c.reason === 'GenerationFailed')?.message : undefined;
      throw new GenerationFailedError(failed ?? 'generating a missing Secret failed');
    }
    const { result, requeueAfterMs, heldBack } = outcome;
    const held = heldBack && { heldBack };
    if (!requeueAfterMs) return { result, ...(requeueAfterMs !== undefined && { requeueAfterMs }), ...held };
    // The wait was worked out before the writes: the time they took comes off it, or every
    // transition would be late by a reconcile's length.
    return { result, requeueAfterMs: Math.max(0, requeueAfterMs - (this.clock() - started)), ...held };
  }
}
