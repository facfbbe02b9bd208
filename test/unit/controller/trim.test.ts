// The informers keep neither the last-applied-configuration annotation (kubectl apply puts the
// whole Secret, key material included, in it) nor managedFields; everything else is kept.
import type { KubernetesObject } from '@kubernetes/client-node';
import { keyOnly, trimForCache } from '../../../src/controller/trim.js';

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
const applied = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'k' }, data: { 'key.pem': 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t' } });

const secret: KubernetesObject = {
  apiVersion: 'v1', kind: 'Secret',
  metadata: {
    name: 'k', namespace: 'a', resourceVersion: '7', uid: 'u1',
    labels: { 'app.kubernetes.io/managed-by': 'signet' },
    annotations: { [LAST_APPLIED]: applied, 'signet.dev/algorithm': 'ES256' },
    managedFields: [{ manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:data': {} } }],
  },
};

it('drops the last-applied-configuration annotation and managedFields, and keeps the rest', () => {
  const kept = trimForCache(secret);
  expect(kept.metadata).toEqual({
    name: 'k', namespace: 'a', resourceVersion: '7', uid: 'u1',
    labels: { 'app.kubernetes.io/managed-by': 'signet' },
    annotations: { 'signet.dev/algorithm': 'ES256' },
  });
  expect(JSON.stringify(kept)).not.toContain('LS0tLS1CRUdJTi');
  // The object the watch delivered is not changed under whoever else holds it.
  expect(secret.metadata?.annotations?.[LAST_APPLIED]).toBe(applied);
  expect(secret.metadata?.managedFields).toHaveLength(1);
});

it('leaves no empty annotations behind when last-applied was the only one', () => {
  const kept = trimForCache({ ...secret, metadata: { name: 'k', annotations: { [LAST_APPLIED]: applied } } });
  expect(kept.metadata).toEqual({ name: 'k' });
});

it('returns an object with nothing to drop as it is', () => {
  const plain: KubernetesObject = { metadata: { name: 'p', annotations: { a: 'b' } } };
  expect(trimForCache(plain)).toBe(plain);
});

it('keeps only name, namespace and resourceVersion of a Secret for the Secret watch', () => {
  const kept = keyOnly(secret);
  expect(kept).toEqual({ metadata: { name: 'k', namespace: 'a', resourceVersion: '7' } });
  expect(JSON.stringify(kept)).not.toContain('LS0tLS1CRUdJTi');
  expect(secret.metadata?.labels).toEqual({ 'app.kubernetes.io/managed-by': 'signet' });
});
