// The reconciler's decision, as a pure function: from what was observed (the AuthServer, the
// verdict on each referenced Secret, the issuer check) to the status to write, the document to
// serve and the events to record. No I/O here, so every rule is unit-testable.
import { jsonEqual } from '../api/json-equal.js';
import { mergeConditions, readyCondition, type ConditionInput } from '../api/conditions.js';
import { jwksURIFor } from '../api/issuer.js';
import { newKubeAuthenticatorProblems } from '../api/kube-authenticator.js';
import type { EffectiveSpec } from '../api/defaults.js';
import type { Problem, Result } from '../api/result.js';
import { ceilStatusTime, statusTime } from '../api/time.js';
import type { AttestedSecret, AuthServer, AuthServerStatus, EventReason, KeyRole, KeyStatus, Reason, RetiredKey } from '../api/types.js';
import type { IssuerDocument } from '../jwks/types.js';
import type { AnyLoadedKey, PublicJwk } from '../keys/types.js';
import { decideRotation, type RotationChange, type SigningLayout } from '../rotation/decision.js';
import { sealOwner, type Sealer } from '../rotation/seal.js';
import { readRequests } from '../rotation/secret-layout.js';

/** The ref's key as loadKey read it, or why there is none (a refusal, a missing Secret, a failed generation). */
export type RefOutcome = Result<AnyLoadedKey, Reason>;

export interface RefResolution {
  secretName: string;
  role: KeyRole;
  outcome: RefOutcome;
  /** Signet generated the Secret (for any AuthServer; key-custody.ts). */
  generated?: boolean;
  /** The Secret does not exist: with keyGeneration.mode IfMissing, the decision is to generate it. */
  missing?: boolean;
  /** The signing Secret's rotation layout (next key, Signet's record), when Signet generated it for this AuthServer. */
  layout?: SigningLayout;
  /** Signing ref: Signet generated the Secret for this AuthServer, so it may rotate it (key-custody.ts). */
  rotatable?: boolean;
  /** Signing ref: the signing service may export its private key. */
  exportable?: boolean;
  /** Signing ref: why its key may not sign for this AuthServer (reason SecretNotOwned); its public key is still served. */
  refusal?: string;
}

// The verdict on the issuer is issuer-ownership.ts's; decide() only reports it.
import type { IssuerVerdict } from './issuer-ownership.js';
export type { IssuerVerdict };

export interface DecisionInput {
  authServer: AuthServer;
  spec: EffectiveSpec;
  /** Signing ref first, then the verify refs in spec order. */
  resolutions: RefResolution[];
  issuer: IssuerVerdict;
  /** Epoch milliseconds (api/time.ts). */
  now: number;
  /** Public JWKs this process served, by kid: what a key replaced in place looked like. */
  jwkOf?: (kid: string) => RetiredKey['jwk'] | undefined;
  /** Why this AuthServer cannot be the cluster's service-account issuer (src/sa-signer/policy.ts), when it is that. */
  issuerProblems?: ReadonlyArray<Problem<Reason>>;
  /** Seals status.retiredKeys (rotation/seal.ts). */
  sealer: Sealer;
  /** status.attestedSecrets (attestation.ts). */
  attestedSecrets?: readonly AttestedSecret[];
}

/**
 * The one Secret change of a reconcile, as data: controller/act.ts performs it, in the order
 * docs/architecture.md#rotation gives. A reconcile makes at most one; the next reconcile sees its result.
 */
export type SecretChange =
  | { kind: 'GenerateMissing'; secretNames: string[] }
  | RotationChange;

