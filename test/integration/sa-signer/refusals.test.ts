// What Signet refuses for the cluster's service-account issuer (docs/architecture.md#the-service-account-issuer), each in the
// AuthServer's status with a reason that says what to fix: an algorithm the kube-apiserver does not
// take from an external signer, a retention shorter than the longest token, and (key custody) a
// Secret it was not given to sign with.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthServer } from '../../../src/api/types.js';
import { condition, createAuthServer, deleteAuthServer, editAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';

const ns = useNamespace('sa-refusals');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-refusals-'));
let op: RunningOperator | undefined;
const issuer = (): string => `https://sa-refusals.signet.test/${ns.name}`;
const refusedFor = (reason: string) => (as: AuthServer): boolean => condition(as, 'Ready')?.status === 'False' && condition(as, 'Ready')?.reason === reason;

beforeAll(async () => {
  await installCrd();
  op = await startOperator(['--namespace', ns.name, '--service-account-signer-socket', join(dir, 'signer.sock'),
    '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')]);
}, 120_000);

afterAll(async () => {
  await op?.stop();
});

afterEach(async () => {
  await deleteAuthServer(ns.name, 'cluster-issuer').catch(() => undefined);
});

it('refuses PS256 and EdDSA for the cluster issuer, saying which algorithms the kube-apiserver accepts', async () => {
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: issuer(), tokenSignature: { signAndVerifyKeyRef: { name: 'ps-key' }, keyGeneration: { algorithm: 'PS256' } } });
  const ps = await waitForStatus(ns.name, 'cluster-issuer', refusedFor('AlgorithmNotAcceptedByKubeAPIServer'), 'Ready=False AlgorithmNotAcceptedByKubeAPIServer (PS256)');
  expect(condition(ps, 'Ready')?.message).toMatch(/PS256.*RS256, ES256, ES384.*ES512/);

  await editAuthServer(ns.name, 'cluster-issuer', (spec) => ({ ...spec, tokenSignature: { signAndVerifyKeyRef: { name: 'ed-key' }, keyGeneration: { algorithm: 'EdDSA' } } }));
  const ed = await waitForStatus(ns.name, 'cluster-issuer', (as) => refusedFor('AlgorithmNotAcceptedByKubeAPIServer')(as) && /EdDSA/.test(condition(as, 'Ready')?.message ?? ''), 'Ready=False naming EdDSA');
  expect(condition(ed, 'Ready')?.message).toMatch(/EdDSA/);
}, 60_000);

it('refuses a retainFor shorter than the longest service-account token (maxTokenLifetime)', async () => {
  await createAuthServer(ns.name, 'cluster-issuer', {
    issuerURI: issuer(),
    tokenSignature: { signAndVerifyKeyRef: { name: 'short-key' }, rotation: { period: '24h', publishAhead: '1h', retainFor: '30m' } },
    signing: { maxTokenLifetime: '1h' },
  });
  const as = await waitForStatus(ns.name, 'cluster-issuer', refusedFor('RetentionTooShort'), 'Ready=False RetentionTooShort');
  expect(condition(as, 'Ready')?.message).toMatch(/retainFor is 30m.*maxTokenLifetime \(1h/);

  await editAuthServer(ns.name, 'cluster-issuer', (spec) => ({ ...spec, tokenSignature: { ...spec.tokenSignature, rotation: { period: '24h', publishAhead: '1h', retainFor: '2h' } } }));
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready once retainFor covers maxTokenLifetime');
}, 60_000);

it('signs only with a Secret given to the issuer: an unmarked key is refused (SecretNotOwned) until its writer allows it', async () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'file-key' }, stringData: { 'key.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() } } });
  await createAuthServer(ns.name, 'cluster-issuer', { issuerURI: issuer(), tokenSignature: { signAndVerifyKeyRef: { name: 'file-key' }, keyGeneration: { mode: 'Never' } } });
  const refused = await waitForStatus(ns.name, 'cluster-issuer', (as) => condition(as, 'SignAndVerifyKeyResolved')?.reason === 'SecretNotOwned', 'SignAndVerifyKeyResolved=False SecretNotOwned');
  expect(condition(refused, 'SignAndVerifyKeyResolved')?.message).toContain(`signet.dev/allow-signing-by: "cluster-issuer"`);

  await clients().core.patchNamespacedSecret({ namespace: ns.name, name: 'file-key', body: [{ op: 'add', path: '/metadata/annotations', value: { 'signet.dev/allow-signing-by': 'cluster-issuer' } }] });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready once the Secret allows signing by the issuer');
}, 60_000);
