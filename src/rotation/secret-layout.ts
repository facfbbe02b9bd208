// How a generated signing Secret holds a rotation (docs/architecture.md#key-material-in-secrets, #rotation): key.pem/pub.pem is always the key
// that signs, next.key.pem/next.pub.pem the pre-published next key, and a few annotations record
// what Signet did, written in the same update as the key change they describe, so the Secret alone
// says where the timeline stands after a crash, a restart or a leader change.
import { parseTime, statusTime } from '../api/time.js';
import { ROTATE_ANNOTATION, ROTATE_EMERGENCY_ANNOTATION } from '../api/types.js';
import type { GeneratedKeyMaterial } from '../keys/types.js';

export const NEXT_KEY_PEM = 'next.key.pem';
export const NEXT_PUB_PEM = 'next.pub.pem';

/** When key.pem started signing (Signet writes it with every change of key.pem). */
export const ACTIVATED_AT_ANNOTATION = 'signet.dev/activated-at';
/** A manual rotation (signet.dev/rotate) asked at this time is under way: the next key signs once pre-published. */
export const ROTATION_REQUESTED_AT_ANNOTATION = 'signet.dev/rotation-requested-at';
/** The last values of the AuthServer's rotate annotations that Signet acted on. */
export const ROTATE_HANDLED_ANNOTATION = 'signet.dev/rotate-handled';
export const ROTATE_EMERGENCY_HANDLED_ANNOTATION = 'signet.dev/rotate-emergency-handled';
/**
 * When next.key.pem was written: the earliest it can have been served. The timeline never takes a
 * next key as published before this, whatever a status written by someone else says.
 */
export const NEXT_GENERATED_AT_ANNOTATION = 'signet.dev/next-generated-at';

/** What the Secret's annotations say about the timeline; times in epoch milliseconds. */
export interface SecretRecord {
  activatedAt?: number;
  requestedAt?: number;
  handledRotate?: string;
  handledEmergency?: string;
  nextGeneratedAt?: number;
}

export function readSecretRecord(annotations: Readonly<Record<string, string>>): SecretRecord {
  const record: SecretRecord = {};
  const activatedAt = parseTime(annotations[ACTIVATED_AT_ANNOTATION]);
  const requestedAt = parseTime(annotations[ROTATION_REQUESTED_AT_ANNOTATION]);
  if (activatedAt !== undefined) record.activatedAt = activatedAt;
  if (requestedAt !== undefined) record.requestedAt = requestedAt;
  const nextGeneratedAt = parseTime(annotations[NEXT_GENERATED_AT_ANNOTATION]);
  if (nextGeneratedAt !== undefined) record.nextGeneratedAt = nextGeneratedAt;
  if (annotations[ROTATE_HANDLED_ANNOTATION] !== undefined) record.handledRotate = annotations[ROTATE_HANDLED_ANNOTATION];
  if (annotations[ROTATE_EMERGENCY_HANDLED_ANNOTATION] !== undefined) record.handledEmergency = annotations[ROTATE_EMERGENCY_HANDLED_ANNOTATION];
  return record;
}

/** How loadKey names the data keys of nextKeyData() in its messages. */
export const NEXT_KEY_DATA_KEYS: Readonly<Record<string, string>> = { 'key.pem': NEXT_KEY_PEM, 'pub.pem': NEXT_PUB_PEM };

/** The next key's data, as loadKey reads a Secret: the same layout under other data keys. */
export function nextKeyData(data: Readonly<Record<string, Buffer>>): Record<string, Buffer> | undefined {
  const key = data[NEXT_KEY_PEM];
  if (key === undefined) return undefined;
  const pub = data[NEXT_PUB_PEM];
  return pub === undefined ? { 'key.pem': key } : { 'key.pem': key, 'pub.pem': pub };
}

/** The AuthServer's rotate annotations: a value that differs from the handled one is a new request. */
export interface RotationRequests {
  rotate?: string;
  emergency?: string;
}

export function readRequests(annotations: Readonly<Record<string, string>> | undefined): RotationRequests {
  const requests: RotationRequests = {};
  const rotate = annotations?.[ROTATE_ANNOTATION];
  const emergency = annotations?.[ROTATE_EMERGENCY_ANNOTATION];
  if (rotate !== undefined) requests.rotate = rotate;
  if (emergency !== undefined) requests.emergency = emergency;
  return requests;
}