export interface RecordedEvent {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

export interface Decision {
  status: AuthServerStatus;
  /** Whether `status` differs from what the object has: write only then. */
  statusChanged: boolean;
  document: IssuerDocument;
  events: RecordedEvent[];
  change?: SecretChange;
  /** When the next rotation transition is due, from now. */
  requeueAfterMs?: number;
}

/** The longest a reconcile waits for the next rotation transition before it looks again. */
export const MAX_REQUEUE_MS = 3_600_000;

/** The event that announces a problem; the issuer's syntax or policy and failed generation show in status and logs only. */
function eventFor(reason: Reason): EventReason | undefined {
  switch (reason) {
    case 'SecretNotFound':
    case 'IssuerConflict':
      return reason;
    case 'InvalidIssuerURI':
    case 'InsecureIssuerNotAllowed':
    case 'IssuerNotAllowed':
    case 'GenerationFailed':
    case 'Resolved':
      return undefined;
    default:
      return 'KeyInvalid';
  }
}

function signingCondition(r: RefResolution | undefined): ConditionInput {
  if (!r) return { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'SecretNotFound', message: 'spec.tokenSignature.signAndVerifyKeyRef is not set' };
  if (r.outcome.ok) {
    const k = r.outcome.value;
    return { type: 'SignAndVerifyKeyResolved', status: 'True', reason: 'Resolved', message: `Secret "${r.secretName}" (${k.dataKey}) holds a ${k.algorithm} key, kid "${k.kid}"` };
  }
  return { type: 'SignAndVerifyKeyResolved', status: 'False', ...r.outcome.problem };
}

function extrasCondition(extras: RefResolution[]): ConditionInput {
  const failed = extras.filter((r) => !r.outcome.ok);
  if (failed.length === 0) {
    const message = extras.length === 0 ? 'No extra verify keys are referenced' : `All ${extras.length} extra verify keys are resolved`;
    return { type: 'ExtraVerifyKeysResolved', status: 'True', reason: 'Resolved', message };
  }
  const first = (failed[0]!.outcome as { problem: Problem<Reason> }).problem;
  const message = failed.map((r) => (r.outcome.ok ? '' : r.outcome.problem.message.replace(/\.$/, ''))).join('; ');
  const prefix = failed.length > 1 ? `${failed.length} of ${extras.length} verify keys are not served: ` : '';
  return { type: 'ExtraVerifyKeysResolved', status: 'False', reason: first.reason, message: prefix + message };
}

export function decide(input: DecisionInput): Decision {
  const { authServer, spec, resolutions, issuer, now } = input;
  const previous = authServer.status ?? {};
  const generation = authServer.metadata.generation ?? 0;
  const signing = resolutions.find((r) => r.role === 'SignAndVerify');
  const extras = resolutions.filter((r) => r.role === 'VerifyOnly');

  const served = resolutions.filter((r): r is RefResolution & { outcome: { ok: true; value: AnyLoadedKey } } => r.outcome.ok);
  const signingServed = served.find((r) => r.role === 'SignAndVerify');
  const rotation = decideRotation({
    now, spec, previous, requests: readRequests(authServer.metadata.annotations),
    ...(signingServed ? { signing: { secretName: signingServed.secretName, key: signingServed.outcome.value, generated: signingServed.rotatable === true, layout: signingServed.layout } } : {}),
    served: served.map((r) => ({ secretName: r.secretName, kid: r.outcome.value.kid, generated: r.generated === true })),
    jwkOf: input.jwkOf ?? (() => undefined),
    specChanged: previous.observedGeneration !== generation,
    owner: sealOwner(authServer),
    sealer: input.sealer,
  });
  // A kid already in status keeps its publishedSince; a new one is stamped with now, rounded up.
  const publishedSince = (kid: string): string => previous.keys?.find((k) => k.kid === kid)?.publishedSince ?? ceilStatusTime(now);
  const statusOf = (r: (typeof served)[number]): KeyStatus => ({
    secretName: r.secretName,
    kid: r.outcome.value.kid,
    role: r.role,
    algorithm: r.outcome.value.algorithm,
    keySize: r.outcome.value.keySize,
    generated: r.generated === true,
    publishedSince: publishedSince(r.outcome.value.kid),
    state: r.role === 'SignAndVerify' ? 'Active' : 'Verify',
    ...(r.role === 'SignAndVerify' && spec.rotation.configured && rotation.activeSince !== undefined ? { activatesAt: ceilStatusTime(rotation.activeSince) } : {}),
  });
  // The order of docs/architecture.md#rotation: the active key, the next key, extra verify refs in spec order, retired keys; a kid once.
  // A shared secret (HS*, only with spec.signing.enabled) has a status entry but no JWK: never published.
  const entries: Array<{ status: KeyStatus; jwk: PublicJwk | undefined }> = [];
  const add = (status: KeyStatus, jwk: PublicJwk | undefined): void => {
    if (!entries.some((e) => e.status.kid === status.kid)) entries.push({ status, jwk });
  };
  if (signingServed) add(statusOf(signingServed), signingServed.outcome.value.publicJwk);
  const next = rotation.next;
  if (next && signingServed) {
    add({
      secretName: signingServed.secretName, kid: next.key.kid, role: 'VerifyOnly', algorithm: next.key.algorithm, keySize: next.key.keySize,
      generated: true, publishedSince: ceilStatusTime(next.publishedSince), state: 'Next', activatesAt: ceilStatusTime(next.activatesAt),
    }, next.key.publicJwk);
  }
  for (const r of served) if (r.role === 'VerifyOnly') add(statusOf(r), r.outcome.value.publicJwk);
  for (const k of rotation.retired) {
    const known = previous.keys?.find((p) => p.kid === k.kid);
    add({
      secretName: k.secretName, kid: k.kid, role: 'VerifyOnly', algorithm: (known?.algorithm ?? k.jwk.alg) as KeyStatus['algorithm'],
      keySize: known?.keySize ?? 0, generated: known?.generated ?? false, publishedSince: known?.publishedSince ?? ceilStatusTime(now),
      state: 'Retired', retiresAt: k.retiresAt,
    }, k.jwk as PublicJwk);
  }
  const keys = entries.map((e) => e.status);
  const excluded = new Set(spec.extraVerifyKeyRefs.filter((r) => r.excludeFromDiscovery).map((r) => r.name));

  // A key that does not load says why first; one that loads but may not sign here says so.
  const signingCond: ConditionInput = signing?.refusal !== undefined && signing.outcome.ok
    ? { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'SecretNotOwned', message: signing.refusal }
    : rotation.notManaged
      ? { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'SecretNotManaged', message: rotation.notManaged }
      : signingCondition(signing);
  const extrasCond = extrasCondition(extras);
  const checks: Array<Omit<ConditionInput, 'type'>> = [signingCond, extrasCond];
  if (!issuer.ok) checks.unshift({ status: 'False', ...issuer.problem });
  const [firstProblem] = input.issuerProblems ?? [];
  if (firstProblem) checks.push({ status: 'False', reason: firstProblem.reason, message: input.issuerProblems!.map((p) => p.message).join('; ') });
  const jwksURI = jwksURIFor(spec.issuerURI);
  const ready = readyCondition(checks, `Serving ${keys.length} key(s) at ${jwksURI}`);

  const signingKeyID = signing?.outcome.ok ? signing.outcome.value.kid : undefined;
  const status: AuthServerStatus = {
    observedGeneration: generation,
    issuerURI: spec.issuerURI,
    jwksURI,
    ...(signingKeyID ? { signingKeyID } : {}),
    tokenSignatureKeyCount: keys.length,
    keys,
    ...(rotation.nextRotationTime !== undefined ? { nextRotationTime: ceilStatusTime(rotation.nextRotationTime) } : {}),
    ...(rotation.retired.length > 0 ? { retiredKeys: rotation.retired } : {}),
    ...(input.attestedSecrets?.length ? { attestedSecrets: [...input.attestedSecrets] } : {}),
    conditions: mergeConditions(previous.conditions, [signingCond, extrasCond, ready], generation, statusTime(now)),
  };

  const events: RecordedEvent[] = [];
  if (signingKeyID && previous.signingKeyID && previous.signingKeyID !== signingKeyID) {
    events.push({ type: 'Normal', reason: 'SigningKeyChanged', message: `Tokens are now signed with kid "${signingKeyID}" from Secret "${signing!.secretName}" (was kid "${previous.signingKeyID}")` });
  }
  events.push(...rotation.events);
  // A problem is announced once, when it first shows in status; an unchanged one stays quiet.
  const previousMessages = (previous.conditions ?? []).map((c) => c.message).join('\n');
  const problems: Array<Problem<Reason>> = [...resolutions.flatMap((r) => (r.outcome.ok ? [] : [r.outcome.problem])), ...(issuer.ok ? [] : [issuer.problem])];
  for (const p of problems) {
    const reason = eventFor(p.reason);
    if (reason && !previousMessages.includes(p.message.replace(/\.$/, ''))) events.push({ type: 'Warning', reason, message: p.message });
  }
  if (issuer.ok) {
    const unusable = newKubeAuthenticatorProblems(previous, generation, { issuerURI: spec.issuerURI, discoveryEnabled: spec.discoveryEnabled, signingKey: keys.find((k) => k.role === 'SignAndVerify') });
    if (unusable.length > 0) events.push({ type: 'Warning', reason: 'NotUsableByKubeAPIServer', message: `The kube-apiserver's JWT authenticator cannot trust this issuer: ${unusable.join('; ')}` });
  }

  const document: IssuerDocument = {
    namespace: authServer.metadata.namespace ?? '',
    name: authServer.metadata.name ?? '',
    issuerURI: spec.issuerURI,
    ...(issuer.ok ? { servedOnIssuer: true, issuerRoute: issuer.value } : { servedOnIssuer: false }),
    // A verify ref marked excludeFromDiscovery is verified (the kube-apiserver's legacy tokens) but never published.
    keys: entries.flatMap((e) => (e.jwk && !(e.status.state === 'Verify' && excluded.has(e.status.secretName)) ? [e.jwk] : [])),
    cacheMaxAgeSeconds: spec.cacheMaxAgeSeconds,
    discoveryEnabled: spec.discoveryEnabled,
  };

  // Missing Secrets first: a rotation needs the signing key resolved. An AuthServer whose issuer is
  // refused has no effect on Secrets at all: it cannot be used to make Signet act for its author.
  const missing = resolutions.filter((r) => r.missing && spec.keyGeneration.mode === 'IfMissing' && !(!r.outcome.ok && r.outcome.problem.reason === 'GenerationFailed'));
  const wanted: SecretChange | undefined = missing.length > 0 ? { kind: 'GenerateMissing', secretNames: missing.map((r) => r.secretName) } : rotation.change;
  const change = issuer.ok ? wanted : undefined;
  // At most an hour ahead: setTimeout cannot wait past 24.8 days, and a clock that jumps is noticed.
  const requeueAfterMs = rotation.nextRotationTime === undefined ? undefined : Math.min(MAX_REQUEUE_MS, Math.max(0, rotation.nextRotationTime - now));

  const statusChanged = !jsonEqual(previous, status);
  return { status, statusChanged, document, events, ...(change ? { change } : {}), ...(requeueAfterMs !== undefined ? { requeueAfterMs } : {}) };
}
