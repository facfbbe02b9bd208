// The chart's RBAC grants what Signet uses and nothing more (docs/architecture.md#key-material-in-secrets: Signet reads AuthServers,
// writes their status, reads and creates Secrets, records Events, holds a Lease), the Deployment
// runs locked down, and values.schema.json refuses wrong values.
import {byKind, helmTemplateError, one, render as renderChart, type K8sObject} from '../../support/helm.js';

/** The chart's objects without the status seal key's Role and RoleBinding, which have a test of their own. */
const isStatusKey = (o: { metadata: { name?: string } }): boolean => (o.metadata.name ?? '').endsWith('-status-key');
const render = async (...args: Parameters<typeof renderChart>): ReturnType<typeof renderChart> => (await renderChart(...args)).filter((o) => !isStatusKey(o));

interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

/** group/resource → the verbs Signet may have. Anything else fails the test. */
const WATCHED_NAMESPACE_RULES: Record<string, string[]> = {
  'signet.dev/authservers': ['get', 'list', 'watch'],
  'signet.dev/authservers/status': ['update'],
  '/secrets': ['get', 'list', 'watch', 'create', 'patch'],
  '/events': ['create'],
};
const LEASE_RULES: Record<string, string[]> = {
  'coordination.k8s.io/leases': ['get', 'create', 'update'],
};

function rules(o: K8sObject): PolicyRule[] {
  return (o as unknown as { rules?: PolicyRule[] }).rules ?? [];
}

/** Every verb granted by the rules, as group/resource → verbs; fails on wildcards and non-resource URLs. */
function grants(rs: PolicyRule[]): Record<string, string[]> {
  const out: Record<string, Set<string>> = {};
  for (const r of rs) {
    expect(r.nonResourceURLs).toBeUndefined();
    for (const g of r.apiGroups ?? []) {
      for (const res of r.resources ?? []) {
        for (const v of r.verbs) {
          if ([g, res, v].includes('*')) throw new Error(`wildcard in rule ${JSON.stringify(r)}`);
          (out[`${g}/${res}`] ??= new Set()).add(v);
        }
      }
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

function sorted(m: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [...v].sort()]));
}

/** Fails naming the extra grant, so a reviewer sees what widened. */
function expectExactly(got: Record<string, string[]>, allowed: Record<string, string[]>, where: string): void {
  for (const [res, verbs] of Object.entries(got)) {
    const extra = verbs.filter((v) => !(allowed[res] ?? []).includes(v));
    if (extra.length > 0) throw new Error(`${where} grants ${extra.join(', ')} on ${res}, beyond least privilege (${JSON.stringify(allowed)})`);
  }
  expect(got).toEqual(sorted(allowed));
}

function subjects(o: K8sObject): Array<{ kind: string; name: string; namespace?: string }> {
  return (o as unknown as { subjects: Array<{ kind: string; name: string; namespace?: string }> }).subjects;
}

function roleRef(o: K8sObject): { kind: string; name: string } {
  return (o as unknown as { roleRef: { kind: string; name: string } }).roleRef;
}

interface Container {
  args: string[];
  env: Array<{ name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string | number } };
  readinessProbe: { httpGet: { path: string; port: string | number } };
  resources?: Record<string, unknown>;
}

function podSpec(objects: K8sObject[]): { securityContext: Record<string, unknown>; serviceAccountName: string; containers: Container[] } {
  const d = one(objects, 'Deployment') as unknown as { spec: { template: { spec: { securityContext: Record<string, unknown>; serviceAccountName: string; containers: Container[] } } } };
  return d.spec.template.spec;
}

function container(objects: K8sObject[]): Container {
  const c = podSpec(objects).containers;
  expect(c).toHaveLength(1);
  return c[0]!;
}

/** The values of a repeatable flag in an args list. */
function flagValues(args: string[], flag: string): string[] {
  return args.flatMap((a, i) => (a === flag ? [args[i + 1] ?? ''] : []));
}

