// Reading referenced Secrets and creating generated ones. Signet never updates or deletes a
// Secret it did not create.
import type { CoreV1Api, V1OwnerReference, V1Secret } from '@kubernetes/client-node';
import { authServerLabelValue } from '../api/labels.js';
import { ALGORITHM_ANNOTATION, AUTHSERVER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Algorithm } from '../api/types.js';
import type { GeneratedKeyMaterial } from '../keys/types.js';
import { isConflict, isNotFound } from './errors.js';

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

export function isGeneratedBySignet(labels: Record<string, string> | undefined): boolean {
  return labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
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
 * Reads Secrets with data. Nothing is cached here: raw key bytes live only as long as the caller
 * needs them to parse (the reconciler keeps parsed public keys, by resourceVersion).
 */
export async function readSecret(core: CoreV1Api, namespace: string, name: string): Promise<SecretSnapshot | undefined> {
  try {
    return snapshot(await core.readNamespacedSecret({ namespace, name }));
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
  material: GeneratedKeyMaterial;
  /** Set with deletionPolicy Delete, so the garbage collector removes the Secret with its AuthServer. */
  owner?: V1OwnerReference;
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
          annotations: { [ALGORITHM_ANNOTATION]: spec.algorithm, [AUTHSERVER_LABEL]: spec.authServerName },
          ...(spec.owner ? { ownerReferences: [spec.owner] } : {}),
        },
        stringData: { 'key.pem': spec.material['key.pem'], 'pub.pem': spec.material['pub.pem'] },
      },
    });
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}
