// Status goes through the status subresource with the object's resourceVersion: a concurrent
// change makes the write fail with 409 and the reconcile runs again on fresh state. A raw request
// (stream.ts): a reconcile writes status for every changed Secret.
import type { KubeConfig } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer, type AuthServerStatus } from '../api/types.js';
import { requestJson } from './stream.js';

/** Returns the object as the API server stored it (with its new resourceVersion). */
export async function writeStatus(kc: KubeConfig, canWrite: () => boolean, as: AuthServer, status: AuthServerStatus): Promise<AuthServer> {
  const { namespace = '', name = '' } = as.metadata;
  return requestJson<AuthServer>(kc, `/apis/${GROUP}/${VERSION}/namespaces/${encodeURIComponent(namespace)}/${PLURAL}/${encodeURIComponent(name)}/status`, {
    method: 'PUT',
    canWrite,
    body: { apiVersion: as.apiVersion, kind: as.kind, metadata: { name, namespace, resourceVersion: as.metadata.resourceVersion }, status },
  });
}
