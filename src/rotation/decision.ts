// The rotation part of the reconciler's decision (controller/decide.ts): from the resolved signing
// key, the signing Secret's rotation layout, the previous status and now, to the next key to
// publish, the retired keys to keep, the one Secret change to make (as data) and the events. Pure.
import type { EffectiveSpec } from '../api/defaults.js';
import { formatDuration } from '../api/duration.js';
import { ceilStatusTime } from '../api/time.js';
import type { Algorithm, AuthServerStatus, EventReason, RetiredKey } from '../api/types.js';
import type { AnyLoadedKey, KeyResult, LoadedKey } from '../keys/types.js';
import { notPrePublished } from './pre-publication.js';
import { promotedUnseen, replacedInPlace, retain, type Replaced, type ServedRef } from './retention.js';
import { trustedRetired, type Sealer } from './seal.js';
import type { RotationRequests, SecretRecord } from './secret-layout.js';
import { planRotation, type Trigger } from './timeline.js';

/** What the signing Secret holds beyond key.pem, as the reconciler read it. */
export interface SigningLayout {
  /** The version the Secret change is conditional on (optimistic concurrency). */
  resourceVersion: string;
  record: SecretRecord;
  /** next.key.pem, when present: parsed, or why it could not be. */
  next?: KeyResult<LoadedKey>;
}

export interface RotationView {
  now: number;
  spec: EffectiveSpec;
  previous: AuthServerStatus;
  requests: RotationRequests;
  /** The resolved signing key, when it resolved. */
  signing?: { secretName: string; key: AnyLoadedKey; generated: boolean; layout?: SigningLayout | undefined };
  /** Every resolved ref. */
  served: readonly ServedRef[];
  /** Public JWKs this process served, by kid: what a key replaced in place looked like. */
  jwkOf: (kid: string) => RetiredKey['jwk'] | undefined;
  /** The spec changed since the status was written: warnings about the spec are given once per change. */
  specChanged: boolean;
  /** The AuthServer (namespace/name) and the seal of its status.retiredKeys: only sealed entries are trusted. */
  owner: string;
  sealer: Sealer;
}

/** The kube-apiserver keeps JWKS keys this long past the response's max-age. */
const KUBE_APISERVER_GRACE_MS = 30_000;

/** The one Secret change a reconcile makes, performed by controller/act.ts. */
export type RotationChange =
  | { kind: 'GenerateNext'; secretName: string; resourceVersion: string; trigger: Trigger; algorithm: Algorithm }
  | { kind: 'RequestPromotion'; secretName: string; resourceVersion: string }
  | { kind: 'Promote'; secretName: string; resourceVersion: string; trigger: Trigger }
  | { kind: 'Emergency'; secretName: string; resourceVersion: string; algorithm: Algorithm; replacedKid: string };

export interface RotationEvent {
  type: 'Normal' | 'Warning';
  reason: EventReason;
  message: string;
}

export interface RotationDecision {
  next?: { key: LoadedKey; publishedSince: number; activatesAt: number };
  /** When the active key began to sign, with rotation. */
  activeSince?: number;
  retired: RetiredKey[];
  /** The next transition: generate, promote or drop a retired key. */
  nextRotationTime?: number;
  change?: RotationChange;
  /** Rotation asked of a Secret Signet did not generate. */
  notManaged?: string;
  events: RotationEvent[];
}

