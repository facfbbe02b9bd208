// Migration of the cluster's service-account issuer from key files to Signet and back (docs/architecture.md#the-service-account-issuer,
// docs/service-account-issuer.md "Migration from key files"), against a kube-apiserver that first
// signs with --service-account-signing-key-file: the key file imported as the first Active key
// (a jwk.json Secret with the kube-apiserver's kid and the allow annotation, as the docs show), the
// API server restarted on Signet's socket, then back on the key file, then on the socket again and
// rotated away from the imported key. Not one token issued on the way is refused.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthServer, editAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';

const ns = useNamespace('sa-migrate');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-migrate-'));
const socket = join(dir, 'signer.sock');
const keyFile = join(dir, 'sa.key');
const pubFile = join(dir, 'sa.pub');
let op: RunningOperator | undefined;
let api: SignerApiServer | undefined;

afterAll(async () => {
  await api?.stop();
  await op?.stop();
});

/** The docs' import: the key file as one JWK whose kid is the kube-apiserver's, base64url(sha256(SPKI DER)). */
function importedJwk(pem: string): string {
  const key = createPrivateKey(pem);
  const der = createPublicKey(key).export({ type: 'spki', format: 'der' });
  return JSON.stringify({ ...key.export({ format: 'jwk' }), kid: createHash('sha256').update(der).digest('base64url'), alg: 'RS256', use: 'sig' });
}

it('key file → Signet → key file → Signet rotated away: every token issued on the way still passes TokenReview', async () => {
  const issuer = `https://sa-migrate.signet.test/${ns.name}`;
  const username = `system:serviceaccount:${ns.name}:app`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  writeFileSync(keyFile, keyPem, { mode: 0o600 });
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const fileKid = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('base64url');
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });

  // Before: the key files sign, and tokens are out there.
  api = await startSignerApiServer({ issuer, mode: { keyFile, pubFile } });
  const issued: string[] = [];
  const issue = async (): Promise<string> => {
    const t = (await api!.tokenRequest(ns.name, 'app')).token!;
    issued.push(t);
    return t;
  };
  const fileToken = await issue();
  expect(decodeJwt(fileToken).header.kid).toBe(fileKid);
  const allPass = async (): Promise<void> => {
    for (const t of issued) expect(await api!.tokenReview(t)).toEqual({ authenticated: true, username });
  };

  // Import: a Secret Signet may sign with, and the issuer AuthServer on it.
  await clients().core.createNamespacedSecret({ namespace: ns.name, body: {
    metadata: { name: 'cluster-issuer-imported', annotations: { 'signet.dev/allow-signing-by': 'cluster-issuer' } },
    stringData: { 'jwk.json': importedJwk(keyPem) },
  } });
  op = await startOperator(['--namespace', ns.name, '--service-account-signer-socket', socket,
    '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')]);
  await createAuthServer(ns.name, 'cluster-issuer', {
    issuerURI: issuer,
    tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-imported' }, rotation: { publishAhead: '10s', retainFor: '1h' } },
    jwks: { cacheMaxAgeSeconds: 5 },
  });
  const ready = await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready on the imported key');
  expect(ready.status?.signingKeyID).toBe(fileKid);

  // To Signet: the same key signs, every token before still passes.
  await api.restart({ socket });
  await allPass();
  expect(decodeJwt(await issue()).header.kid).toBe(fileKid);
  await allPass();

  // And back: the key file again; the tokens Signet signed pass too.
  await api.restart({ keyFile, pubFile });
  await allPass();
  await issue();

  // To Signet again, and away from the imported key: a generated key signs, the imported one stays verify-only.
  await api.restart({ socket });
  await allPass();
  await editAuthServer(ns.name, 'cluster-issuer', (spec) => ({
    ...spec, tokenSignature: { ...spec.tokenSignature, signAndVerifyKeyRef: { name: 'cluster-issuer-key' }, extraVerifyKeyRefs: [{ name: 'cluster-issuer-imported' }] },
  }));
  const generatedKid = await eventually(async () => {
    const kid = (await getAuthServer(ns.name, 'cluster-issuer')).status?.signingKeyID;
    return kid !== fileKid ? kid : undefined;
  }, { what: 'a generated signing key', timeoutMs: 30_000, intervalMs: 250 });
  await eventually(async () => {
    const t = (await api!.tokenRequest(ns.name, 'app')).token;
    return t !== undefined && decodeJwt(t).header.kid === generatedKid;
  }, { what: 'a token signed by the generated key', timeoutMs: 60_000, intervalMs: 500 });
  await issue();
  await allPass();
  expect((await api.jwks()).keys.map((k) => k.kid).sort()).toEqual([fileKid, generatedKid].sort());
}, 300_000);
