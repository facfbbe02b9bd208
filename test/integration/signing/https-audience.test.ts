// The signing listener as the chart runs it: HTTPS with a certificate from a CA the caller trusts
// (--signing-tls-cert-file/--signing-tls-key-file), and --signing-token-audience, so that only
// ServiceAccount tokens projected for Signet are accepted: a token for the API server's own
// audience, which every pod holds, is refused. Real TokenRequest tokens, real TokenReview.
import { createRemoteJWKSet, jwtVerify } from 'jose';
import https from 'node:https';
import { freePort } from '../../controlplane/controlplane.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { useNamespace } from '../../support/kube.js';
import { useOperator } from '../../support/operator.js';
import { createTestPki } from '../../interop/support/test-ca.js';
import { grant, serviceAccountToken } from './helpers.js';

const ns = useNamespace('signing-https');
const pki = await createTestPki();
const signingPort = await freePort();
const op = useOperator(ns, ['--signing-bind-address', `127.0.0.1:${signingPort}`,
  '--signing-tls-cert-file', pki.certFile, '--signing-tls-key-file', pki.keyFile, '--signing-token-audience', 'signet']);
const issuer = (): string => `https://issuer.test/${ns.name}/aud`;

function signOverHttps(token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: signingPort, path: `/authservers/${ns.name}/aud/sign`, method: 'POST', ca: pki.caPem,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => { text += c.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ sub: 'app' }));
  });
}

beforeAll(async () => {
  await createAuthServer(ns.name, 'aud', {
    issuerURI: issuer(),
    tokenSignature: { signAndVerifyKeyRef: { name: 'aud-key' }, keyGeneration: { algorithm: 'ES256' } },
    signing: { enabled: true },
  });
  await grant(ns.name, 'app', ['aud']);
  await waitForStatus(ns.name, 'aud', isReady, 'Ready');
});

it('signs over HTTPS for a token projected for the configured audience; the token verifies against the JWKS', async () => {
  const res = await signOverHttps(await serviceAccountToken(ns.name, 'app', ['signet']));
  expect(res.status).toBe(200);
  const jwks = createRemoteJWKSet(new URL(`http://127.0.0.1:${op.jwksPort}/authservers/${ns.name}/aud/oauth2/jwks`));
  expect((await jwtVerify(res.body.token as string, jwks, { issuer: issuer() })).payload.sub).toBe('app');
});

it('refuses the same ServiceAccount\'s token for the API server\'s own audience (401)', async () => {
  const res = await signOverHttps(await serviceAccountToken(ns.name, 'app'));
  expect(res).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
});

it('speaks no plain HTTP on the signing port', async () => {
  await expect(fetch(`http://127.0.0.1:${signingPort}/authservers/${ns.name}/aud/sign`, { method: 'POST' })).rejects.toThrow();
});
