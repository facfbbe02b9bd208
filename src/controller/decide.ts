// The reconciler's decision, as a pure function: from what was observed (the AuthServer, the
// verdict on each referenced Secret, the issuer check) to the status to write, the document to
// serve and the events to record. No I/O here, so every rule is unit-testable.
import { isDeepStrictEqual } from 'node:util';
import { mergeConditions, readyCondition, type ConditionInput } from '../api/conditions.js';
import { jwksURIFor } from '../api/issuer.js';
import type { EffectiveSpec } from '../api/defaults.js';
import type { AuthServer, AuthServerStatus, EventReason, KeyRole, KeyStatus, Reason } from '../api/types.js';
import type { IssuerDocument } from '../jwks/types.js';
import type { LoadedKey } from '../keys/types.js';

export type RefOutcome =
  | { ok: true; key: LoadedKey; generated: boolean }
  | { ok: false; reason: Reason; message: string };

export interface RefResolution {
  secretName: string;
  role: KeyRole;
  outcome: RefOutcome;
}

export type IssuerVerdict = { ok: true } | { ok: false; reason: 'InvalidIssuerURI' | 'IssuerConflict'; message: string };

export interface DecisionInput {
  authServer: AuthServer;
  spec: EffectiveSpec;
  /** Signing ref first, then the verify refs in spec order. */
  resolutions: RefResolution[];
  issuer: IssuerVerdict;
  now: string;
}

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
}

/** The event that announces a problem; the issuer's syntax and failed generation show in status and logs only. */
function eventFor(reason: Reason): EventReason | undefined {
  switch (reason) {
    case 'SecretNotFound':
    case 'IssuerConflict':
      return reason;
    case 'InvalidIssuerURI':
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
    const k = r.outcome.key;
    return { type: 'SignAndVerifyKeyResolved', status: 'True', reason: 'Resolved', message: `Secret "${r.secretName}" (${k.dataKey}) holds a ${k.algorithm} key, kid "${k.kid}"` };
  }
  return { type: 'SignAndVerifyKeyResolved', status: 'False', reason: r.outcome.reason, message: r.outcome.message };
}

function extrasCondition(extras: RefResolution[]): ConditionInput {
  const failed = extras.filter((r) => !r.outcome.ok);
  if (failed.length === 0) {
    const message = extras.length === 0 ? 'No extra verify keys are referenced' : `All ${extras.length} extra verify keys are resolved`;
    return { type: 'ExtraVerifyKeysResolved', status: 'True', reason: 'Resolved', message };
  }
  const first = failed[0]!.outcome as { reason: Reason };
  const message = failed.map((r) => (r.outcome.ok ? '' : r.outcome.message.replace(/\.$/, ''))).join('; ');
  const prefix = failed.length > 1 ? `${failed.length} of ${extras.length} verify keys are not served: ` : '';
  return { type: 'ExtraVerifyKeysResolved', status: 'False', reason: first.reason, message: prefix + message };
}

export function decide(input: DecisionInput): Decision {
  const { authServer, spec, resolutions, issuer, now } = input;
  const previous = authServer.status ?? {};
  const generation = authServer.metadata.generation ?? 0;
  const signing = resolutions.find((r) => r.role === 'SignAndVerify');
  const extras = resolutions.filter((r) => r.role === 'VerifyOnly');

  const served = resolutions.filter((r): r is RefResolution & { outcome: { ok: true; key: LoadedKey; generated: boolean } } => r.outcome.ok);
  const keys: KeyStatus[] = served.map((r) => ({
    secretName: r.secretName,
    kid: r.outcome.key.kid,
    role: r.role,
    algorithm: r.outcome.key.algorithm,
    keySize: r.outcome.key.keySize,
    generated: r.outcome.generated,
    publishedSince: previous.keys?.find((k) => k.kid === r.outcome.key.kid)?.publishedSince ?? now,
  }));

  const signingCond = signingCondition(signing);
  const extrasCond = extrasCondition(extras);
  const checks: Array<Omit<ConditionInput, 'type'>> = [signingCond, extrasCond];
  if (!issuer.ok) checks.unshift({ status: 'False', reason: issuer.reason, message: issuer.message });
  const jwksURI = jwksURIFor(spec.issuerURI);
  const ready = readyCondition(checks, `Serving ${keys.length} key(s) at ${jwksURI}`);

  const signingKeyID = signing?.outcome.ok ? signing.outcome.key.kid : undefined;
  const status: AuthServerStatus = {
    observedGeneration: generation,
    issuerURI: spec.issuerURI,
    jwksURI,
    ...(signingKeyID ? { signingKeyID } : {}),
    tokenSignatureKeyCount: keys.length,
    keys,
    conditions: mergeConditions(previous.conditions, [signingCond, extrasCond, ready], generation, now),
  };

  const events: RecordedEvent[] = [];
  if (signingKeyID && previous.signingKeyID && previous.signingKeyID !== signingKeyID) {
    events.push({ type: 'Normal', reason: 'SigningKeyChanged', message: `Tokens are now signed with kid "${signingKeyID}" from Secret "${signing!.secretName}" (was kid "${previous.signingKeyID}")` });
  }
  // A problem is announced once, when it first shows in status; an unchanged one stays quiet.
  const previousMessages = (previous.conditions ?? []).map((c) => c.message).join('\n');
  const problems = [...resolutions.flatMap((r) => (r.outcome.ok ? [] : [{ reason: r.outcome.reason, message: r.outcome.message }])), ...(issuer.ok ? [] : [issuer])];
  for (const p of problems) {
    const reason = eventFor(p.reason);
    if (reason && !previousMessages.includes(p.message.replace(/\.$/, ''))) events.push({ type: 'Warning', reason, message: p.message });
  }

  const document: IssuerDocument = {
    namespace: authServer.metadata.namespace ?? '',
    name: authServer.metadata.name ?? '',
    issuerURI: spec.issuerURI,
    servedOnIssuer: issuer.ok,
    keys: served.map((r) => r.outcome.key.publicJwk),
    cacheMaxAgeSeconds: spec.cacheMaxAgeSeconds,
    discoveryEnabled: spec.discoveryEnabled,
  };

  const statusChanged = !isDeepStrictEqual(JSON.parse(JSON.stringify(previous)) as unknown, JSON.parse(JSON.stringify(status)) as unknown);
  return { status, statusChanged, document, events };
}
