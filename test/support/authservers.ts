// Creating, editing and reading AuthServers in tests, as a user would with kubectl.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer, type AuthServerSpec, type Condition } from '../../src/api/types.js';
import { clients } from './kube.js';
import { eventually } from './eventually.js';

const c = clients();
const api = { group: GROUP, version: VERSION, plural: PLURAL };

export async function createAuthServer(namespace: string, name: string, spec: AuthServerSpec, annotations: Record<string, string> = {}): Promise<AuthServer> {
  return (await c.custom.createNamespacedCustomObject({ ...api, namespace, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name, annotations }, spec } })) as AuthServer;
}

export async function getAuthServer(namespace: string, name: string): Promise<AuthServer> {
  return (await c.custom.getNamespacedCustomObject({ ...api, namespace, name })) as AuthServer;
}

/** Replaces the spec, retrying on conflicts like `kubectl edit` would make you. */
export async function editAuthServer(namespace: string, name: string, edit: (spec: AuthServerSpec) => AuthServerSpec): Promise<AuthServer> {
  return eventually(async () => {
    const as = await getAuthServer(namespace, name);
    return (await c.custom.replaceNamespacedCustomObject({ ...api, namespace, name, body: { ...as, spec: edit(structuredClone(as.spec)) } })) as AuthServer;
  }, { what: `edit of ${name}` });
}

/** Sets annotations (a merge patch, as `kubectl annotate --overwrite`): signet.dev/rotate and the like. */
export async function annotateAuthServer(namespace: string, name: string, annotations: Record<string, string>): Promise<void> {
  await c.custom.patchNamespacedCustomObject({ ...api, namespace, name, body: { metadata: { annotations } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

export async function deleteAuthServer(namespace: string, name: string): Promise<void> {
  await c.custom.deleteNamespacedCustomObject({ ...api, namespace, name });
}

export function condition(as: AuthServer, type: Condition['type']): Condition | undefined {
  return as.status?.conditions?.find((x) => x.type === type);
}

/** Waits until the AuthServer's status for its current generation satisfies `check`. */
export async function waitForStatus(namespace: string, name: string, check: (as: AuthServer) => boolean, what: string, timeoutMs = 30_000): Promise<AuthServer> {
  return eventually(async () => {
    const as = await getAuthServer(namespace, name);
    return as.status?.observedGeneration === as.metadata.generation && check(as) ? as : undefined;
  }, { what: `${namespace}/${name}: ${what}`, timeoutMs });
}

export const isReady = (as: AuthServer): boolean => condition(as, 'Ready')?.status === 'True';

export async function events(namespace: string, name: string): Promise<Array<{ reason: string; message: string; type: string }>> {
  const list = await c.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? '', message: e.message ?? '', type: e.type ?? '' }));
}

/** Waits for an event on the AuthServer: events are recorded after the status that announces them. */
export async function waitForEvent(namespace: string, name: string, reason: string, contains = ''): Promise<{ reason: string; message: string; type: string }> {
  return eventually(async () => (await events(namespace, name)).find((e) => e.reason === reason && e.message.includes(contains)), { what: `${reason} event on ${namespace}/${name}` });
}
