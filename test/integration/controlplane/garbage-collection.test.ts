// kube-controller-manager's garbage collector runs: a dependent goes when its owner goes.
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';

const c = clients();
const ns = useNamespace('cp-gc');

it('deletes an object whose owner was deleted', async () => {
  const owner = await c.core.createNamespacedConfigMap({ namespace: ns.name, body: { metadata: { name: 'owner' } } });
  await c.core.createNamespacedSecret({
    namespace: ns.name,
    body: {
      metadata: {
        name: 'dependent',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata!.uid!, blockOwnerDeletion: true }],
      },
      stringData: { a: 'b' },
    },
  });
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'bystander' }, stringData: { a: 'b' } } });

  await c.core.deleteNamespacedConfigMap({ name: 'owner', namespace: ns.name });
  await eventually(async () => {
    const list = await c.core.listNamespacedSecret({ namespace: ns.name });
    return !list.items.some((s) => s.metadata?.name === 'dependent');
  }, { what: 'dependent Secret collected', timeoutMs: 60_000 });
  const left = await c.core.readNamespacedSecret({ name: 'bystander', namespace: ns.name });
  expect(left.metadata?.name).toBe('bystander');
});