export function decideRotation(view: RotationView): RotationDecision {
  const { now, spec, previous, requests, signing } = view;
  const policy = spec.rotation;
  const events: RotationEvent[] = [];
  const previousKeys = previous.keys ?? [];
  const nextLoaded = signing?.layout?.next;
  const timeline = planRotation({
    now, policy, requests, previousKeys,
    signing: signing && {
      secretName: signing.secretName,
      managed: signing.generated,
      activeKid: signing.key.kid,
      ...signing.layout?.record,
      ...(nextLoaded?.ok ? { nextKid: nextLoaded.value.kid } : {}),
    },
  });

  const replaced: Replaced[] = [];
  let change: RotationChange | undefined;
  const tr = timeline.transition;
  if (tr && signing?.layout) {
    const target = { secretName: signing.secretName, resourceVersion: signing.layout.resourceVersion };
    switch (tr.kind) {
      case 'GenerateNext':
        change = { kind: 'GenerateNext', ...target, trigger: tr.trigger, algorithm: signing.key.algorithm };
        break;
      case 'RequestPromotion':
        change = { kind: 'RequestPromotion', ...target };
        break;
      case 'Promote':
        // docs/architecture.md#rotation step 2: the status records the replaced key before the Secret drops it.
        // A shared secret (signing service only) was never published: nothing to keep verifiable.
        if (signing.key.publicJwk) replaced.push({ kid: signing.key.kid, secretName: signing.secretName, jwk: signing.key.publicJwk, retiresAt: tr.retiresAt });
        change = { kind: 'Promote', ...target, trigger: tr.trigger };
        break;
      case 'Emergency':
        change = { kind: 'Emergency', ...target, algorithm: signing.key.algorithm, replacedKid: signing.key.kid };
        break;
    }
  }
  if (policy.configured) {
    for (const r of replacedInPlace(previousKeys, view.served, view.jwkOf)) replaced.push({ ...r, retiresAt: now + policy.retainForMs });
  }
  for (const r of promotedUnseen(previousKeys, view.served, view.jwkOf)) replaced.push({ ...r, retiresAt: now + policy.retainForMs });
  // status.retiredKeys is served, so only what Signet sealed counts; anything else is reported and dropped.
  const recorded = trustedRetired(view.owner, previous.retiredKeys ?? [], view.sealer, now, policy.retainForMs);
  for (const k of recorded.refused) {
    events.push({
      type: 'Warning', reason: 'RetiredKeyRefused',
      message: `Ignored status.retiredKeys entry kid "${k.kid}": it was not written by Signet (no valid seal, or a kid that is not its JWK's or seen twice), so it is not served; only Signet writes status`,
    });
  }
  const retention = retain(recorded.trusted, replaced.map((r) => ({ ...r, retiresAt: Math.ceil(r.retiresAt / 1000) * 1000 })), now);
  for (const k of retention.expired) {
    events.push({ type: 'Normal', reason: 'KeyRetired', message: `Stopped serving the retired key kid "${k.kid}" (Secret "${k.secretName}"): its retiresAt ${k.retiresAt} has passed` });
  }
  for (const k of retention.evicted) {
    events.push({ type: 'Warning', reason: 'KeyRetired', message: `Stopped serving the retired key kid "${k.kid}" (Secret "${k.secretName}") before its retiresAt ${k.retiresAt}: status.retiredKeys holds ten keys at most; lower rotation.retainFor or rotate less often` });
  }

  let next: RotationDecision['next'];
  if (nextLoaded?.ok && timeline.next) {
    next = { key: nextLoaded.value, publishedSince: timeline.next.publishedSince, activatesAt: timeline.next.activatesAt };
    const wasNext = previousKeys.some((k) => k.kid === nextLoaded.value.kid && k.state === 'Next');
    if (!wasNext && !(tr?.kind === 'Promote')) {
      events.push({ type: 'Normal', reason: 'NextKeyPublished', message: `Published the next signing key, kid "${nextLoaded.value.kid}" (Secret "${signing?.secretName}", next.key.pem); it signs from ${ceilStatusTime(next.activatesAt)}` });
    }
  } else if (nextLoaded && !nextLoaded.ok) {
    events.push({ type: 'Warning', reason: 'KeyInvalid', message: nextLoaded.problem.message });
  }

  if (signing && previous.signingKeyID !== undefined) {
    const early = notPrePublished({
      previousSigningKid: previous.signingKeyID, previousKeys, kid: signing.key.kid, secretName: signing.secretName,
      managed: signing.generated, now, cacheMaxAgeSeconds: spec.cacheMaxAgeSeconds,
    });
    if (early) {
      events.push({
        type: 'Warning', reason: 'SigningKeyNotPrePublished',
        message: `Kid "${signing.key.kid}" (Secret "${signing.secretName}") signs after being served for ${formatDuration(Math.round(early.servedForMs / 1000) * 1000)}, less than jwks.cacheMaxAgeSeconds (${spec.cacheMaxAgeSeconds}s): ` +
          'verifiers holding a cached JWKS reject its tokens until they refetch. Next time, add the key to extraVerifyKeyRefs first and wait one max-age, or use rotation',
      });
    }
  }

  if (view.specChanged && policy.configured && policy.publishAheadMs < spec.cacheMaxAgeSeconds * 1000 + KUBE_APISERVER_GRACE_MS) {
    events.push({
      type: 'Warning', reason: 'PublishAheadTooShort',
      message: `rotation.publishAhead ${formatDuration(policy.publishAheadMs)} is under jwks.cacheMaxAgeSeconds + 30s (${spec.cacheMaxAgeSeconds + 30}s): ` +
        'the kube-apiserver keeps a JWKS 30s past its max-age and would reject the first tokens of a new key; raise publishAhead (docs/rotation.md says how to choose it)',
    });
  }

  const due = [timeline.dueAt, retention.dueAt].filter((t): t is number => t !== undefined);
  return {
    ...(next ? { next } : {}),
    ...(timeline.activeSince !== undefined ? { activeSince: timeline.activeSince } : {}),
    retired: retention.retired.map((k) => ({ kid: k.kid, secretName: k.secretName, retiresAt: k.retiresAt, jwk: k.jwk, seal: view.sealer.seal(view.owner, k) })),
    ...(due.length > 0 ? { nextRotationTime: Math.min(...due) } : {}),
    ...(change ? { change } : {}),
    ...(timeline.notManaged ? { notManaged: timeline.notManaged } : {}),
    events,
  };
}