/** The annotations a newly generated Secret starts with: requests made before it existed are not new to it. */
export function initialAnnotations(requests: RotationRequests, now: number): Record<string, string> {
  return {
    [ACTIVATED_AT_ANNOTATION]: statusTime(now),
    ...(requests.rotate !== undefined ? { [ROTATE_HANDLED_ANNOTATION]: requests.rotate } : {}),
    ...(requests.emergency !== undefined ? { [ROTATE_EMERGENCY_HANDLED_ANNOTATION]: requests.emergency } : {}),
  };
}

/** A Secret change of a rotation step, as a JSON merge patch (null removes a member). */
export interface SecretChange {
  data: Record<string, string | null>;
  annotations: Record<string, string | null>;
}

const b64 = (pem: string): string => Buffer.from(pem).toString('base64');

/** Step 1: the next key beside the active one. A manual request is recorded as handled in the same write. */
export function generateNextChange(material: GeneratedKeyMaterial, now: number, manual: RotationRequests | undefined): SecretChange {
  return {
    data: { [NEXT_KEY_PEM]: b64(material['key.pem']), [NEXT_PUB_PEM]: b64(material['pub.pem']) },
    annotations: {
      [NEXT_GENERATED_AT_ANNOTATION]: statusTime(now),
      ...(manual ? { [ROTATION_REQUESTED_AT_ANNOTATION]: statusTime(now), [ROTATE_HANDLED_ANNOTATION]: manual.rotate ?? null } : {}),
    },
  };
}

/** A manual request while a next key is already published: it signs as soon as pre-publication allows. */
export function requestPromotionChange(requests: RotationRequests, now: number): SecretChange {
  return { data: {}, annotations: { [ROTATION_REQUESTED_AT_ANNOTATION]: statusTime(now), [ROTATE_HANDLED_ANNOTATION]: requests.rotate ?? null } };
}

/** One JSON Patch (RFC 6902) operation on a Secret. */
export type SecretPatchOperation =
  | { op: 'move'; from: string; path: string }
  | { op: 'remove'; path: string }
  | { op: 'add'; path: string; value: string };

/** What promotion needs to know of the Secret at the version it promotes: names, no key bytes. */
export interface PromotionLayout {
  dataKeys: readonly string[];
  annotationKeys: readonly string[];
}

/** A JSON Pointer (RFC 6901) to a member of the Secret. */
export const secretPointer = (...parts: string[]): string => `/${parts.map((p) => p.replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

/**
 * Step 2: the next key becomes key.pem/pub.pem in one update, moved by the API server inside the
 * Secret, so the operator never holds the next key's private half; the replaced one is gone.
 */
export function promoteOperations(layout: PromotionLayout, now: number): SecretPatchOperation[] {
  if (!layout.dataKeys.includes(NEXT_KEY_PEM)) throw new Error('promote needs next.key.pem');
  const ops: SecretPatchOperation[] = [{ op: 'move', from: secretPointer('data', NEXT_KEY_PEM), path: secretPointer('data', 'key.pem') }];
  if (layout.dataKeys.includes(NEXT_PUB_PEM)) ops.push({ op: 'move', from: secretPointer('data', NEXT_PUB_PEM), path: secretPointer('data', 'pub.pem') });
  else if (layout.dataKeys.includes('pub.pem')) ops.push({ op: 'remove', path: secretPointer('data', 'pub.pem') });
  ops.push({ op: 'add', path: secretPointer('metadata', 'annotations', ACTIVATED_AT_ANNOTATION), value: statusTime(now) });
  for (const a of [ROTATION_REQUESTED_AT_ANNOTATION, NEXT_GENERATED_AT_ANNOTATION]) {
    if (layout.annotationKeys.includes(a)) ops.push({ op: 'remove', path: secretPointer('metadata', 'annotations', a) });
  }
  return ops;
}

/** A fresh key signs at once; the active and the next key are dropped; pending requests are consumed. */
export function emergencyChange(material: GeneratedKeyMaterial, now: number, requests: RotationRequests): SecretChange {
  return {
    data: { 'key.pem': b64(material['key.pem']), 'pub.pem': b64(material['pub.pem']), [NEXT_KEY_PEM]: null, [NEXT_PUB_PEM]: null },
    annotations: {
      [ACTIVATED_AT_ANNOTATION]: statusTime(now),
      [ROTATION_REQUESTED_AT_ANNOTATION]: null,
      [NEXT_GENERATED_AT_ANNOTATION]: null,
      [ROTATE_EMERGENCY_HANDLED_ANNOTATION]: requests.emergency ?? null,
      [ROTATE_HANDLED_ANNOTATION]: requests.rotate ?? null,
    },
  };
}
