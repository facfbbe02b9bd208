// Least privilege for Secrets (docs/architecture.md#key-material-in-secrets, issue 9 point 7). The chart's RBAC lets Signet create
// Secrets anywhere it watches, which alone would let a compromised pod mint a
// kubernetes.io/service-account-token Secret for any ServiceAccount. The chart's
// ValidatingAdmissionPolicy narrows every write of Signet's ServiceAccount to Opaque Secrets
// labelled app.kubernetes.io/managed-by: signet. Here the chart (default values: a ClusterRole) is
// applied for real and Signet's own token (TokenRequest) attacks; then the operator, running with
// that token, still generates a missing key.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { CoreV1Api, KubeConfig, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions, type V1Secret } from '@kubernetes/client-node';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { helmTemplate, kubectl, one, parseObjects, run } from '../../support/helm.js';
import { serviceAccountKubeconfig } from './process.js';

const c = clients();
const ns = useNamespace('pkg-secpol');
const tenant = useNamespace('pkg-tenant');
// Cluster-scoped objects (ClusterRole, policy, binding) get a name of their own.
const release = `secpol-${randomBytes(3).toString('hex')}`;
const MANAGED = { 'app.kubernetes.io/managed-by': 'signet' };
let dir = '';
let yaml = '';
let kubeconfig = '';
let asSignet: CoreV1Api;
let op: RunningOperator | undefined;

