// The API server accepts what the chart renders and manifests/install.yaml
// (`kubectl apply --dry-run=server`, which runs validation and admission without storing anything).
// The AuthServer CRD is applied for real first, and so is a minimal ServiceMonitor CRD (the
// Prometheus Operator's is not installed here; this one has the fields of the real schema that the
// chart uses, so a misspelt field is refused) so the HA profile's ServiceMonitor is checked too;
// the namespaces the objects go into exist for real.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { applyCrd, clients, installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { helmTemplate, kubectl, parseObjects, run } from '../../support/helm.js';

const c = clients();
const release = useNamespace('pkg-release');
const teamA = useNamespace('pkg-a');
const teamB = useNamespace('pkg-b');
const INSTALL_NAMESPACE = 'signet-system';

const serviceMonitorCrd: V1CustomResourceDefinition = {
  metadata: { name: 'servicemonitors.monitoring.coreos.com' },
  spec: {
    group: 'monitoring.coreos.com',
    scope: 'Namespaced',
    names: { plural: 'servicemonitors', singular: 'servicemonitor', kind: 'ServiceMonitor', listKind: 'ServiceMonitorList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              required: ['selector', 'endpoints'],
              properties: {
                selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
                namespaceSelector: { type: 'object', properties: { any: { type: 'boolean' }, matchNames: { type: 'array', items: { type: 'string' } } } },
                endpoints: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { port: { type: 'string' }, path: { type: 'string' }, interval: { type: 'string' }, scrapeTimeout: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
      },
    }],
  },
};

beforeAll(async () => {
  await installCrd(c);
  await applyCrd(serviceMonitorCrd, c);
  await c.core.createNamespace({ body: { metadata: { name: INSTALL_NAMESPACE, labels: { 'signet.dev/test': 'true' } } } }).catch((err: { code?: number }) => {
    if (err.code !== 409) throw err;
  });
});

afterAll(async () => {
  await c.core.deleteNamespace({ name: INSTALL_NAMESPACE }).catch(() => undefined);
  await c.apiext.deleteCustomResourceDefinition({ name: serviceMonitorCrd.metadata!.name! }).catch(() => undefined);
});

/** `kubectl apply --dry-run=server -f -`; resolves to kubectl's output, fails with its message. */
async function dryRun(yaml: string): Promise<string> {
  const r = await run(kubectl(), ['apply', '--dry-run=server', '-o', 'name', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`the API server refused the manifests:\n${r.stderr}`);
  return r.stdout;
}

/** kind/name of every object in the YAML, as `kubectl -o name` prints them. */
function expectedNames(yaml: string): string[] {
  return parseObjects(yaml).map((o) => {
    const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
    return `${o.kind.toLowerCase()}${group}/${o.metadata.name}`;
  }).sort();
}

function applied(stdout: string): string[] {
  return stdout.split('\n').filter(Boolean).sort();
}

it('accepts the chart with default values', async () => {
  const yaml = await helmTemplate({ release: 'signet', namespace: release.name });
  expect(applied(await dryRun(yaml))).toEqual(expectedNames(yaml));
});

it('accepts the HA profile: 3 replicas, leader election, watchNamespaces, Ingress with TLS, ServiceMonitor, NetworkPolicy', async () => {
  const yaml = await helmTemplate({
    release: 'signet-ha',
    namespace: release.name,
    values: {
      replicaCount: 3,
      leaderElection: { enabled: true },
      watchNamespaces: [teamA.name, teamB.name],
      ingress: {
        enabled: true, className: 'nginx',
        hosts: [{ host: 'login.example.com' }, { host: 'id.example.org', paths: [{ path: '/team-b', pathType: 'Prefix' }] }],
        tls: [{ secretName: 'login-tls', hosts: ['login.example.com'] }],
      },
      serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
      networkPolicy: { enabled: true, metricsNamespace: 'monitoring' },
    },
  });
  const names = expectedNames(yaml);
  for (const kind of ['deployment.apps/', 'poddisruptionbudget.policy/', 'ingress.networking.k8s.io/', 'servicemonitor.monitoring.coreos.com/', 'role.rbac.authorization.k8s.io/', 'networkpolicy.networking.k8s.io/']) {
    expect(names.some((n) => n.startsWith(kind))).toBe(true);
  }
  expect(applied(await dryRun(yaml))).toEqual(names);
});

it('accepts manifests/install.yaml (Namespace, CRD and the chart with default values)', async () => {
  const yaml = readFileSync(join(repoRoot, 'manifests/install.yaml'), 'utf8');
  const names = expectedNames(yaml);
  expect(names).toEqual(expect.arrayContaining([
    'namespace/signet-system', 'customresourcedefinition.apiextensions.k8s.io/authservers.signet.dev', 'deployment.apps/signet',
    'validatingadmissionpolicy.admissionregistration.k8s.io/signet-secrets', 'validatingadmissionpolicybinding.admissionregistration.k8s.io/signet-secrets',
  ]));
  expect(applied(await dryRun(yaml))).toEqual(names);
});
