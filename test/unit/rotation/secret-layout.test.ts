// The Secret side of a rotation: what each step writes (a merge patch; promotion, JSON Patch moves), and what a Secret's
// annotations say about the timeline when read back.
import { generateKeyPairSync } from 'node:crypto';
import { loadKey } from '../../../src/keys/load.js';
import {
  ACTIVATED_AT_ANNOTATION, NEXT_KEY_PEM, NEXT_PUB_PEM, ROTATE_EMERGENCY_HANDLED_ANNOTATION, ROTATE_HANDLED_ANNOTATION,
  ROTATION_REQUESTED_AT_ANNOTATION, emergencyChange, generateNextChange, initialAnnotations, nextKeyData, promoteOperations,
  readRequests, readSecretRecord, requestPromotionChange, type SecretChange, type SecretPatchOperation,
} from '../../../src/rotation/secret-layout.js';
import { notPrePublished } from '../../../src/rotation/pre-publication.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const material = () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { 'key.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'pub.pem': publicKey.export({ type: 'spki', format: 'pem' }).toString() };
};

/** Applies a merge patch the way the API server does, to a Secret's decoded data and annotations. */
function apply(data: Record<string, Buffer>, annotations: Record<string, string>, change: SecretChange) {
  const d = { ...data };
  const a = { ...annotations };
  for (const [k, v] of Object.entries(change.data)) if (v === null) delete d[k]; else d[k] = Buffer.from(v, 'base64');
  for (const [k, v] of Object.entries(change.annotations)) if (v === null) delete a[k]; else a[k] = v;
  return { data: d, annotations: a };
}
/** Applies JSON Patch operations the way the API server does (RFC 6902 move/remove/add on members). */
function applyOperations(data: Record<string, Buffer>, annotations: Record<string, string>, ops: SecretPatchOperation[]) {
  const doc: { data: Record<string, Buffer | string>; metadata: { annotations: Record<string, string> } } = { data: { ...data }, metadata: { annotations: { ...annotations } } };
  const parent = (pointer: string): [Record<string, unknown>, string] => {
    const parts = pointer.slice(1).split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const member = parts.pop()!;
    let node = doc as unknown as Record<string, unknown>;
    for (const p of parts) node = node[p] as Record<string, unknown>;
    return [node, member];
  };
  for (const op of ops) {
    if (op.op === 'move') {
      const [from, fromMember] = parent(op.from);
      if (!(fromMember in from)) throw new Error(`move from a missing member ${op.from}`);
      const value = from[fromMember];
      delete from[fromMember];
      const [to, toMember] = parent(op.path);
      to[toMember] = value;
    } else if (op.op === 'remove') {
      const [node, member] = parent(op.path);
      if (!(member in node)) throw new Error(`remove of a missing member ${op.path}`);
      delete node[member];
    } else {
      const [node, member] = parent(op.path);
      node[member] = op.value;
    }
  }
  return { data: doc.data as Record<string, Buffer>, annotations: doc.metadata.annotations };
}
const layoutOf = (s: { data: Record<string, Buffer>; annotations: Record<string, string> }) => ({ dataKeys: Object.keys(s.data).sort(), annotationKeys: Object.keys(s.annotations).sort() });
const kid = (data: Record<string, Buffer> | undefined) => {
  const r = loadKey({ secretName: 's', data: data ?? {}, annotations: {}, requirePrivate: true, keyIdFormat: 'Thumbprint' });
  if (!r.ok) throw new Error(r.problem.message);
  return r.value.kid;
};

it('a full cycle through the Secret: key.pem is always the signing key, one next key at most', () => {
  const first = material();
  let s: { data: Record<string, Buffer>; annotations: Record<string, string> } = { data: { 'key.pem': Buffer.from(first['key.pem']), 'pub.pem': Buffer.from(first['pub.pem']) }, annotations: initialAnnotations({ rotate: 'r0' }, T0) };
  expect(readSecretRecord(s.annotations)).toEqual({ activatedAt: T0, handledRotate: 'r0' });
  const active = kid(s.data);
  expect(nextKeyData(s.data)).toBeUndefined();

  const next = material();
  s = apply(s.data, s.annotations, generateNextChange(next, T0 + 1000, { rotate: 'r1' }));
  expect(kid(s.data)).toBe(active);
  const nextKid = kid(nextKeyData(s.data));
  expect(nextKid).not.toBe(active);
  expect(readSecretRecord(s.annotations)).toEqual({ activatedAt: T0, requestedAt: T0 + 1000, handledRotate: 'r1', nextGeneratedAt: T0 + 1000 });

  s = applyOperations(s.data, s.annotations, promoteOperations(layoutOf(s), T0 + 5000));
  expect(kid(s.data)).toBe(nextKid);
  expect(Object.keys(s.data).sort()).toEqual(['key.pem', 'pub.pem']);
  expect(readSecretRecord(s.annotations)).toEqual({ activatedAt: T0 + 5000, handledRotate: 'r1' });

  const fresh = material();
  s = apply(s.data, s.annotations, generateNextChange(material(), T0 + 6000, undefined));
  s = apply(s.data, s.annotations, emergencyChange(fresh, T0 + 7000, { rotate: 'r2', emergency: 'e1' }));
  expect(nextKeyData(s.data)).toBeUndefined();
  expect(s.data['key.pem']?.toString()).toBe(fresh['key.pem']);
  expect(s.annotations).toEqual({
    [ACTIVATED_AT_ANNOTATION]: '2026-01-01T00:00:07Z', [ROTATE_HANDLED_ANNOTATION]: 'r2', [ROTATE_EMERGENCY_HANDLED_ANNOTATION]: 'e1',
  });
  expect(Object.keys(s.data)).not.toContain(NEXT_KEY_PEM);
  expect(Object.keys(s.data)).not.toContain(NEXT_PUB_PEM);
});

