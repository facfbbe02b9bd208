// Rotation is an edit of the refs (docs/architecture.md#the-authserver-api): the next key is published before it signs, the
// old one stays verifiable, and removing its ref revokes it at once. Secret edits are followed too.
import { generateKeyPairSync } from 'node:crypto';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { createAuthServer, editAuthServer, isReady, waitForStatus, waitForEvent } from '../../support/authservers.js';

const c = clients();
const ns = useNamespace('rotation');
const op = useOperator(ns);
const pem = (): string => generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

const served = async (): Promise<string[]> => (await getJwks(op.jwksPort, '/rot/oauth2/jwks', 'rot.example.com')).keys.map((k) => String(k.kid));
const kidOf = async (name: string): Promise<string> => {
  const as = await waitForStatus(ns.name, 'rot', (a) => !!a.status?.keys?.some((k) => k.secretName === name), `${name} in status`);
  return as.status!.keys!.find((k) => k.secretName === name)!.kid;
};

it('rotates by editing refs, checking the JWKS after each step', async () => {
  for (const name of ['key-oct', 'key-nov']) await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name }, stringData: { 'key.pem': pem() } } });
  await createAuthServer(ns.name, 'rot', { issuerURI: 'https://rot.example.com/rot', tokenSignature: { signAndVerifyKeyRef: { name: 'key-oct' } } });
  await waitForStatus(ns.name, 'rot', isReady, 'Ready');
  const oct = await kidOf('key-oct');
  expect(await served()).toEqual([oct]);

  // 1. publish the next key, not yet signing
  await editAuthServer(ns.name, 'rot', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [{ name: 'key-nov' }] } }));
  const nov = await kidOf('key-nov');
  await eventually(async () => JSON.stringify(await served()) === JSON.stringify([oct, nov]), { what: 'oct signing, nov published' });
  expect((await waitForStatus(ns.name, 'rot', isReady, 'Ready')).status?.signingKeyID).toBe(oct);

  // 2. swap: nov signs, oct stays verifiable
  await editAuthServer(ns.name, 'rot', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, signAndVerifyKeyRef: { name: 'key-nov' }, extraVerifyKeyRefs: [{ name: 'key-oct' }] } }));
  await eventually(async () => JSON.stringify(await served()) === JSON.stringify([nov, oct]), { what: 'nov first, oct kept' });
  const swapped = await waitForStatus(ns.name, 'rot', (a) => a.status?.signingKeyID === nov, 'signing kid nov');
  expect(swapped.status?.keys?.map((k) => [k.secretName, k.role])).toEqual([['key-nov', 'SignAndVerify'], ['key-oct', 'VerifyOnly']]);
  await waitForEvent(ns.name, 'rot', 'SigningKeyChanged', nov);

  // 3. revoke oct by removing its ref
  await editAuthServer(ns.name, 'rot', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [] } }));
  await eventually(async () => JSON.stringify(await served()) === JSON.stringify([nov]), { what: 'oct revoked' });
  const done = await waitForStatus(ns.name, 'rot', (a) => a.status?.tokenSignatureKeyCount === 1, 'one key');
  expect(done.status?.keys?.map((k) => k.kid)).toEqual([nov]);
});

it('follows a change of a referenced Secret, and leaves an unresolved verify key out while the rest is served', async () => {
  const before = await served();
  const nov = before[0]!;
  await c.core.replaceNamespacedSecret({ namespace: ns.name, name: 'key-nov', body: { metadata: { name: 'key-nov' }, stringData: { 'key.pem': pem() } } });
  await eventually(async () => { const now = await served(); return now.length === 1 && now[0] !== nov; }, { what: 'JWKS follows the new key material' });

  await editAuthServer(ns.name, 'rot', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [{ name: 'missing-verify' }], keyGeneration: { mode: 'Never' } } }));
  const as = await waitForStatus(ns.name, 'rot', (a) => a.status?.conditions?.find((x) => x.type === 'ExtraVerifyKeysResolved')?.reason === 'SecretNotFound', 'verify key not found');
  expect(as.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('False');
  expect(await served()).toEqual([as.status?.signingKeyID]);
});
