// The user's kubeconfig, context and namespace, chosen as kubectl chooses them: --kubeconfig,
// else $KUBECONFIG, else ~/.kube/config (else the in-cluster service account); --context, else the
// current context; -n, else the context's namespace, else "default".
import { CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { makeApiClient } from '../kube/client.js';
import { CliError } from './errors.js';
import type { OutputFormat } from './output.js';

export interface GlobalOptions {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  output?: OutputFormat;
}

export interface Cluster {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  /** The namespace commands act in. */
  namespace: string;
}

export function connect(opts: GlobalOptions): Cluster {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else kc.loadFromDefault();
  } catch (err) {
    throw new CliError(`cannot read the kubeconfig ${opts.kubeconfig ?? process.env.KUBECONFIG ?? '~/.kube/config'}: ${(err as Error).message}`);
  }
  if (opts.context) {
    if (!kc.getContextObject(opts.context)) {
      throw new CliError(`context "${opts.context}" is not in the kubeconfig; it has: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'}`);
    }
    kc.setCurrentContext(opts.context);
  }
  if (!kc.getCurrentCluster()) throw new CliError('the kubeconfig has no current context: pass --context or run `kubectl config use-context NAME`');
  const namespace = opts.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
  return { kc, custom: makeApiClient(kc, CustomObjectsApi), core: makeApiClient(kc, CoreV1Api), namespace };
}
