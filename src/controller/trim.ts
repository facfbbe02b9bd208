// What the informers keep of each object: everything but what is large and never read here, and of
// a Secret only what identifies its version (keyOnly).
// `kubectl apply` stores the whole applied object in an annotation, so for a Secret created that
// way the annotation holds its key material, which the metadata-only watch must not keep (the
// private half is never kept in memory). managedFields only record who set which field.
import type { KubernetesObject } from '@kubernetes/client-node';

const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** A copy of `obj` without managedFields and the last-applied-configuration annotation. */
export function trimForCache<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta || (meta.managedFields === undefined && meta.annotations?.[LAST_APPLIED_ANNOTATION] === undefined)) return obj;
  // Copied without the dropped members rather than copied and `delete`d: a delete turns the object
  // into a hash table in V8, about 400 bytes more per cached object (4 MB at 10,000 AuthServers).
  // Loops, not Object.entries/fromEntries: a replica that joins copies 10,000 AuthServers' metadata at once.
  const metadata: Record<string, unknown> = {};
  for (const k in meta) if (k !== 'managedFields' && k !== 'annotations') metadata[k] = meta[k as keyof typeof meta];
  if (meta.annotations) {
    const kept: Record<string, string> = {};
    let any = false;
    for (const k in meta.annotations) {
      if (k === LAST_APPLIED_ANNOTATION) continue;
      kept[k] = meta.annotations[k] as string;
      any = true;
    }
    if (any) metadata.annotations = kept;
  }
  return { ...obj, metadata };
}

/**
 * Name, namespace and resourceVersion only: what the controller reads of a Secret from its watch
 * (which AuthServers to requeue, and whether the version it parsed is still current). Labels and
 * annotations are read with the data when a reconcile needs the Secret, so the thousands of
 * unrelated Secrets in a cluster (Helm releases, tokens) cost a few strings each.
 */
export function keyOnly<T extends KubernetesObject>(obj: T): T {
  const { name, namespace, resourceVersion } = obj.metadata ?? {};
  return { metadata: { name, namespace, resourceVersion } } as T;
}
