// The chart's RBAC is enough: its ServiceAccount, Roles and bindings are applied for real
// (watchNamespaces and leader election on), and the operator runs with that ServiceAccount's token
// and the Deployment's own arguments: it takes the Lease, generates a key, writes the AuthServer's
// status, records an Event and serves the JWKS. (The chart's unit tests check that it grants
// nothing beyond that.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { clients, installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { getJwks } from '../../support/operator.js';
import { createAuthServer, events, isReady, waitForStatus } from '../../support/authservers.js';
import { helmTemplate, kubectl, one, parseObjects, run } from '../../support/helm.js';
import { requireDist, serviceAccountKubeconfig, startDist, withoutFlags, type DistProcess } from './process.js';

const c = clients();
const ns = useNamespace('pkg-rbac');
let dir = '';
let op: DistProcess | undefined;

beforeAll(async () => {
  requireDist();
  await installCrd(c);
  dir = mkdtempSync(join(tmpdir(), 'signet-sa-'));
});

afterAll(async () => {
  if (op) await op.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('runs with nothing but the chart\'s ServiceAccount and RBAC (namespaced, leader election)', async () => {
  const yaml = await helmTemplate({ release: 'signet', namespace: ns.name, values: { watchNamespaces: [ns.name], leaderElection: { enabled: true } } });
  const objects = parseObjects(yaml);
  const r = await run(kubectl(), ['apply', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply failed:\n${r.stderr}`);

  const sa = one(objects, 'ServiceAccount').metadata.name;
  const kubeconfig = await serviceAccountKubeconfig(ns.name, sa, dir);
  // Without the chart's RBAC the token could not even list AuthServers.
  const who = await run(kubectl(), ['--kubeconfig', kubeconfig, 'auth', 'can-i', 'delete', 'secrets', '-n', ns.name]);
  expect(who.stdout.trim()).toBe('no');

  // The Deployment's arguments, with $(POD_NAMESPACE) as the kubelet expands it.
  const deployment = one(objects, 'Deployment') as unknown as { spec: { template: { spec: { containers: Array<{ args: string[] }> } } } };
  const args = withoutFlags(deployment.spec.template.spec.containers[0]!.args, ['--jwks-bind-address', '--metrics-bind-address'])
    .map((a) => a.replace('$(POD_NAMESPACE)', ns.name));
  op = await startDist(repoRoot, ['--kubeconfig', kubeconfig, ...args,
    '--leader-elect-lease-duration', '4', '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '0.5']);

  const leases = c.kc.makeApiClient(CoordinationV1Api);
  await eventually(async () => (await leases.readNamespacedLease({ name: 'signet-leader', namespace: ns.name })).spec?.holderIdentity, { what: 'the Lease held' });

  await createAuthServer(ns.name, 'rbac', { issuerURI: 'https://rbac.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'rbac-key' } } });
  const as = await waitForStatus(ns.name, 'rbac', isReady, 'Ready', 60_000);
  expect(as.status?.keys).toEqual([expect.objectContaining({ secretName: 'rbac-key', generated: true })]);
  await eventually(async () => (await events(ns.name, 'rbac')).some((e) => e.reason === 'KeyGenerated'), { what: 'a KeyGenerated Event' });
  const jwks = await getJwks(op.jwksPort, '/oauth2/jwks', 'rbac.example.com');
  expect(jwks.status).toBe(200);
  expect(jwks.keys).toHaveLength(1);
  expect(op.logs.filter((l) => /forbidden/i.test(l))).toEqual([]);

  const code = await op.stop();
  op = undefined;
  expect(code).toBe(0);
});
