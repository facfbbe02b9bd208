// An AuthServer that signs with a key the user brought: Ready, the right status, and a token
// signed with the Secret's private key verifies against the served JWKS.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { SignJWT, createLocalJWKSet, jwtVerify, calculateJwkThumbprint, exportJWK } from 'jose';
import { clients, useNamespace } from '../../support/kube.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { condition, createAuthServer, isReady, waitForStatus, waitForEvent } from '../../support/authservers.js';

const c = clients();
const ns = useNamespace('user-key');
const op = useOperator(ns);
const pkcs1 = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();

it('serves a user-provided PKCS#1 key and reports Ready', async () => {
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'login-key' }, stringData: { 'key.pem': pkcs1 } } });
  await createAuthServer(ns.name, 'login', { issuerURI: 'https://login.example.com/team-a', tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } });

  const as = await waitForStatus(ns.name, 'login', isReady, 'Ready');
  const expectedKid = await calculateJwkThumbprint(await exportJWK(createPrivateKey(pkcs1)));
  expect(as.status).toMatchObject({
    issuerURI: 'https://login.example.com/team-a',
    jwksURI: 'https://login.example.com/team-a/oauth2/jwks',
    signingKeyID: expectedKid,
    tokenSignatureKeyCount: 1,
    keys: [{ secretName: 'login-key', kid: expectedKid, role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: false }],
  });
  expect(condition(as, 'SignAndVerifyKeyResolved')).toMatchObject({ status: 'True', reason: 'Resolved', observedGeneration: as.metadata.generation });
  expect(condition(as, 'ExtraVerifyKeysResolved')).toMatchObject({ status: 'True', reason: 'Resolved' });

  const byIssuer = await getJwks(op.jwksPort, '/team-a/oauth2/jwks', 'login.example.com');
  const byName = await getJwks(op.jwksPort, `/authservers/${ns.name}/login/oauth2/jwks`);
  expect(byIssuer.status).toBe(200);
  expect(byIssuer.keys).toEqual(byName.keys);
  expect(byIssuer.keys).toHaveLength(1);
  expect(byIssuer.keys[0]).toMatchObject({ kty: 'RSA', kid: expectedKid, use: 'sig', alg: 'RS256' });
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(byIssuer.keys[0]).not.toHaveProperty(member);

  const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256', kid: expectedKid }).setIssuer('https://login.example.com/team-a').sign(createPrivateKey(pkcs1));
  const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: byIssuer.keys }), { issuer: 'https://login.example.com/team-a' });
  expect(payload.sub).toBe('alice');

  expect(await getJwks(op.jwksPort, '/team-a/oauth2/jwks', 'other.example.com')).toMatchObject({ status: 404 });
});

it('shows the issuer, signing kid, key count and readiness in kubectl get', () => {
  const out = execFileSync('kubectl', ['--kubeconfig', process.env.KUBECONFIG ?? '', '-n', ns.name, 'get', 'authsrv', 'login'], { encoding: 'utf8' });
  const [header, row] = out.trim().split('\n');
  expect(header).toMatch(/^NAME\s+ISSUER\s+SIGNING KID\s+KEYS\s+READY\s+NEXT ROTATION\s+AGE$/);
  // No rotation: NEXT ROTATION is blank.
  expect(row).toMatch(/^login\s+https:\/\/login\.example\.com\/team-a\s+\S{43}\s+1\s+True\s+\S+$/);
});

it('refuses an http issuer without the allow-unsafe annotation and says how to allow it', async () => {
  await createAuthServer(ns.name, 'plain-http', { issuerURI: 'http://login.example.com/dev', tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } });
  const as = await waitForStatus(ns.name, 'plain-http', (a) => condition(a, 'Ready')?.status === 'False', 'Ready False');
  expect(condition(as, 'Ready')).toMatchObject({ reason: 'InvalidIssuerURI', message: expect.stringContaining('signet.dev/allow-unsafe-issuer-uri') });
  expect(await getJwks(op.jwksPort, '/dev/oauth2/jwks', 'login.example.com')).toMatchObject({ status: 404 });

  await createAuthServer(ns.name, 'dev-http', { issuerURI: 'http://login.example.com/dev2', tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } }, { 'signet.dev/allow-unsafe-issuer-uri': 'true' });
  await waitForStatus(ns.name, 'dev-http', isReady, 'Ready');
  expect(await getJwks(op.jwksPort, '/dev2/oauth2/jwks', 'login.example.com')).toMatchObject({ status: 200 });
});

it('reports a key the user got wrong with a reason, a message naming the Secret, and an event', async () => {
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'not-a-key' }, stringData: { 'key.pem': 'hello' } } });
  await createAuthServer(ns.name, 'broken', { issuerURI: 'https://broken.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'not-a-key' } } });
  const as = await waitForStatus(ns.name, 'broken', (a) => condition(a, 'Ready')?.status === 'False', 'Ready False');
  expect(condition(as, 'SignAndVerifyKeyResolved')).toMatchObject({ status: 'False', reason: 'KeyParseError', message: expect.stringContaining('not-a-key') });
  expect(condition(as, 'Ready')?.reason).toBe('KeyParseError');
  expect(as.status?.tokenSignatureKeyCount).toBe(0);
  expect(await waitForEvent(ns.name, 'broken', 'KeyInvalid', 'not-a-key')).toMatchObject({ type: 'Warning' });
});
