// The chart's signing service (docs/signing.md): off by default; on, a listener on 8443 behind the
// Service's `signing` port, HTTPS from signing.tlsSecretName (mounted as a directory so renewals
// reach the pod), system:auth-delegator for the TokenReviews and SubjectAccessReviews, and the
// example signer ClusterRole. Plain HTTP only when asked for by name: callers send bearer tokens.
import { byKind, helmTemplateError, one, render, type K8sObject } from '../../support/helm.js';

interface Container { args: string[]; ports: Array<{ name: string; containerPort: number }>; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }
interface PodSpec { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string } }> }

const pod = (objects: K8sObject[]): PodSpec => (one(objects, 'Deployment') as K8sObject & { spec: { template: { spec: PodSpec } } }).spec.template.spec;
const flag = (args: string[], name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
type ServiceSpec = { type?: string; ports: Array<Record<string, unknown>> };
const service = (objects: K8sObject[], name: string) => (one(objects, 'Service', name) as K8sObject & { spec: ServiceSpec }).spec;
const servicePorts = (objects: K8sObject[]) => service(objects, 'signet').ports;

it('renders no signing listener, port, binding or role by default', async () => {
  const objects = await render();
  const spec = pod(objects);
  expect(spec.containers[0]!.args.filter((a) => a.startsWith('--signing'))).toEqual([]);
  expect(spec.containers[0]!.ports.map((p) => p.name)).toEqual(['jwks', 'metrics']);
  expect(servicePorts(objects).map((p) => p.name)).not.toContain('signing');
  expect(byKind(objects, 'ClusterRoleBinding').map((o) => o.metadata.name)).not.toContain('signet-auth-delegator');
  expect(byKind(objects, 'ClusterRole').map((o) => o.metadata.name)).not.toContain('signet-signer');
});

it('serves signing over HTTPS from signing.tlsSecretName, with the RBAC the reviews need', async () => {
  const objects = await render({ values: { signing: { enabled: true, tlsSecretName: 'signet-signing-tls', tokenAudiences: ['signet'] } } });
  const spec = pod(objects);
  const c = spec.containers[0]!;
  expect(flag(c.args, '--signing-bind-address')).toBe('0.0.0.0:8443');
  expect(flag(c.args, '--signing-tls-cert-file')).toBe('/etc/signet/signing-tls/tls.crt');
  expect(flag(c.args, '--signing-tls-key-file')).toBe('/etc/signet/signing-tls/tls.key');
  expect(flag(c.args, '--signing-token-audience')).toBe('signet');
  expect(c.args).not.toContain('--signing-insecure');
  expect(c.ports).toContainEqual(expect.objectContaining({ name: 'signing', containerPort: 8443 }));
  expect(spec.volumes).toContainEqual({ name: 'signing-tls', secret: { secretName: 'signet-signing-tls' } });
  expect(c.volumeMounts).toContainEqual({ name: 'signing-tls', mountPath: '/etc/signet/signing-tls', readOnly: true });
  // Its own ClusterIP Service, not a port of the JWKS Service.
  expect(service(objects, 'signet-signing')).toMatchObject({ type: 'ClusterIP', ports: [expect.objectContaining({ name: 'signing', port: 8443, targetPort: 'signing', appProtocol: 'https' })] });
  expect(servicePorts(objects).map((p) => p.name)).not.toContain('signing');

  const binding = one(objects, 'ClusterRoleBinding', 'signet-auth-delegator') as K8sObject & { roleRef: { name: string }; subjects: Array<{ kind: string; name: string; namespace: string }> };
  expect(binding.roleRef.name).toBe('system:auth-delegator');
  expect(binding.subjects).toEqual([expect.objectContaining({ kind: 'ServiceAccount', name: 'signet' })]);
  const signer = one(objects, 'ClusterRole', 'signet-signer') as K8sObject & { rules: unknown[] };
  expect(signer.rules).toEqual([{ apiGroups: ['signet.dev'], resources: ['authservers/sign'], verbs: ['create'] }]);
});

it('refuses to render a signing listener without TLS unless signing.insecure says so', async () => {
  expect(await helmTemplateError({ values: { signing: { enabled: true } } })).toContain('signing.enabled needs signing.tlsSecretName');
  const args = pod(await render({ values: { signing: { enabled: true, insecure: true } } })).containers[0]!.args;
  expect(args).toContain('--signing-insecure');
  expect(args.filter((a) => a.startsWith('--signing-tls'))).toEqual([]);
});

it('leaves the example signer role out when asked', async () => {
  const objects = await render({ values: { signing: { enabled: true, tlsSecretName: 't', createSignerClusterRole: false } } });
  expect(byKind(objects, 'ClusterRole').map((o) => o.metadata.name)).not.toContain('signet-signer');
  expect(byKind(objects, 'ClusterRoleBinding').map((o) => o.metadata.name)).toContain('signet-auth-delegator');
});

it('keeps the signing port off a public JWKS Service (service.type LoadBalancer)', async () => {
  const objects = await render({ values: { service: { type: 'LoadBalancer' }, signing: { enabled: true, tlsSecretName: 't' } } });
  expect(service(objects, 'signet')).toMatchObject({ type: 'LoadBalancer', ports: [expect.objectContaining({ targetPort: 'jwks' })] });
  expect(service(objects, 'signet').ports).toHaveLength(1);
  expect(service(objects, 'signet-signing').type).toBe('ClusterIP');
});

it('asks for tokens issued for the audience "signet" by default (the token every pod mounts is refused)', async () => {
  const args = pod(await render({ values: { signing: { enabled: true, tlsSecretName: 't' } } })).containers[0]!.args;
  expect(args.flatMap((a, i) => (a === '--signing-token-audience' ? [args[i + 1]] : []))).toEqual(['signet']);
  const none = pod(await render({ values: { signing: { enabled: true, tlsSecretName: 't', tokenAudiences: [] } } })).containers[0]!.args;
  expect(none).not.toContain('--signing-token-audience');
});
