// What the chart renders besides RBAC: Services, the optional Ingress and ServiceMonitor, the
// PodDisruptionBudget, NOTES.txt, and `helm lint --strict`.
import { chartDir, byKind, one, render, run, tool, type K8sObject } from '../../support/helm.js';

type Spec<T> = K8sObject & { spec: T };
interface ServiceSpec { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string | number }> }

function deploymentPorts(objects: K8sObject[]): Record<string, number> {
  const d = one(objects, 'Deployment') as Spec<{ template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } }>;
  return Object.fromEntries(d.spec.template.spec.containers[0]!.ports.map((p) => [p.name, p.containerPort]));
}

function podLabels(objects: K8sObject[]): Record<string, string> {
  return (one(objects, 'Deployment') as Spec<{ template: { metadata: { labels: Record<string, string> } } }>).spec.template.metadata.labels;
}

it('passes helm lint --strict', async () => {
  const r = await run(tool('helm'), ['lint', '--strict', chartDir]);
  expect(`${r.stdout}${r.stderr}`).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  expect(r.code).toBe(0);
});

it('serves the JWKS on a Service port 80 → 8080 and metrics on a Service port 9090, both selecting the pods', async () => {
  const objects = await render();
  const ports = deploymentPorts(objects);
  const jwks = one(objects, 'Service', 'signet') as Spec<ServiceSpec>;
  expect(jwks.spec.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 'jwks' })]);
  expect(ports.jwks).toBe(8080);
  const metrics = one(objects, 'Service', 'signet-metrics') as Spec<ServiceSpec>;
  expect(metrics.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', port: 9090, targetPort: 'metrics' })]);
  expect(ports.metrics).toBe(9090);
  for (const svc of [jwks, metrics]) expect(podLabels(objects)).toMatchObject(svc.spec.selector);
  const clusterScoped = ['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];
  for (const o of objects) if (!clusterScoped.includes(o.kind)) expect(o.metadata.namespace).toBe('signet-system');
});

it('adds a PodDisruptionBudget (minAvailable 1) only with more than one replica', async () => {
  expect(byKind(await render(), 'PodDisruptionBudget')).toHaveLength(0);
  expect(byKind(await render({ values: { leaderElection: { enabled: true } } }), 'PodDisruptionBudget')).toHaveLength(0);
  const objects = await render({ values: { replicaCount: 3 } });
  const pdb = one(objects, 'PodDisruptionBudget') as Spec<{ minAvailable: number; selector: { matchLabels: Record<string, string> } }>;
  expect(pdb.spec.minAvailable).toBe(1);
  expect(podLabels(objects)).toMatchObject(pdb.spec.selector.matchLabels);
});

it('renders the Ingress only when enabled, for the issuer hosts, to the JWKS Service, with TLS', async () => {
  expect(byKind(await render(), 'Ingress')).toHaveLength(0);
  const objects = await render({
    values: {
      ingress: {
        enabled: true, className: 'nginx', annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' },
        hosts: [{ host: 'login.example.com' }, { host: 'id.example.org', paths: [{ path: '/team-b', pathType: 'Prefix' }] }],
        tls: [{ secretName: 'login-tls', hosts: ['login.example.com'] }],
      },
    },
  });
  const ing = one(objects, 'Ingress') as Spec<{
    ingressClassName: string;
    tls: unknown[];
    rules: Array<{ host: string; http: { paths: Array<{ path: string; pathType: string; backend: { service: { name: string; port: { name: string } } } }> } }>;
  }>;
  expect(ing.metadata.annotations).toEqual({ 'nginx.ingress.kubernetes.io/ssl-redirect': 'true' });
  expect(ing.spec.ingressClassName).toBe('nginx');
  expect(ing.spec.tls).toEqual([{ secretName: 'login-tls', hosts: ['login.example.com'] }]);
  expect(ing.spec.rules.map((r) => [r.host, r.http.paths.map((p) => `${p.pathType} ${p.path}`)])).toEqual([
    ['login.example.com', ['Prefix /']],
    ['id.example.org', ['Prefix /team-b']],
  ]);
  for (const r of ing.spec.rules) for (const p of r.http.paths) expect(p.backend.service).toEqual({ name: 'signet', port: { name: 'http' } });
});

it('renders the ServiceMonitor only when enabled, selecting the metrics Service only', async () => {
  expect(byKind(await render(), 'ServiceMonitor')).toHaveLength(0);
  const objects = await render({ values: { serviceMonitor: { enabled: true, interval: '15s', labels: { release: 'prom' } } } });
  const sm = one(objects, 'ServiceMonitor') as Spec<{ selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string; interval: string }> }>;
  expect(sm.apiVersion).toBe('monitoring.coreos.com/v1');
  expect(sm.metadata.labels).toMatchObject({ release: 'prom' });
  expect(sm.spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics', interval: '15s' })]);
  const matching = byKind(objects, 'Service').filter((s) => Object.entries(sm.spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
  expect(matching.map((s) => s.metadata.name)).toEqual(['signet-metrics']);
});

it('NOTES.txt tells how to port-forward to the JWKS Service and curl a JWKS by path and by issuer Host', async () => {
  const r = await run(tool('helm'), ['install', 'auth', chartDir, '--namespace', 'platform', '--dry-run=client', '--set-json', 'watchNamespaces=["team-a"]']);
  expect(r.code).toBe(0);
  const notes = r.stdout.slice(r.stdout.indexOf('NOTES:'));
  expect(notes).toContain('kubectl port-forward -n platform service/auth-signet 8080:80');
  expect(notes).toContain('curl -s http://localhost:8080/authservers/team-a/login/oauth2/jwks');
  expect(notes).toContain("curl -s -H 'Host: login.example.com' http://localhost:8080/team-a/oauth2/jwks");
  expect(notes).toContain('watching namespaces team-a');
});
