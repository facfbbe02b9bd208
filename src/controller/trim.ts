// What the informers keep of each object: everything but what is large and never read here.
// `kubectl apply` stores the whole applied object in an annotation, so for a Secret created that
// way the annotation holds its key material, which the metadata-only watch must not keep (the
// private half is never kept in memory). managedFields only record who set which field.
import type { KubernetesObject } from '@kubernetes/client-node';

const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** A copy of `obj` without managedFields and the last-applied-configuration annotation. */
export function trimForCache<T extends KubernetesObject>(obj: T): T {
  const meta = obj.metadata;
  if (!meta || (meta.managedFields === undefined && meta.annotations?.[LAST_APPLIED_ANNOTATION] === undefined)) return obj;
  const metadata = { ...meta };
  delete metadata.managedFields;
  if (meta.annotations) {
    const kept = Object.fromEntries(Object.entries(meta.annotations).filter(([k]) => k !== LAST_APPLIED_ANNOTATION));
    if (Object.keys(kept).length > 0) metadata.annotations = kept;
    else delete metadata.annotations;
  }
  return { ...obj, metadata };
}
