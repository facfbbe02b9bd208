// Status goes through the status subresource with the object's resourceVersion: a concurrent
// change makes the write fail with 409 and the reconcile runs again on fresh state.
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer, type AuthServerStatus } from '../api/types.js';

/** Returns the object as the API server stored it (with its new resourceVersion). */
export async function writeStatus(custom: CustomObjectsApi, as: AuthServer, status: AuthServerStatus): Promise<AuthServer> {
  return (await custom.replaceNamespacedCustomObjectStatus({
    group: GROUP,
    version: VERSION,
    namespace: as.metadata.namespace ?? '',
    plural: PLURAL,
    name: as.metadata.name ?? '',
    body: { apiVersion: as.apiVersion, kind: as.kind, metadata: { name: as.metadata.name, namespace: as.metadata.namespace, resourceVersion: as.metadata.resourceVersion }, status },
  })) as AuthServer;
}
