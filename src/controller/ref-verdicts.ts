// The verdict on each referenced Secret, in words, from what observe.ts found: part of the decide
// step, pure. Every message about a Secret that is missing, failed to generate, may not sign here,
// or holds a next key that does not load is written here (the loader writes its own refusals).
import type { EffectiveSpec } from '../api/defaults.js';
import { fail, ok } from '../api/result.js';
import { isPublishable } from '../keys/symmetric.js';
import type { AnyLoadedKey, KeyResult } from '../keys/types.js';
import type { SigningLayout } from '../rotation/decision.js';
import type { RefOutcome, RefResolution } from './decide.js';
import { mayExport, mayRotate, signingRefusal } from './key-custody.js';
import type { RefFact } from './observe.js';

export interface RefContext {
  spec: EffectiveSpec;
  namespace: string;
  authServer: string;
  /** The AuthServer is the cluster's service-account issuer: its signing key signs for the kube-apiserver. */
  serviceAccountIssuer: boolean;
}

export function resolveRefs(facts: readonly RefFact[], ctx: RefContext): RefResolution[] {
  return facts.map((f) => resolveRef(f, ctx));
}

function resolveRef(fact: RefFact, ctx: RefContext): RefResolution {
  const { spec, namespace, authServer } = ctx;
  const { secretName, role } = fact;
  if (!fact.found) {
    if (fact.generationFailure !== undefined) {
      const message = `generating a ${spec.keyGeneration.algorithm} key into Secret "${secretName}" failed: ${fact.generationFailure.replace(/\.$/, '')}; check that Signet may create Secrets in namespace "${namespace}"`;
      return { secretName, role, missing: true, outcome: fail('GenerationFailed', message) };
    }
    const refField = role === 'SignAndVerify' ? 'spec.tokenSignature.signAndVerifyKeyRef' : 'spec.tokenSignature.extraVerifyKeyRefs';
    const message = spec.keyGeneration.mode === 'Never'
      ? `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; create it with a key.pem, or set spec.tokenSignature.keyGeneration.mode to IfMissing to let Signet generate it`
      : `Secret "${secretName}" (${refField}) does not exist in namespace "${namespace}"; the leader replica generates it`;
    return { secretName, role, missing: true, outcome: fail('SecretNotFound', message) };
  }
  const { custody } = fact.secret;
  const outcome: RefOutcome = fact.result;
  const generated = custody.generated;
  if (role !== 'SignAndVerify') return { secretName, role, outcome, generated };
  const signer = spec.signing.enabled ? 'signing-service' : ctx.serviceAccountIssuer ? 'service-account-signer' : undefined;
  const refusal = signingRefusal(custody, authServer, secretName, signer);
  const held = { rotatable: mayRotate(custody, authServer), exportable: mayExport(custody, authServer), ...(refusal !== undefined ? { refusal } : {}) };
  // A shared secret (HS*) has no rotation layout: it is rotated by editing the refs.
  if (!held.rotatable || (outcome.ok && !isPublishable(outcome.value))) return { secretName, role, outcome, generated, ...held };
  const layout: SigningLayout = {
    resourceVersion: fact.secret.version,
    record: fact.secret.record,
    ...(fact.next ? { next: nextVerdict(fact.next) } : {}),
  };
  return { secretName, role, outcome, generated, layout, ...held };
}

/** next.key.pem, read under its own data-key names (observe.ts), must be an asymmetric key. */
function nextVerdict(next: KeyResult<AnyLoadedKey>): NonNullable<SigningLayout['next']> {
  if (!next.ok) return next;
  return isPublishable(next.value) ? ok(next.value) : fail('UnsupportedKeyType', 'next.key.pem: not an asymmetric key');
}