it('promotes without a pub.pem to move: the old pub.pem goes, and no absent annotation is removed', () => {
  const first = material();
  const next = material();
  const s = { data: { 'key.pem': Buffer.from(first['key.pem']), 'pub.pem': Buffer.from(first['pub.pem']), [NEXT_KEY_PEM]: Buffer.from(next['key.pem']) }, annotations: { [ACTIVATED_AT_ANNOTATION]: '2026-01-01T00:00:00Z' } };
  const after = applyOperations(s.data, s.annotations, promoteOperations(layoutOf(s), T0 + 9000));
  expect(Object.keys(after.data)).toEqual(['key.pem']);
  expect(after.data['key.pem']?.toString()).toBe(next['key.pem']);
  expect(after.annotations).toEqual({ [ACTIVATED_AT_ANNOTATION]: '2026-01-01T00:00:09Z' });
});

it('a manual request while a next key is held is recorded without touching the keys', () => {
  expect(requestPromotionChange({ rotate: 'now' }, T0)).toEqual({
    data: {}, annotations: { [ROTATION_REQUESTED_AT_ANNOTATION]: '2026-01-01T00:00:00Z', [ROTATE_HANDLED_ANNOTATION]: 'now' },
  });
});

it('reads the AuthServer annotations and ignores a record that is not a time', () => {
  expect(readRequests({ 'signet.dev/rotate': 'a', 'signet.dev/rotate-emergency': 'b', other: 'c' })).toEqual({ rotate: 'a', emergency: 'b' });
  expect(readRequests(undefined)).toEqual({});
  expect(readSecretRecord({ [ACTIVATED_AT_ANNOTATION]: 'yesterday' })).toEqual({});
  expect(() => promoteOperations({ dataKeys: ['key.pem'], annotationKeys: [] }, T0)).toThrow(/next\.key\.pem/);
});

describe('SigningKeyNotPrePublished', () => {
  const keys = [
    { secretName: 'a', kid: 'A', role: 'SignAndVerify' as const, algorithm: 'RS256' as const, keySize: 2048, generated: false, publishedSince: '2026-01-01T00:00:00Z' },
    { secretName: 'b', kid: 'B', role: 'VerifyOnly' as const, algorithm: 'RS256' as const, keySize: 2048, generated: false, publishedSince: '2026-01-01T00:04:00Z' },
  ];
  const base = { previousSigningKid: 'A', previousKeys: keys, kid: 'B', secretName: 'b', managed: false, now: T0 + 5 * 60_000, cacheMaxAgeSeconds: 300 };

  it('warns when a ref edit makes a key sign less than one max-age after it was first served', () => {
    expect(notPrePublished(base)).toEqual({ servedForMs: 60_000 });
    expect(notPrePublished({ ...base, kid: 'C', secretName: 'c' })).toEqual({ servedForMs: 0 });
    expect(notPrePublished({ ...base, now: T0 + 9 * 60_000 })).toBeUndefined();
  });

  it('says nothing without a change, on the first reconcile, or for Signet’s own change of a Secret it generated', () => {
    expect(notPrePublished({ ...base, kid: 'A', secretName: 'a' })).toBeUndefined();
    expect(notPrePublished({ ...base, previousSigningKid: undefined })).toBeUndefined();
    expect(notPrePublished({ ...base, kid: 'C', secretName: 'a', managed: true })).toBeUndefined();
    // An in-place replacement of a user Secret is a manual change.
    expect(notPrePublished({ ...base, kid: 'C', secretName: 'a' })).toEqual({ servedForMs: 0 });
  });
});
