// An in-cluster client of the signing service (docs/architecture.md#the-signing-service, #tests-on-a-real-node): a pod running the Signet image's node,
// with a projected ServiceAccount token for the signing audience, calls /sign over HTTPS through the
// ClusterIP of the Service that exposes the port named `signing`, and verifies the token it gets back
// (jose, from the image's own node_modules) against the JWKS served through the JWKS Service.
import { randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { eventually } from '../support/eventually.js';
import { isReady, waitForStatus } from '../support/authservers.js';
import { run, tool } from '../support/helm.js';
import { applyYaml, c, helmInstall, imageValues, kubectl, readyPods, serviceWithPort } from './support/cluster.js';

const NS = 'e2e-signing';
const APPS = 'e2e-signing-apps';
const RELEASE = 'signer';
const AUDIENCE = 'signet-e2e-signing';
const SERVER_NAME = 'signing.signet.e2e';
const log = (l: string): void => void process.stderr.write(`  e2e signing: ${l}\n`);

function selfSigned(name: string): { cert: string; key: string } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: name }]);
  cert.setIssuer([{ name: 'commonName', value: name }]);
  cert.setExtensions([{ name: 'basicConstraints', cA: true }, { name: 'subjectAltName', altNames: [{ type: 2, value: name }] }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

// Runs in the client pod: sign, fetch the JWKS, verify; prints one JSON line.
const CLIENT = `
import https from 'node:https';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, jwtVerify } from 'jose';
const env = process.env;
const token = readFileSync('/var/run/signet/token', 'utf8');
const body = JSON.stringify({ sub: 'e2e-client', aud: 'e2e-api' });
const signed = await new Promise((resolve, reject) => {
  const req = https.request({ host: env.SIGN_HOST, port: Number(env.SIGN_PORT), servername: env.SERVER_NAME, ca: readFileSync('/etc/signing-ca/ca.crt'),
    method: 'POST', path: env.SIGN_PATH, headers: { authorization: 'Bearer ' + token, 'content-type': 'application/json' } }, (res) => {
    let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => resolve({ status: res.statusCode, body: t }));
  });
  req.on('error', reject); req.end(body);
});
if (signed.status !== 200) { console.log(JSON.stringify({ error: 'sign', ...signed })); process.exit(1); }
const jwt = JSON.parse(signed.body).token;
const jwks = await new Promise((resolve, reject) => http.get(env.JWKS_URL, (res) => { let t = ''; res.on('data', (d) => (t += d)); res.on('end', () => resolve(JSON.parse(t))); }).on('error', reject));
const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: env.ISSUER, audience: 'e2e-api' });
console.log(JSON.stringify({ verified: true, kid: protectedHeader.kid, sub: payload.sub, iss: payload.iss }));
`;

beforeAll(async () => {
  for (const name of [NS, APPS]) await c.core.createNamespace({ body: { metadata: { name } } });
  const tls = selfSigned(SERVER_NAME);
  await c.core.createNamespacedSecret({ namespace: NS, body: { metadata: { name: 'signing-tls' }, type: 'kubernetes.io/tls', stringData: { 'tls.crt': tls.cert, 'tls.key': tls.key } } });
  await c.core.createNamespacedConfigMap({ namespace: APPS, body: { metadata: { name: 'signing-ca' }, data: { 'ca.crt': tls.cert } } });
  await helmInstall(RELEASE, NS, { signing: { enabled: true, tlsSecretName: 'signing-tls', tokenAudiences: [AUDIENCE] } });
  await readyPods(NS, RELEASE, 1);
});

afterAll(async () => {
  await run(tool('helm'), ['uninstall', RELEASE, '--namespace', NS, '--wait']);
  for (const name of [APPS, NS]) await c.core.deleteNamespace({ name }).catch(() => undefined);
});

test('a pod with a projected token for the signing audience signs through the signing Service\'s ClusterIP over HTTPS and verifies against the JWKS', async () => {
  const signerRole = JSON.parse(await kubectl(['get', 'clusterrole', '-l', `app.kubernetes.io/instance=${RELEASE}`, '-o', 'json'])) as { items: Array<{ metadata: { name: string }; rules?: Array<{ resources?: string[] }> }> };
  const role = signerRole.items.find((r) => r.rules?.some((x) => x.resources?.includes('authservers/sign')))!.metadata.name;
  await applyYaml([
    'apiVersion: signet.dev/v1alpha1', 'kind: AuthServer', 'metadata: {name: tokens}',
    'spec: {issuerURI: "https://tokens.signing.e2e/", signing: {enabled: true}, tokenSignature: {signAndVerifyKeyRef: {name: tokens-signing}, keyGeneration: {algorithm: ES256}}}',
    '---', 'apiVersion: v1', 'kind: ServiceAccount', 'metadata: {name: client}',
    '---', 'apiVersion: rbac.authorization.k8s.io/v1', 'kind: RoleBinding', 'metadata: {name: client-signs}',
    `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}`,
    `subjects: [{kind: ServiceAccount, name: client, namespace: ${APPS}}]`, '',
  ].join('\n'), APPS);
  const as = await waitForStatus(APPS, 'tokens', isReady, 'Ready', 60_000);
  const signing = await serviceWithPort(NS, 'signing');
  const jwks = await serviceWithPort(NS, 'http');
  const env = {
    SIGN_HOST: signing.svc.spec!.clusterIP!, SIGN_PORT: String(signing.port), SERVER_NAME, SIGN_PATH: `/authservers/${APPS}/tokens/sign`,
    JWKS_URL: `http://${jwks.svc.spec!.clusterIP}:${jwks.port}/authservers/${APPS}/tokens/oauth2/jwks`, ISSUER: as.spec.issuerURI,
  };
  const { repository, tag } = imageValues();
  await c.core.createNamespacedPod({
    namespace: APPS,
    body: {
      metadata: { name: 'sign-client' },
      spec: {
        serviceAccountName: 'client', automountServiceAccountToken: false, restartPolicy: 'Never',
        securityContext: { runAsNonRoot: true, runAsUser: 65532, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [{
          name: 'client', image: `${repository}:${tag}`, imagePullPolicy: 'Never', workingDir: '/app',
          command: ['node', '--input-type=module', '-e', CLIENT],
          env: Object.entries(env).map(([name, value]) => ({ name, value })),
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
          volumeMounts: [{ name: 'token', mountPath: '/var/run/signet', readOnly: true }, { name: 'ca', mountPath: '/etc/signing-ca', readOnly: true }],
        }],
        volumes: [
          { name: 'token', projected: { sources: [{ serviceAccountToken: { audience: AUDIENCE, expirationSeconds: 600, path: 'token' } }] } },
          { name: 'ca', configMap: { name: 'signing-ca' } },
        ],
      },
    },
  });
  const phase = await eventually(async () => {
    const p = await c.core.readNamespacedPod({ namespace: APPS, name: 'sign-client' });
    return ['Succeeded', 'Failed'].includes(p.status?.phase ?? '') ? p.status!.phase : undefined;
  }, { what: 'the client pod finished', timeoutMs: 90_000, intervalMs: 500 });
  const out = await kubectl(['logs', '-n', APPS, 'sign-client']);
  log(`client pod ${phase}: ${out.trim()}; signing Service ${signing.svc.metadata!.name}:${signing.port} at ${signing.svc.spec!.clusterIP}`);
  expect(phase).toBe('Succeeded');
  expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ verified: true, kid: as.status!.signingKeyID, sub: 'e2e-client', iss: as.spec.issuerURI });
});
