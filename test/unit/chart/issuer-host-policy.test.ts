// The chart value issuerHostPolicy: a ConfigMap the pod mounts and passes as --issuer-host-policy,
// in the format the operator itself parses; nothing of it when the value is empty.
import { parseHostPolicy } from '../../../src/api/host-policy.js';
import { byKind, helmTemplateError, one, render, type K8sObject } from '../../support/helm.js';

interface PodTemplate {
  metadata: { annotations?: Record<string, string> };
  spec: {
    containers: Array<{ args: string[]; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>;
    volumes: Array<{ name: string; configMap?: { name: string } }>;
  };
}
const template = (objects: K8sObject[]): PodTemplate => (one(objects, 'Deployment') as K8sObject & { spec: { template: PodTemplate } }).spec.template;

const POLICY = [
  { namespaces: ['team-a', 'team-a-*'], hosts: ['*.team-a.example.com'] },
  { namespaces: ['*'], hosts: ['shared.example.com'] },
];

it('renders no policy, no flag and no volume by default: every namespace may claim any host', async () => {
  const objects = await render();
  expect(byKind(objects, 'ConfigMap')).toHaveLength(0);
  const pod = template(objects);
  expect(pod.spec.containers[0]!.args).not.toContain('--issuer-host-policy');
  expect(pod.spec.volumes.map((v) => v.name)).not.toContain('issuer-host-policy');
  expect(pod.metadata.annotations?.['checksum/issuer-host-policy']).toBeUndefined();
});

it('mounts the policy from a ConfigMap and passes the file as --issuer-host-policy', async () => {
  const objects = await render({ values: { issuerHostPolicy: POLICY } });
  const cm = one(objects, 'ConfigMap', 'signet-issuer-host-policy') as K8sObject & { data: Record<string, string> };
  expect(cm.metadata.namespace).toBe('signet-system');
  const policy = parseHostPolicy(cm.data['policy.yaml'] ?? '', 'policy.yaml');
  expect(policy.allows('team-a-dev', 'login.team-a.example.com')).toBe(true);
  expect(policy.allows('team-b', 'login.team-a.example.com')).toBe(false);
  expect(policy.allows('team-b', 'shared.example.com')).toBe(true);

  const pod = template(objects);
  const args = pod.spec.containers[0]!.args;
  const file = args[args.indexOf('--issuer-host-policy') + 1] ?? '';
  const mount = pod.spec.containers[0]!.volumeMounts.find((m) => m.name === 'issuer-host-policy');
  expect(mount?.readOnly).toBe(true);
  expect(file).toBe(`${mount?.mountPath}/policy.yaml`);
  expect(pod.spec.volumes.find((v) => v.name === 'issuer-host-policy')?.configMap?.name).toBe(cm.metadata.name);
  // A changed policy rolls the pods, since it is read at startup.
  const changed = template(await render({ values: { issuerHostPolicy: [POLICY[0]] } }));
  expect(pod.metadata.annotations?.['checksum/issuer-host-policy']).toMatch(/^[0-9a-f]{64}$/);
  expect(changed.metadata.annotations?.['checksum/issuer-host-policy']).not.toBe(pod.metadata.annotations?.['checksum/issuer-host-policy']);
});

it.each([
  [[{ namespaces: ['team-a'] }], /hosts/],
  [[{ namespaces: [], hosts: ['x.example.com'] }], /namespaces/],
  [[{ namespaces: ['team-a'], hosts: ['https://login.example.com'] }], /hosts/],
  [[{ namespaces: ['team-a'], hosts: ['x.example.com'], namespace: 'typo' }], /namespace/],
])('refuses %j in values.schema.json', async (value, message) => {
  expect(await helmTemplateError({ values: { issuerHostPolicy: value } })).toMatch(message);
});