describe('RBAC', () => {
  it('default values: one ClusterRole with exactly the watched-namespace verbs, bound to the service account, no Lease access', async () => {
    const objects = await render();
    expect(byKind(objects, 'Role')).toHaveLength(0);
    expect(byKind(objects, 'RoleBinding')).toHaveLength(0);
    const cr = one(objects, 'ClusterRole');
    expectExactly(grants(rules(cr)), WATCHED_NAMESPACE_RULES, 'the ClusterRole');
    const crb = one(objects, 'ClusterRoleBinding');
    expect(roleRef(crb)).toMatchObject({ kind: 'ClusterRole', name: cr.metadata.name });
    const sa = one(objects, 'ServiceAccount');
    expect(subjects(crb)).toEqual([{ kind: 'ServiceAccount', name: sa.metadata.name, namespace: 'signet-system' }]);
    expect(podSpec(objects).serviceAccountName).toBe(sa.metadata.name);
    expect(container(objects).args).not.toContain('--leader-elect');
    expect(flagValues(container(objects).args, '--namespace')).toEqual([]);
  });

  it('watchNamespaces: a Role and RoleBinding in each namespace instead, and one --namespace flag each', async () => {
    const objects = await render({ release: 'auth', namespace: 'platform', values: { watchNamespaces: ['team-a', 'team-b'] } });
    expect(byKind(objects, 'ClusterRole')).toHaveLength(0);
    expect(byKind(objects, 'ClusterRoleBinding')).toHaveLength(0);
    const roles = byKind(objects, 'Role');
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    for (const role of roles) expectExactly(grants(rules(role)), WATCHED_NAMESPACE_RULES, `the Role in ${role.metadata.namespace}`);
    const bindings = byKind(objects, 'RoleBinding');
    expect(bindings.map((b) => b.metadata.namespace).sort()).toEqual(['team-a', 'team-b']);
    for (const b of bindings) {
      expect(roleRef(b)).toMatchObject({ kind: 'Role', name: 'auth-signet' });
      expect(subjects(b)).toEqual([{ kind: 'ServiceAccount', name: 'auth-signet', namespace: 'platform' }]);
    }
    expect(flagValues(container(objects).args, '--namespace')).toEqual(['team-a', 'team-b']);
  });

  it('leader election: get, create and update on Leases, in a Role in the release namespace only', async () => {
    for (const values of [{ replicaCount: 3 }, { leaderElection: { enabled: true } }, { replicaCount: 2, watchNamespaces: ['a', 'b'] }]) {
      const objects = await render({ namespace: 'platform', values });
      const leaseRoles = byKind(objects, 'Role').filter((r) => rules(r).some((x) => x.apiGroups?.includes('coordination.k8s.io')));
      expect(leaseRoles).toHaveLength(1);
      const role = leaseRoles[0]!;
      expect(role.metadata.namespace).toBe('platform');
      expectExactly(grants(rules(role)), LEASE_RULES, 'the leader-election Role');
      // get and update are limited to the one Lease the operator uses.
      for (const r of rules(role).filter((x) => x.verbs.some((v) => v !== 'create'))) expect(r.resourceNames).toEqual(['signet-leader']);
      const binding = one(objects, 'RoleBinding', role.metadata.name);
      expect(binding.metadata.namespace).toBe('platform');
      expect(roleRef(binding)).toMatchObject({ kind: 'Role', name: role.metadata.name });
      // Nothing cluster-wide or in the watched namespaces touches Leases.
      for (const other of [...byKind(objects, 'ClusterRole'), ...byKind(objects, 'Role').filter((r) => r !== role)]) {
        expectExactly(grants(rules(other)), WATCHED_NAMESPACE_RULES, `${other.kind} ${other.metadata.namespace ?? ''}/${other.metadata.name}`);
      }
      const args = container(objects).args;
      expect(args).toContain('--leader-elect');
      expect(flagValues(args, '--leader-elect-namespace')).toEqual(['$(POD_NAMESPACE)']);
      expect(flagValues(args, '--leader-elect-lease-name')).toEqual(['signet-leader']);
      expect(container(objects).env).toContainEqual({ name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } });
    }
  });

  it('the status seal key: create Secrets and get signet-status-key, in the release namespace only', async () => {
    for (const values of [{}, { watchNamespaces: ['team-a'] }]) {
      const objects = (await renderChart({ values })).filter(isStatusKey);
      const role = objects.find((o) => o.kind === 'Role');
      expect(role?.metadata.namespace).toBe('signet-system');
      expect(rules(role!)).toEqual([
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['signet-status-key'], verbs: ['get'] },
      ]);
      expect(objects.find((o) => o.kind === 'RoleBinding')?.metadata.namespace).toBe('signet-system');
    }
  });

  it('rbac.create false renders no RBAC at all', async () => {
    const objects = await render({ values: { rbac: { create: false }, replicaCount: 2 } });
    for (const kind of ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']) expect(byKind(objects, kind)).toHaveLength(0);
  });
});