beforeAll(async () => {
  await installCrd(c);
  dir = mkdtempSync(join(tmpdir(), 'signet-secpol-'));
  yaml = await helmTemplate({ release, namespace: ns.name });
  const r = await run(kubectl(), ['apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed:\n${r.stderr}`);
  const sa = one(parseObjects(yaml), 'ServiceAccount').metadata.name;
  kubeconfig = await serviceAccountKubeconfig(ns.name, sa, dir);
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  asSignet = kc.makeApiClient(CoreV1Api);
  // A tenant's own Secret, and one that Signet generated there earlier.
  await c.core.createNamespacedSecret({ namespace: tenant.name, body: { metadata: { name: 'user-key' }, type: 'Opaque', stringData: { 'key.pem': 'the tenant\'s' } } });
  await c.core.createNamespacedSecret({ namespace: tenant.name, body: { metadata: { name: 'generated-key', labels: MANAGED }, type: 'Opaque', stringData: { 'key.pem': 'signet\'s' } } });
}, 60_000);

afterAll(async () => {
  if (op) await op.stop();
  if (yaml) await run(kubectl(), ['delete', '--ignore-not-found', '--wait=false', '-f', '-'], { input: yaml });
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The API server's message when `call` is refused with 403; fails the test when it succeeds. */
async function refused(call: () => Promise<unknown>): Promise<string> {
  try {
    await call();
  } catch (err) {
    const e = err as { code?: number; body?: unknown };
    if (e.code !== 403) throw err;
    const body = typeof e.body === 'string' ? JSON.parse(e.body) as { message?: string } : e.body as { message?: string };
    return body.message ?? '';
  }
  throw new Error('the API server let Signet\'s ServiceAccount do it');
}

function tokenSecret(labels: Record<string, string> = {}): V1Secret {
  return {
    metadata: { name: `minted-${randomBytes(3).toString('hex')}`, labels, annotations: { 'kubernetes.io/service-account.name': 'default' } },
    type: 'kubernetes.io/service-account-token',
  };
}

it('cannot create a kubernetes.io/service-account-token Secret, labelled or not, nor any unlabelled Secret', async () => {
  // The policy takes effect once the API server has loaded it: poll with a dry run, which runs admission and stores nothing.
  const first = await eventually(async () => refused(() => asSignet.createNamespacedSecret({ namespace: tenant.name, body: tokenSecret(), dryRun: 'All' })).catch(() => undefined),
    { what: 'the dry-run creation of a service-account-token Secret refused', timeoutMs: 15_000 });
  expect(first).toMatch(/ValidatingAdmissionPolicy/);

  const minted = tokenSecret();
  expect(await refused(() => asSignet.createNamespacedSecret({ namespace: tenant.name, body: minted })))
    .toMatch(/may create only Opaque Secrets.*type kubernetes\.io\/service-account-token/);
  const labelled = tokenSecret(MANAGED);
  expect(await refused(() => asSignet.createNamespacedSecret({ namespace: tenant.name, body: labelled })))
    .toMatch(/may create only Opaque Secrets.*type kubernetes\.io\/service-account-token/);
  expect(await refused(() => asSignet.createNamespacedSecret({ namespace: tenant.name, body: { metadata: { name: 'unlabelled' }, type: 'Opaque', stringData: { a: 'b' } } })))
    .toMatch(/may create only Secrets labelled app\.kubernetes\.io\/managed-by: signet/);
  const names = (await c.core.listNamespacedSecret({ namespace: tenant.name })).items.map((s) => s.metadata?.name).sort();
  expect(names).toEqual(['generated-key', 'user-key']);
});

describe('where RBAC grants update and delete on Secrets too', () => {
  beforeAll(async () => {
    // What a wider Role (a later feature, a careless admin) would add: the policy still decides.
    const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);
    const sa = one(parseObjects(yaml), 'ServiceAccount').metadata.name;
    await rbac.createNamespacedRole({ namespace: tenant.name, body: { metadata: { name: 'wider' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['update', 'patch', 'delete'] }] } });
    await rbac.createNamespacedRoleBinding({ namespace: tenant.name, body: { metadata: { name: 'wider' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'wider' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns.name }] } });
    await eventually(async () => {
      const review = await run(kubectl(), ['--kubeconfig', kubeconfig, 'auth', 'can-i', 'delete', 'secrets', '-n', tenant.name]);
      return review.stdout.trim() === 'yes';
    }, { what: 'the wider Role in effect' });
  });

  it('cannot modify, relabel into management or delete a user\'s Secret', async () => {
    const before = await c.core.readNamespacedSecret({ namespace: tenant.name, name: 'user-key' });
    const changed: V1Secret = { ...before, data: { 'key.pem': Buffer.from('the attacker\'s').toString('base64') } };
    expect(await refused(() => asSignet.replaceNamespacedSecret({ namespace: tenant.name, name: 'user-key', body: changed })))
      .toMatch(/changes only Secrets it generated.*UPDATE of Secret .*\/user-key.*not an Opaque Secret labelled app\.kubernetes\.io\/managed-by: signet/);
    const relabel = { metadata: { labels: MANAGED }, data: { 'key.pem': Buffer.from('the attacker\'s').toString('base64') } };
    expect(await refused(() => asSignet.patchNamespacedSecret({ namespace: tenant.name, name: 'user-key', body: relabel }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch))))
      .toMatch(/changes only Secrets it generated.*UPDATE of Secret .*\/user-key/);
    expect(await refused(() => asSignet.deleteNamespacedSecret({ namespace: tenant.name, name: 'user-key' })))
      .toMatch(/changes only Secrets it generated.*DELETE of Secret .*\/user-key/);
    const after = await c.core.readNamespacedSecret({ namespace: tenant.name, name: 'user-key' });
    expect(after.metadata?.resourceVersion).toBe(before.metadata?.resourceVersion);
  });

  it('may still update and delete a Secret it generated, but not relabel it out of management', async () => {
    const mine = await c.core.readNamespacedSecret({ namespace: tenant.name, name: 'generated-key' });
    expect(await refused(() => asSignet.replaceNamespacedSecret({ namespace: tenant.name, name: 'generated-key', body: { ...mine, metadata: { ...mine.metadata, labels: {} } } })))
      .toMatch(/may (create|update) only Secrets labelled app\.kubernetes\.io\/managed-by: signet/);
    await asSignet.replaceNamespacedSecret({ namespace: tenant.name, name: 'generated-key', body: { ...mine, stringData: { 'next.key.pem': 'next' } } });
    await asSignet.deleteNamespacedSecret({ namespace: tenant.name, name: 'generated-key' });
  });
});

it('the operator running with that token still generates a missing key', async () => {
  op = await startOperator(['--kubeconfig', kubeconfig, '--namespace', ns.name]);
  await createAuthServer(ns.name, 'policy', { issuerURI: 'https://policy.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'policy-key' } } });
  const as = await waitForStatus(ns.name, 'policy', isReady, 'Ready', 60_000);
  expect(as.status?.keys).toEqual([expect.objectContaining({ secretName: 'policy-key', generated: true })]);
  const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'policy-key' });
  expect(secret.type).toBe('Opaque');
  expect(secret.metadata?.labels).toMatchObject(MANAGED);
  expect(op.logs.filter((l) => /forbidden|denied/i.test(l))).toEqual([]);
  expect(await op.stop()).toBe(0);
  op = undefined;
});
