// Reading referenced Secrets and creating generated ones. Signet creates Secrets and never
// updates or deletes one: the only write here is a create.
import type { CoreV1Api, V1OwnerReference, V1Secret } from '@kubernetes/client-node';
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
    // Unpooled: a small Buffer.from() is a slice of a shared 8 KiB slab, which a cache would pin.
    const buf = Buffer.allocUnsafeSlow(Buffer.byteLength(v, 'base64'));
    data[k] = buf.subarray(0, buf.write(v, 'base64'));
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
 * Reads Secrets with data, keeping the last read of each referenced one: while the metadata
 * watch reports the same resourceVersion the data has not changed, so no second GET is needed.
 */
export class SecretReader {
  private readonly cache = new Map<string, SecretSnapshot>();

  constructor(private readonly core: CoreV1Api) {}

  /** `knownVersion` is the resourceVersion the watch reports, when it has seen the Secret. */
  async read(namespace: string, name: string, knownVersion: string | undefined): Promise<SecretSnapshot | undefined> {
    const key = `${namespace}/${name}`;
    const cached = this.cache.get(key);
    if (cached && knownVersion && cached.resourceVersion === knownVersion) return cached;
    try {
      const s = snapshot(await this.core.readNamespacedSecret({ namespace, name }));
      this.cache.set(key, s);
      return s;
    } catch (err) {
      if (!isNotFound(err)) throw err;
      this.cache.delete(key);
      return undefined;
    }
  }

  forget(namespace: string, name: string): void {
    this.cache.delete(`${namespace}/${name}`);
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
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [AUTHSERVER_LABEL]: spec.authServerName },
          annotations: { [ALGORITHM_ANNOTATION]: spec.algorithm },
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
