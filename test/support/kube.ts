// Clients and a fresh namespace per test file, against the control plane of global-setup.ts.
import { CoreV1Api, CustomObjectsApi, KubeConfig, ApiextensionsV1Api, loadYaml } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { eventually } from './eventually.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../..');

export function kubeConfig(): KubeConfig {
  const path = process.env.KUBECONFIG;
  if (!path) throw new Error('KUBECONFIG is not set: integration tests run under the jest project "integration"');
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  return kc;
}

export interface Clients {
  kc: KubeConfig;
  core: CoreV1Api;
  custom: CustomObjectsApi;
  apiext: ApiextensionsV1Api;
}

export function clients(): Clients {
  const kc = kubeConfig();
  return { kc, core: kc.makeApiClient(CoreV1Api), custom: kc.makeApiClient(CustomObjectsApi), apiext: kc.makeApiClient(ApiextensionsV1Api) };
}

/** Creates a namespace named after the test file; deletes it afterwards (the namespace controller empties it). */
export function useNamespace(prefix: string): { readonly name: string } {
  const holder = { name: '' };
  beforeAll(async () => {
    holder.name = `${prefix}-${randomBytes(3).toString('hex')}`;
    await clients().core.createNamespace({ body: { metadata: { name: holder.name, labels: { 'signet.dev/test': 'true' } } } });
  });
  afterAll(async () => {
    await clients().core.deleteNamespace({ name: holder.name }).catch(() => undefined);
  });
  return holder;
}

/**
 * The CRD as client-node's model: its serializer writes the model's names (`x_kubernetes_validations`,
 * `_default`) and drops anything else, so the plain YAML would reach the API server without its CEL
 * rules and defaults, and a CRD that the API server refuses would pass every test.
 */
export function loadCrd(): V1CustomResourceDefinition {
  return loadYaml<V1CustomResourceDefinition>(readFileSync(join(repoRoot, 'crds/authservers.signet.dev.yaml'), 'utf8'));
}

/** Applies the CRD (idempotent across test files) and waits until it is Established. */
export async function installCrd(c: Clients = clients()): Promise<void> {
  await applyCrd(loadCrd(), c);
}

/** Creates a CRD unless it exists (idempotent across test files) and waits until it is Established. */
export async function applyCrd(crd: V1CustomResourceDefinition, c: Clients = clients()): Promise<void> {
  const name = crd.metadata?.name ?? '';
  try {
    await c.apiext.createCustomResourceDefinition({ body: crd });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
  await eventually(async () => {
    const got = await c.apiext.readCustomResourceDefinition({ name });
    return got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
  }, { what: `CRD ${name} Established` });
}
