// Keys that do not exist yet: generated with IfMissing (and owned with deletionPolicy Delete),
// reported with Never, and picked up when the user creates the Secret later.
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { condition, createAuthServer, deleteAuthServer, isReady, waitForStatus, waitForEvent } from '../../support/authservers.js';
import { generateKeyPairSync } from 'node:crypto';

const c = clients();
const ns = useNamespace('generation');
const op = useOperator(ns);

const secretExists = async (name: string): Promise<boolean> =>
  c.core.readNamespacedSecret({ namespace: ns.name, name }).then(() => true, () => false);

it('generates a missing signing key as docs/architecture.md#key-material-in-secrets says and serves it', async () => {
  await createAuthServer(ns.name, 'gen', { issuerURI: 'https://gen.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'gen-key' }, keyGeneration: { rsaKeySize: 3072 } } });
  const as = await waitForStatus(ns.name, 'gen', isReady, 'Ready');
  const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'gen-key' });
  expect(secret.type).toBe('Opaque');
  expect(secret.metadata?.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'signet', 'signet.dev/authserver': 'gen' });
  expect(secret.metadata?.annotations).toMatchObject({ 'signet.dev/algorithm': 'RS256' });
  expect(secret.metadata?.ownerReferences ?? []).toHaveLength(0);
  expect(Buffer.from(secret.data?.['key.pem'] ?? '', 'base64').toString()).toContain('-----BEGIN PRIVATE KEY-----');
  expect(Buffer.from(secret.data?.['pub.pem'] ?? '', 'base64').toString()).toContain('-----BEGIN PUBLIC KEY-----');
  expect(as.status?.keys).toEqual([expect.objectContaining({ secretName: 'gen-key', generated: true, keySize: 3072, role: 'SignAndVerify' })]);
  const jwks = await getJwks(op.jwksPort, '/oauth2/jwks', 'gen.example.com');
  expect(jwks.keys.map((k) => k.kid)).toEqual([as.status?.signingKeyID]);
  expect(await waitForEvent(ns.name, 'gen', 'KeyGenerated')).toMatchObject({ type: 'Normal' });
});

it('does not generate with mode Never, says SecretNotFound, and resolves once the user creates the Secret', async () => {
  await createAuthServer(ns.name, 'never', { issuerURI: 'https://never.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'never-key' }, keyGeneration: { mode: 'Never' } } });
  const as = await waitForStatus(ns.name, 'never', (a) => condition(a, 'Ready')?.status === 'False', 'Ready False');
  expect(condition(as, 'SignAndVerifyKeyResolved')).toMatchObject({ status: 'False', reason: 'SecretNotFound', message: expect.stringContaining('never-key') });
  expect(await secretExists('never-key')).toBe(false);
  expect(await waitForEvent(ns.name, 'never', 'SecretNotFound', 'never-key')).toMatchObject({ type: 'Warning' });
  expect(await getJwks(op.jwksPort, '/oauth2/jwks', 'never.example.com')).toMatchObject({ keys: [] });

  // The Secret→AuthServer index: creating the Secret re-reconciles the AuthServer that waits for it.
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'never-key' }, stringData: { 'key.pem': pem } } });
  const ready = await waitForStatus(ns.name, 'never', isReady, 'Ready after the Secret appeared');
  expect(ready.status?.keys?.[0]).toMatchObject({ secretName: 'never-key', generated: false });
});

it('garbage-collects a generated Secret with deletionPolicy Delete and keeps it with Retain', async () => {
  await createAuthServer(ns.name, 'owned', { issuerURI: 'https://owned.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'owned-key' }, keyGeneration: { deletionPolicy: 'Delete' } } });
  await createAuthServer(ns.name, 'kept', { issuerURI: 'https://kept.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'kept-key' }, keyGeneration: { deletionPolicy: 'Retain' } } });
  const owned = await waitForStatus(ns.name, 'owned', isReady, 'Ready');
  await waitForStatus(ns.name, 'kept', isReady, 'Ready');
  const ownedSecret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'owned-key' });
  expect(ownedSecret.metadata?.ownerReferences).toEqual([expect.objectContaining({ kind: 'AuthServer', name: 'owned', uid: owned.metadata.uid })]);

  await deleteAuthServer(ns.name, 'owned');
  await deleteAuthServer(ns.name, 'kept');
  await eventually(async () => !(await secretExists('owned-key')), { what: 'owned-key garbage-collected', timeoutMs: 60_000 });
  expect(await secretExists('kept-key')).toBe(true);
  await eventually(async () => (await getJwks(op.jwksPort, '/oauth2/jwks', 'owned.example.com')).status === 404, { what: 'owned issuer no longer served' });
});
