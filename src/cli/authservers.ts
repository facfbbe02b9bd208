// Reading and annotating AuthServers with the user's credentials.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../api/types.js';
import type { Cluster } from './context.js';
import { apiErrorMessage, isNotFound, statusCode } from '../kube/errors.js';
import { CliError } from './errors.js';
import type { AuthServer } from '../api/types.js';

const api = { group: GROUP, version: VERSION, plural: PLURAL };

function failed(what: string, err: unknown): CliError {
  if (statusCode(err) === 404 && /the server could not find the requested resource/i.test(apiErrorMessage(err))) {
    return new CliError(`${what}: the AuthServer API (${PLURAL}.${GROUP}) is not installed in this cluster; install Signet first (docs/install.md)`);
  }
  return new CliError(`${what}: ${apiErrorMessage(err)}`);
}

export async function getAuthServer(cluster: Cluster, name: string): Promise<AuthServer> {
  try {
    return (await cluster.custom.getNamespacedCustomObject({ ...api, namespace: cluster.namespace, name })) as AuthServer;
  } catch (err) {
    if (isNotFound(err) && !/could not find the requested resource/i.test(apiErrorMessage(err))) {
      throw new CliError(`AuthServer "${name}" not found in namespace "${cluster.namespace}" (kubectl get authservers -A lists them all)`);
    }
    throw failed(`cannot read AuthServer ${cluster.namespace}/${name}`, err);
  }
}

/** AuthServers in the cluster's namespace, or in every namespace. */
export async function listAuthServers(cluster: Cluster, allNamespaces: boolean): Promise<AuthServer[]> {
  try {
    const list = (allNamespaces
      ? await cluster.custom.listClusterCustomObject(api)
      : await cluster.custom.listNamespacedCustomObject({ ...api, namespace: cluster.namespace })) as { items: AuthServer[] };
    return list.items.sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  } catch (err) {
    throw failed(allNamespaces ? 'cannot list AuthServers' : `cannot list AuthServers in namespace "${cluster.namespace}"`, err);
  }
}

export async function annotate(cluster: Cluster, name: string, annotations: Record<string, string>): Promise<AuthServer> {
  try {
    return (await cluster.custom.patchNamespacedCustomObject(
      { ...api, namespace: cluster.namespace, name, body: { metadata: { annotations } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    )) as AuthServer;
  } catch (err) {
    throw failed(`cannot annotate AuthServer ${cluster.namespace}/${name}`, err);
  }
}
