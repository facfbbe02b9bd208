// The real API server accepts a CRD, stores custom objects and streams them to client-node's informer.
import { makeInformer, type KubernetesObject, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';

const c = clients();
const ns = useNamespace('cp-crd');
const group = 'probe.signet.dev';
const crd: V1CustomResourceDefinition = {
  metadata: { name: `widgets.${group}` },
  spec: {
    group,
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { size: { type: 'integer' } } } } } },
    }],
  },
};

afterAll(async () => {
  await c.apiext.deleteCustomResourceDefinition({ name: crd.metadata!.name! }).catch(() => undefined);
});

it('creates a CRD, waits for Established, stores an object and watches it with an informer', async () => {
  await c.apiext.createCustomResourceDefinition({ body: crd });
  await eventually(async () => {
    const got = await c.apiext.readCustomResourceDefinition({ name: crd.metadata!.name! });
    return got.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
  }, { what: 'Established' });

  const body = { apiVersion: `${group}/v1`, kind: 'Widget', metadata: { name: 'w1' }, spec: { size: 3 } };
  await c.custom.createNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets', body });
  const read = (await c.custom.getNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets', name: 'w1' })) as { spec: { size: number } };
  expect(read.spec.size).toBe(3);

  const path = `/apis/${group}/v1/namespaces/${ns.name}/widgets`;
  const seen: Array<{ type: string; size: number }> = [];
  const informer = makeInformer<KubernetesObject & { spec: { size: number } }>(c.kc, path,
    () => c.custom.listNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets' }) as never);
  informer.on('add', (o) => seen.push({ type: 'add', size: o.spec.size }));
  informer.on('update', (o) => seen.push({ type: 'update', size: o.spec.size }));
  informer.on('delete', (o) => seen.push({ type: 'delete', size: o.spec.size }));
  await informer.start();
  try {
    await eventually(() => seen.some((e) => e.type === 'add' && e.size === 3), { what: 'add event' });
    await c.custom.patchNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets', name: 'w1', body: [{ op: 'replace', path: '/spec/size', value: 5 }] });
    await eventually(() => seen.some((e) => e.type === 'update' && e.size === 5), { what: 'update event' });
    await c.custom.deleteNamespacedCustomObject({ group, version: 'v1', namespace: ns.name, plural: 'widgets', name: 'w1' });
    await eventually(() => seen.some((e) => e.type === 'delete'), { what: 'delete event' });
  } finally {
    await informer.stop();
  }
});
