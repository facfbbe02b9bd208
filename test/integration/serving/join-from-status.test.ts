// A replica that joins serves every AuthServer from what its LIST gives it (issue 21): the leader
// seals what it read from each Secret in status.attestedSecrets, and a follower uses that instead
// of a GET per Secret, only with Signet's seal and only at the Secret's current version. Proven
// with real RBAC: the follower's ServiceAccount may list and watch Secrets but not GET them.
import { CoordinationV1Api, PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../../src/api/types.js';
import { createAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { getJwks, startOperator, type RunningOperator } from '../../support/operator.js';
import { serviceAccountKubeconfig } from '../packaging/process.js';

const c = clients();
const ns = useNamespace('join');
const api = { group: GROUP, version: VERSION, plural: PLURAL };
const pem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
let dir = '';
let kubeconfig = '';
let genuine: AuthServer;
const running: RunningOperator[] = [];

/** The leader: may do everything, so it reads the Secrets and writes status. */
async function leader(): Promise<RunningOperator> {
  const op = await startOperator(['--namespace', ns.name, '--status-key-secret', `${ns.name}/signet-status-key`]);
  running.push(op);
  return op;
}

/** A follower (the Lease is someone else's) whose ServiceAccount may not GET the AuthServer's Secrets. */
async function follower(until?: (op: RunningOperator) => boolean): Promise<RunningOperator> {
  const op = await startOperator([
    '--kubeconfig', kubeconfig, '--namespace', ns.name, '--status-key-secret', `${ns.name}/signet-status-key`,
    '--leader-elect', '--leader-elect-namespace', ns.name,
  ], { entry: join(repoRoot, 'dist/main.js'), ...(until && { until }) });
  running.push(op);
  return op;
}

async function stop(op: RunningOperator): Promise<void> {
  expect(await op.stop()).toBe(0);
  running.splice(running.indexOf(op), 1);
}

const jwksPath = (): string => `/authservers/${ns.name}/login/oauth2/jwks`;

beforeAll(async () => {
  await installCrd(c);
  dir = mkdtempSync(join(tmpdir(), 'signet-join-'));
  const rbac = c.kc.makeApiClient(RbacAuthorizationV1Api);
  await c.core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'follower' } } });
  await rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: 'follower' }, rules: [
    { apiGroups: [GROUP], resources: [PLURAL], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['secrets'], verbs: ['list', 'watch'] },
    { apiGroups: [''], resources: ['secrets'], resourceNames: ['signet-status-key'], verbs: ['get'] },
    { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch', 'create', 'update'] },
    { apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch'] },
  ] } });
  await rbac.createNamespacedRoleBinding({ namespace: ns.name, body: {
    metadata: { name: 'follower' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'follower' },
    subjects: [{ kind: 'ServiceAccount', name: 'follower', namespace: ns.name }],
  } });
  kubeconfig = await serviceAccountKubeconfig(ns.name, 'follower', dir);
  // Held by another replica for the whole file: the follower never writes.
  const now = new Date().toISOString().replace('Z', '000Z') as never; // a MicroTime
  await c.kc.makeApiClient(CoordinationV1Api).createNamespacedLease({ namespace: ns.name, body: {
    metadata: { name: 'signet-leader' }, spec: { holderIdentity: 'another-replica', leaseDurationSeconds: 3_600, renewTime: now, acquireTime: now },
  } });

  for (const name of ['login-key', 'old-key']) await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: { 'key.pem': pem() } } });
  const op = await leader();
  await createAuthServer(ns.name, 'login', {
    issuerURI: 'https://join.test/login',
    tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' }, extraVerifyKeyRefs: [{ name: 'old-key' }], keyGeneration: { mode: 'Never' } },
  });
  genuine = await waitForStatus(ns.name, 'login', (as) => isReady(as) && as.status?.attestedSecrets?.length === 2, 'Ready, both Secrets attested');
  await stop(op);
}, 90_000);

afterAll(async () => {
  for (const op of running) await op.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('a follower that may not GET Secrets is ready and serves every key from the status the leader wrote', async () => {
  const op = await follower();
  const jwks = await getJwks(op.jwksPort, jwksPath());
  expect(jwks.keys.map((k) => k.kid)).toEqual(genuine.status?.keys?.map((k) => k.kid));
  expect(op.logs.filter((l) => /forbidden/i.test(l))).toEqual([]);
  await stop(op);
}, 60_000);

it('an attestation edited by hand is not used (the follower has to read the Secret, and may not), and the leader writes it back', async () => {
  const forged = await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey);
  const forgedJwk = { ...forged, kid: await calculateJwkThumbprint(forged), alg: 'ES256', use: 'sig' };
  const entries = genuine.status?.attestedSecrets ?? [];
  const facts = JSON.parse(entries[1]!.facts) as { result: { value: Record<string, unknown> } };
  facts.result.value = { ...facts.result.value, kid: forgedJwk.kid, publicJwk: forgedJwk };
  const as = await getAuthServer(ns.name, 'login');
  await c.custom.replaceNamespacedCustomObjectStatus({ ...api, namespace: ns.name, name: 'login', body: {
    ...as, status: { ...as.status, attestedSecrets: [entries[0]!, { ...entries[1]!, facts: JSON.stringify(facts) }] },
  } });

  // The follower tries the GET the seal sends it to, is refused, and serves nothing it cannot
  // check. (Its readiness settles after a few failures, readiness.ts: not asserted here.)
  const op = await follower((o) => o.logs.some((l) => /forbidden/i.test(l) && l.includes('old-key')));
  expect(await getJwks(op.jwksPort, jwksPath())).toMatchObject({ status: 404, keys: [] });
  await stop(op);

  const fixer = await leader();
  await eventually(async () => (await getAuthServer(ns.name, 'login')).status?.attestedSecrets?.[1]?.facts === entries[1]!.facts, { what: 'the leader writes the attestation back' });
  await stop(fixer);
}, 90_000);

it('a Secret changed since it was attested is read, not served from status', async () => {
  await c.core.patchNamespacedSecret({ namespace: ns.name, name: 'old-key', body: { stringData: { 'key.pem': pem() } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
  const op = await follower((o) => o.logs.some((l) => /forbidden/i.test(l) && l.includes('old-key')));
  expect(await getJwks(op.jwksPort, jwksPath())).toMatchObject({ status: 404, keys: [] });
  await stop(op);
}, 60_000);