describe('Deployment', () => {
  it('runs as 65532, non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp', async () => {
    const objects = await render();
    expect(podSpec(objects).securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container(objects).securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65532,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect((container(objects).securityContext.capabilities as { add?: unknown }).add).toBeUndefined();
  });

  it('probes /healthz (liveness) and /readyz (readiness) on the metrics port 9090', async () => {
    const c = container(await render());
    const port = (p: string | number): number => (typeof p === 'number' ? p : c.ports.find((x) => x.name === p)?.containerPort ?? NaN);
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    expect(port(c.livenessProbe.httpGet.port)).toBe(9090);
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(port(c.readinessProbe.httpGet.port)).toBe(9090);
  });

  it('listens on 0.0.0.0:8080 (JWKS) and 0.0.0.0:9090 (metrics) with the chosen log level, replicas and resources', async () => {
    const objects = await render({ values: { logLevel: 'debug', replicaCount: 2, resources: { requests: { cpu: '10m' } } } });
    const c = container(objects);
    expect(flagValues(c.args, '--jwks-bind-address')).toEqual(['0.0.0.0:8080']);
    expect(flagValues(c.args, '--metrics-bind-address')).toEqual(['0.0.0.0:9090']);
    expect(flagValues(c.args, '--log-level')).toEqual(['debug']);
    expect(c.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'jwks', containerPort: 8080 }), expect.objectContaining({ name: 'metrics', containerPort: 9090 })]));
    // Helm merges a user's map into the defaults.
    expect(c.resources).toEqual({ requests: { cpu: '10m', memory: '96Mi' }, limits: { memory: '256Mi' } });
    expect((one(objects, 'Deployment') as unknown as { spec: { replicas: number } }).spec.replicas).toBe(2);
  });
});

describe('values.schema.json', () => {
  it.each([
    ['replicaCount=-1', /replicaCount.*minimum/],
    ['replicaCount=0', /replicaCount.*minimum/],
    ['replicaCount=two', /replicaCount.*want integer/],
    ['logLevel=loud', /logLevel.*must be one of 'error', 'warn', 'info', 'debug'/],
    ['concurrency=0', /concurrency.*minimum/],
    ['watchNamespaces={Team_A}', /watchNamespaces\/0.*does not match pattern/],
    ['image.pullPolicy=Sometimes', /pullPolicy.*must be one of/],
    ['replica=2', /additional properties 'replica' not allowed/],
    ['leaderElection.enable=true', /leaderElection.*additional properties 'enable' not allowed/],
    ['serviceMonitor.interval=often', /serviceMonitor\/interval.*does not match pattern/],
    ['ingress.enabled=true', /ingress\/hosts.*minItems/],
  ])('refuses --set %s with a message', async (set, message) => {
    const stderr = await helmTemplateError({ set: [set] });
    expect(stderr).toMatch(/values don't meet the specifications of the schema/);
    expect(stderr).toMatch(message);
  });

  it('accepts the HA profile', async () => {
    const objects = await render({
      values: {
        replicaCount: 3, leaderElection: { enabled: true }, watchNamespaces: ['a', 'b'],
        ingress: { enabled: true, className: 'nginx', hosts: [{ host: 'login.example.com' }], tls: [{ secretName: 'login-tls', hosts: ['login.example.com'] }] },
        serviceMonitor: { enabled: true, labels: { release: 'prometheus' } },
      },
    });
    expect(objects.length).toBeGreaterThan(10);
  });
});
