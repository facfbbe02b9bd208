// Reading referenced Secrets, creating generated ones and patching those for a rotation. Signet
// never changes or deletes a Secret it did not create.
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type KubeConfig, type V1OwnerReference, type V1Secret } from '@kubernetes/client-node';
import { authServerLabelValue } from '../api/labels.js';
import { ALGORITHM_ANNOTATION, AUTHSERVER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Algorithm } from '../api/types.js';
import type { GeneratedKeyMaterial, GeneratedSecretMaterial } from '../keys/types.js';
import { secretPointer, type SecretPatchOperation } from '../rotation/secret-layout.js';
import { isConflict, isNotFound } from './errors.js';
import { requestJson } from './stream.js';

/** The Secret's data, decoded, with what identifies its version. */
export interface SecretSnapshot {
  namespace: string;
  name: string;
  uid: string;
  resourceVersion: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  data: Record<string, Buffer>;
}


function snapshot(s: V1Secret): SecretSnapshot {
  const data: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(s.data ?? {})) {
    data[k] = Buffer.from(v, 'base64');
  }
  return {
    namespace: s.metadata?.namespace ?? '',
    name: s.metadata?.name ?? '',
    uid: s.metadata?.uid ?? '',
    resourceVersion: s.metadata?.resourceVersion ?? '',
    labels: s.metadata?.labels ?? {},
    annotations: s.metadata?.annotations ?? {},
    data,
  };
}

/**
 * Reads a Secret with its data (a raw request: stream.ts). Nothing is cached here: raw key bytes live only as long as the caller
 * needs them to parse (the reconciler keeps parsed public keys, by resourceVersion).
 */
export async function readSecret(kc: KubeConfig, namespace: string, name: string): Promise<SecretSnapshot | undefined> {
  try {
    return snapshot(await requestJson<V1Secret>(kc, `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`, { method: 'GET' }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface GeneratedSecretSpec {
  namespace: string;
  name: string;
  authServerName: string;
  algorithm: Algorithm;
  material: GeneratedKeyMaterial | GeneratedSecretMaterial;
  /** Set with deletionPolicy Delete, so the garbage collector removes the Secret with its AuthServer. */
  owner?: V1OwnerReference;
  /** More annotations (the rotation record, src/rotation/secret-layout.ts). */
  annotations?: Record<string, string>;
}

/** Creates the Secret; false when one of that name already exists (another reconcile or a user won). */
export async function createGeneratedSecret(core: CoreV1Api, spec: GeneratedSecretSpec): Promise<boolean> {
  try {
    await core.createNamespacedSecret({
      namespace: spec.namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        type: 'Opaque',
        metadata: {
          name: spec.name,
          namespace: spec.namespace,
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [AUTHSERVER_LABEL]: authServerLabelValue(spec.authServerName) },
          annotations: { ...spec.annotations, [ALGORITHM_ANNOTATION]: spec.algorithm, [AUTHSERVER_LABEL]: spec.authServerName },
          ...(spec.owner ? { ownerReferences: [spec.owner] } : {}),
        },
        ...('secret' in spec.material
          ? { data: { secret: spec.material.secret.toString('base64') } }
          : { stringData: { 'key.pem': spec.material['key.pem'], 'pub.pem': spec.material['pub.pem'] } }),
      },
    });
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

/** A change of a generated Secret's data and annotations, as a JSON merge patch (null removes a member). */
export interface GeneratedSecretChange {
  data: Record<string, string | null>;
  annotations: Record<string, string | null>;
}

/**
 * Patches a Secret that Signet generated, only if it is still at `resourceVersion` (the API server
 * checks it: optimistic concurrency) and still labelled as Signet's; false on a conflict (409).
 * The caller read the Secret at that version and saw the label, so a Secret someone else changed
 * or took over in between is never written.
 */
export async function patchGeneratedSecret(core: CoreV1Api, namespace: string, name: string, resourceVersion: string, change: GeneratedSecretChange): Promise<boolean> {
  try {
    await core.patchNamespacedSecret(
      { namespace, name, body: { metadata: { resourceVersion, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }, annotations: change.annotations }, data: change.data } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

/**
 * Applies JSON Patch operations to a Secret that Signet generated, on the same terms as
 * patchGeneratedSecret: only at `resourceVersion` (the patched object carries it, so the API server
 * answers 409 to a Secret changed meanwhile) and keeping Signet's label; false on a conflict.
 */
export async function patchGeneratedSecretOperations(core: CoreV1Api, namespace: string, name: string, resourceVersion: string, operations: readonly SecretPatchOperation[]): Promise<boolean> {
  try {
    await core.patchNamespacedSecret(
      { namespace, name, body: [
        { op: 'replace', path: '/metadata/resourceVersion', value: resourceVersion },
        { op: 'add', path: secretPointer('metadata', 'labels', MANAGED_BY_LABEL), value: MANAGED_BY_VALUE },
        ...operations,
      ] },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}
