// The chart's HTTPS options for the JWKS listener: a kubernetes.io/tls Secret mounted as a directory
// (so renewals reach the pod) and passed with --jwks-tls-cert-file/--jwks-tls-key-file, or a
// cert-manager Certificate for the JWKS Service; plain HTTP otherwise.
import { byKind, helmTemplateError, one, render, type K8sObject } from '../../support/helm.js';

interface Container { args: string[]; volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean; subPath?: string }> }
interface PodSpec { containers: Container[]; volumes: Array<{ name: string; secret?: { secretName: string } }> }

function pod(objects: K8sObject[]): PodSpec {
  return (one(objects, 'Deployment') as K8sObject & { spec: { template: { spec: PodSpec } } }).spec.template.spec;
}

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

function jwksServicePort(objects: K8sObject[]): Record<string, unknown> {
  return (one(objects, 'Service', 'signet') as K8sObject & { spec: { ports: Array<Record<string, unknown>> } }).spec.ports[0] as Record<string, unknown>;
}

it('serves plain HTTP by default: no TLS flags, no Certificate', async () => {
  const objects = await render();
  const args = pod(objects).containers[0]!.args;
  expect(args.filter((a) => a.startsWith('--jwks-tls'))).toEqual([]);
  expect(byKind(objects, 'Certificate')).toHaveLength(0);
  expect(jwksServicePort(objects)).toMatchObject({ name: 'http' });
});

it('mounts jwks.tls.secretName as a directory and passes both files', async () => {
  const objects = await render({ values: { jwks: { tls: { secretName: 'login-tls' } } } });
  const spec = pod(objects);
  const args = spec.containers[0]!.args;
  expect(flag(args, '--jwks-tls-cert-file')).toBe('/etc/signet/jwks-tls/tls.crt');
  expect(flag(args, '--jwks-tls-key-file')).toBe('/etc/signet/jwks-tls/tls.key');
  expect(spec.volumes).toContainEqual({ name: 'jwks-tls', secret: { secretName: 'login-tls' } });
  const mount = spec.containers[0]!.volumeMounts.find((m) => m.name === 'jwks-tls');
  expect(mount).toEqual({ name: 'jwks-tls', mountPath: '/etc/signet/jwks-tls', readOnly: true });
  expect(jwksServicePort(objects)).toMatchObject({ name: 'https', appProtocol: 'https', targetPort: 'jwks' });
  expect(byKind(objects, 'Certificate')).toHaveLength(0);
});

it('renders a cert-manager Certificate for the JWKS Service and serves its Secret', async () => {
  const objects = await render({ values: { jwks: { tls: { certManager: { enabled: true, issuerRef: { name: 'cluster-ca', kind: 'ClusterIssuer' } } } } } });
  const cert = one(objects, 'Certificate') as K8sObject & { spec: Record<string, unknown> };
  expect(cert.apiVersion).toBe('cert-manager.io/v1');
  expect(cert.metadata).toMatchObject({ name: 'signet-jwks', namespace: 'signet-system' });
  expect(cert.spec).toMatchObject({
    secretName: 'signet-jwks-tls',
    issuerRef: { name: 'cluster-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' },
    dnsNames: ['signet', 'signet.signet-system', 'signet.signet-system.svc', 'signet.signet-system.svc.cluster.local'],
    usages: expect.arrayContaining(['server auth']),
  });
  const spec = pod(objects);
  expect(spec.volumes).toContainEqual({ name: 'jwks-tls', secret: { secretName: 'signet-jwks-tls' } });
  expect(flag(spec.containers[0]!.args, '--jwks-tls-cert-file')).toBe('/etc/signet/jwks-tls/tls.crt');

  const named = await render({ values: { jwks: { tls: { secretName: 'mine', certManager: { enabled: true, issuerRef: { name: 'ca' }, dnsNames: ['login.example.com'] } } } } });
  expect((one(named, 'Certificate') as K8sObject & { spec: Record<string, unknown> }).spec).toMatchObject({
    secretName: 'mine', issuerRef: { name: 'ca', kind: 'Issuer' }, dnsNames: ['login.example.com'],
  });
  expect(pod(named).volumes).toContainEqual({ name: 'jwks-tls', secret: { secretName: 'mine' } });
});

it('refuses a Certificate without an issuer, and unknown or mistyped TLS values', async () => {
  expect(await helmTemplateError({ values: { jwks: { tls: { certManager: { enabled: true } } } } })).toContain('jwks.tls.certManager.issuerRef.name is required');
  expect(await helmTemplateError({ values: { jwks: { tls: { secretname: 'x' } } } })).toMatch(/secretname/);
  expect(await helmTemplateError({ values: { jwks: { tls: { certManager: { enabled: true, issuerRef: { name: 'ca' }, dnsNames: 'a.example.com' } } } } })).toMatch(/dnsNames/);
});
