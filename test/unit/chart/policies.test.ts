// The chart's policies: the ValidatingAdmissionPolicy that limits the Secrets Signet's
// ServiceAccount may write (its effect on a real API server is in
// test/integration/packaging/secret-policy.test.ts), and the optional NetworkPolicy.
import { byKind, helmTemplateError, one, render, type K8sObject } from '../../support/helm.js';

type Spec<T> = K8sObject & { spec: T };

interface PolicySpec {
  failurePolicy: string;
  matchConstraints: { resourceRules: Array<{ apiGroups: string[]; apiVersions: string[]; operations: string[]; resources: string[] }> };
  matchConditions: Array<{ name: string; expression: string }>;
  validations: Array<{ expression: string; messageExpression: string; reason: string }>;
}

interface NetworkPolicySpec {
  podSelector: { matchLabels: Record<string, string> };
  policyTypes: string[];
  ingress: Array<{ from?: Array<{ namespaceSelector?: { matchLabels: Record<string, string> }; podSelector?: unknown; ipBlock?: unknown }>; ports: Array<{ port: string | number; protocol: string }> }>;
}

function pod(objects: K8sObject[]): { labels: Record<string, string>; ports: Record<string, number> } {
  const d = one(objects, 'Deployment') as Spec<{ template: { metadata: { labels: Record<string, string> }; spec: { containers: Array<{ ports: Array<{ name: string; containerPort: number }> }> } } }>;
  return {
    labels: d.spec.template.metadata.labels,
    ports: Object.fromEntries(d.spec.template.spec.containers[0]!.ports.map((p) => [p.name, p.containerPort])),
  };
}

describe('ValidatingAdmissionPolicy for Secrets', () => {
  it.each([
    ['default values', {}, 'signet-system', 'system:serviceaccount:signet-system:signet'],
    ['watchNamespaces and leader election', { watchNamespaces: ['a', 'b'], replicaCount: 2 }, 'platform', 'system:serviceaccount:platform:signet'],
    ['an existing ServiceAccount', { serviceAccount: { create: false, name: 'keys' }, rbac: { create: false } }, 'platform', 'system:serviceaccount:platform:keys'],
  ])('%s: applies to the operator\'s ServiceAccount only, on every create, update and delete of a Secret, failing closed', async (_, values, namespace, username) => {
    const objects = await render({ namespace, values });
    const policy = one(objects, 'ValidatingAdmissionPolicy') as Spec<PolicySpec>;
    expect(policy.apiVersion).toBe('admissionregistration.k8s.io/v1');
    expect(policy.metadata.namespace).toBeUndefined();
    expect(policy.spec.failurePolicy).toBe('Fail');
    expect(policy.spec.matchConstraints.resourceRules).toEqual([{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE', 'DELETE'], resources: ['secrets'] }]);
    expect(policy.spec.matchConditions.map((m) => m.expression)).toEqual([`request.userInfo.username == "${username}"`]);
    expect(policy.spec.validations.length).toBeGreaterThan(0);
    for (const v of policy.spec.validations) {
      expect(v.reason).toBe('Forbidden');
      expect(v.messageExpression).toMatch(/refused/);
    }
    const binding = one(objects, 'ValidatingAdmissionPolicyBinding') as Spec<{ policyName: string; validationActions: string[]; matchResources?: unknown }>;
    expect(binding.spec).toEqual({ policyName: policy.metadata.name, validationActions: ['Deny'] });
  });
});

describe('NetworkPolicy', () => {
  it('is not rendered by default', async () => {
    expect(byKind(await render(), 'NetworkPolicy')).toHaveLength(0);
  });

  it('admits the JWKS port from anywhere and the metrics port from the monitoring namespace only', async () => {
    const objects = await render({ values: { networkPolicy: { enabled: true } } });
    const np = one(objects, 'NetworkPolicy') as Spec<NetworkPolicySpec>;
    expect(np.metadata.namespace).toBe('signet-system');
    const { labels, ports } = pod(objects);
    expect(labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(Object.keys(np.spec.podSelector.matchLabels).length).toBeGreaterThan(0);
    expect(np.spec.policyTypes).toEqual(['Ingress']);
    const byPort = (name: string): NetworkPolicySpec['ingress'] => np.spec.ingress.filter((r) => r.ports.some((p) => p.port === name || p.port === ports[name]));
    // Every rule names its ports: nothing else on the pod is reachable.
    expect(np.spec.ingress.every((r) => r.ports.length > 0)).toBe(true);
    expect(np.spec.ingress.flatMap((r) => r.ports.map((p) => p.port)).sort()).toEqual(['jwks', 'metrics']);
    expect(ports).toMatchObject({ jwks: 8080, metrics: 9090 });
    expect(byPort('jwks')).toEqual([{ ports: [{ port: 'jwks', protocol: 'TCP' }] }]);
    expect(byPort('metrics')).toEqual([{
      from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
      ports: [{ port: 'metrics', protocol: 'TCP' }],
    }]);
  });

  it('admits no source to the signing port unless networkPolicy.signingFrom lists it', async () => {
    const closed = one(await render({ values: { networkPolicy: { enabled: true }, signing: { enabled: true, tlsSecretName: 't' } } }), 'NetworkPolicy') as Spec<NetworkPolicySpec>;
    expect(closed.spec.ingress.flatMap((r) => r.ports.map((p) => p.port))).not.toContain('signing');
    const gateway = { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'gateway' } }, podSelector: { matchLabels: { app: 'krakend' } } };
    const open = one(await render({ values: { networkPolicy: { enabled: true, signingFrom: [gateway] }, signing: { enabled: true, tlsSecretName: 't' } } }), 'NetworkPolicy') as Spec<NetworkPolicySpec>;
    expect(open.spec.ingress.filter((r) => r.ports.some((p) => p.port === 'signing'))).toEqual([{ from: [gateway], ports: [{ port: 'signing', protocol: 'TCP' }] }]);
    // The JWKS rule stays open to all, and admits nothing but the JWKS port.
    expect(open.spec.ingress.find((r) => !r.from)).toEqual({ ports: [{ port: 'jwks', protocol: 'TCP' }] });
  });

  it('takes the monitoring namespace from networkPolicy.metricsNamespace', async () => {
    const np = one(await render({ values: { networkPolicy: { enabled: true, metricsNamespace: 'observability' } } }), 'NetworkPolicy') as Spec<NetworkPolicySpec>;
    expect(np.spec.ingress.find((r) => r.from)?.from).toEqual([{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }]);
  });

  it.each([
    ['networkPolicy.metricsNamespace=Monitoring', /metricsNamespace.*does not match pattern/],
    ['networkPolicy.enable=true', /networkPolicy.*additional properties 'enable' not allowed/],
    ['networkPolicy.enabled=yes', /networkPolicy\/enabled.*want boolean/],
    ['networkPolicy.signingFrom[0].ipBlock.except[0]=10.0.0.0/8', /ipBlock.*missing property 'cidr'|missing properties: 'cidr'|cidr/],
  ])('refuses --set %s with a message', async (set, message) => {
    expect(await helmTemplateError({ set: [set] })).toMatch(message);
  });

  it('refuses to render without a monitoring namespace rather than admit every namespace', async () => {
    expect(await helmTemplateError({ set: ['networkPolicy.enabled=true', 'networkPolicy.metricsNamespace=null'] })).toMatch(/networkPolicy\.metricsNamespace: name the namespace/);
  });
});
