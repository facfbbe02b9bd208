// The informer does not stop: it outlives a resource that does not exist yet (the operator
// started before its CRD), and relists when its watch has been silent too long.
import type { KubernetesObject, V1CustomResourceDefinition } from '@kubernetes/client-node';
import { Informer, type ChangeType } from '../../../src/controller/informer.js';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { silentLogger } from '../../support/logger.js';

const c = clients();
const ns = useNamespace('informer');
const group = 'late.signet.dev';
const crd: V1CustomResourceDefinition = {
  metadata: { name: `gadgets.${group}` },
  spec: {
    group, scope: 'Namespaced',
    names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
    versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } } }],
  },
};
let informer: Informer<KubernetesObject> | undefined;

afterEach(async () => {
  await informer?.stop();
});
afterAll(async () => {
  await c.apiext.deleteCustomResourceDefinition({ name: crd.metadata!.name! }).catch(() => undefined);
});

it('keeps retrying while the resource does not exist and syncs once it does', async () => {
  const restarts: string[] = [];
  const seen: Array<[ChangeType, string]> = [];
  informer = new Informer<KubernetesObject>({
    kc: c.kc, log: silentLogger, name: 'gadgets', path: `/apis/${group}/v1/namespaces/${ns.name}/gadgets`,
    backoff: { baseMs: 50, maxMs: 200 },
    onChange: (type, obj) => seen.push([type, obj.metadata?.name ?? '']),
    onRestart: (reason) => restarts.push(reason),
  });
  informer.start();
  await eventually(() => restarts.length >= 2, { what: 'restarts after 404s' });
  expect(informer.synced).toBe(false);

  await c.apiext.createCustomResourceDefinition({ body: crd });
  await eventually(() => informer!.synced, { what: 'synced once the CRD exists', timeoutMs: 30_000 });
  await eventually(async () => {
    await c.custom.createNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'gadgets', body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name: 'g1' } } });
    return true;
  }, { what: 'create a gadget' });
  await eventually(() => seen.some(([t, n]) => t === 'add' && n === 'g1'), { what: 'add event for g1' });
  expect(informer.get(`${ns.name}/g1`)?.metadata?.name).toBe('g1');
});

it('relists when the watch is silent, and still delivers what changed', async () => {
  const restarts: string[] = [];
  const seen: Array<[ChangeType, string]> = [];
  informer = new Informer<KubernetesObject>({
    kc: c.kc, log: silentLogger, name: 'configmaps', path: `/api/v1/namespaces/${ns.name}/configmaps`, metadataOnly: true,
    silenceMs: 300,
    onChange: (type, obj) => seen.push([type, obj.metadata?.name ?? '']),
    onRestart: (reason) => restarts.push(reason),
  });
  informer.start();
  await eventually(() => restarts.includes('silent'), { what: 'a relist after silence' });
  await c.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'after-silence' }, data: { big: 'x'.repeat(1000) } } });
  await eventually(() => seen.some(([t, n]) => t === 'add' && n === 'after-silence'), { what: 'add after silence' });
  // Metadata only: the data never reaches the cache.
  expect(informer.get(`${ns.name}/after-silence`)).not.toHaveProperty('data');
  await c.core.deleteNamespacedConfigMap({ namespace: ns.name, name: 'after-silence' });
  await eventually(() => seen.some(([t, n]) => t === 'delete' && n === 'after-silence'), { what: 'delete event' });
});

it('keeps neither last-applied-configuration nor managedFields of the Secrets it watches, listed or watched', async () => {
  // What `kubectl apply -f secret.yaml` leaves on a Secret: the whole object, data included, in an annotation.
  const lastApplied = 'kubectl.kubernetes.io/last-applied-configuration';
  const secret = (name: string) => {
    const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: ns.name, annotations: { keep: 'me' } }, data: { 'key.pem': Buffer.from(`-----BEGIN PRIVATE KEY----- ${name}`).toString('base64') } };
    return { ...body, metadata: { ...body.metadata, annotations: { ...body.metadata.annotations, [lastApplied]: JSON.stringify(body) } } };
  };
  await c.core.createNamespacedSecret({ namespace: ns.name, body: secret('listed') });
  const fromServer = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'listed' });
  // The annotation holds the key, base64 like the Secret's data ("-----BEGIN" is "LS0tLS1CRUdJTi").
  const keyMaterial = 'LS0tLS1CRUdJTi';
  expect(fromServer.metadata?.annotations?.[lastApplied]).toContain(keyMaterial);
  expect(fromServer.metadata?.managedFields?.length).toBeGreaterThan(0);

  informer = new Informer<KubernetesObject>({
    kc: c.kc, log: silentLogger, name: 'secrets', path: `/api/v1/namespaces/${ns.name}/secrets`, metadataOnly: true, onChange: () => undefined,
  });
  informer.start();
  await eventually(() => informer!.synced, { what: 'secrets listed' });
  await c.core.createNamespacedSecret({ namespace: ns.name, body: secret('watched') });
  await eventually(() => informer!.get(`${ns.name}/watched`), { what: 'the watched Secret' });

  for (const name of ['listed', 'watched']) {
    const kept = informer.get(`${ns.name}/${name}`);
    expect(kept?.metadata?.annotations).toEqual({ keep: 'me' });
    expect(kept?.metadata).not.toHaveProperty('managedFields');
    expect(JSON.stringify(kept)).not.toContain(keyMaterial);
  }
});
