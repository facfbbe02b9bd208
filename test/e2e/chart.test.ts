// The chart as a user meets it (docs/architecture.md#tests-on-a-real-node): `helm install` with its defaults onto a real node, then two
// replicas; the samples Ready; JWKS and discovery through the Service (the API server's service
// proxy, kubectl port-forward); `kubectl signet` with no --jwks-url; the security context read from
// inside the running container; `helm uninstall` removing what the chart made and nothing else.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, importPKCS8 } from 'jose';
import { parseAllDocuments } from 'yaml';
import { eventually } from '../support/eventually.js';
import { repoRoot } from '../support/kube.js';
import { run, tool } from '../support/helm.js';
import { getAuthServer, isReady, waitForStatus } from '../support/authservers.js';
import { applyYaml, c, helm, helmInstall, kubectl, readyPods, selector, serviceWithPort, viaServiceProxy } from './support/cluster.js';

const NS = 'signet-system';
const RELEASE = 'signet';
const SAMPLES = 'e2e-samples';
const log = (l: string): void => void process.stderr.write(`  e2e chart: ${l}\n`);

function jwksKids(text: string): string[] {
  const doc = JSON.parse(text) as { keys: Array<{ kid: string; d?: string }> };
  expect(doc.keys.every((k) => k.d === undefined)).toBe(true);
  return doc.keys.map((k) => k.kid);
}

/** A GET with an explicit Host header (the issuer's), so Signet routes it as it would the issuer's own request. */
function getWithHost(port: number, path: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers: { Host: host }, agent: false, timeout: 3000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  await c.core.createNamespace({ body: { metadata: { name: SAMPLES } } });
});

afterAll(async () => {
  await run(tool('helm'), ['uninstall', RELEASE, '--namespace', NS, '--wait']);
  await c.core.deleteNamespace({ name: SAMPLES }).catch(() => undefined);
});

test('helm install with the chart defaults: the pod runs from the image and turns Ready', async () => {
  const t0 = Date.now();
  await helmInstall(RELEASE, NS);
  const [pod] = await readyPods(NS, RELEASE, 1);
  const started = Date.parse(pod!.status!.startTime!.toString());
  const ready = pod!.status!.conditions!.find((x) => x.type === 'Ready')!.lastTransitionTime!;
  log(`helm install to Ready: ${Date.now() - t0} ms; pod start to Ready: ${Date.parse(ready.toString()) - started} ms (seconds resolution)`);
  expect(pod!.spec!.containers[0]!.image).toBe(process.env.SIGNET_E2E_IMAGE);
  expect(pod!.status!.containerStatuses![0]!.restartCount).toBe(0);
});

const SAMPLE_FILES = ['authserver-generated.yaml', 'authserver-user-key.yaml'];
const sample = (f: string): string => readFileSync(join(repoRoot, 'manifests/samples', f), 'utf8');

test('the samples as shipped (http issuers) are refused by the chart\'s Signet, which does not pass --allow-insecure-issuers', async () => {
  for (const f of SAMPLE_FILES) await applyYaml(sample(f), SAMPLES);
  for (const name of ['generated-key', 'user-key']) {
    const as = await waitForStatus(SAMPLES, name, (x) => x.status?.conditions?.some((k) => k.type === 'Ready') ?? false, 'a Ready condition', 60_000);
    expect(as.status!.conditions!.find((k) => k.type === 'Ready')).toMatchObject({ status: 'False', reason: 'InsecureIssuerNotAllowed' });
  }
});

test('the samples with an https issuer turn Ready and their JWKS is served through the Service, via the API server\'s service proxy', async () => {
  for (const f of SAMPLE_FILES) await applyYaml(sample(f).replaceAll('http://localhost:8080/', 'https://localhost:8443/'), SAMPLES);
  const generated = await waitForStatus(SAMPLES, 'generated-key', isReady, 'Ready', 60_000);
  const user = await waitForStatus(SAMPLES, 'user-key', isReady, 'Ready', 60_000);
  const { svc } = await serviceWithPort(NS, 'http');
  for (const as of [generated, user]) {
    const text = await viaServiceProxy(NS, svc.metadata!.name!, 'http', `authservers/${SAMPLES}/${as.metadata.name}/oauth2/jwks`);
    expect(jwksKids(text)).toContain(as.status!.signingKeyID);
  }
});

test('JWKS and discovery through kubectl port-forward to the Service, routed by the issuer\'s Host', async () => {
  const { svc, port } = await serviceWithPort(NS, 'http');
  const pf = spawn(tool('kubectl'), ['port-forward', '-n', NS, `svc/${svc.metadata!.name}`, `:${port}`, '--address', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const local = await new Promise<number>((resolve, reject) => {
      let out = '';
      pf.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      pf.stderr.on('data', (d: Buffer) => (out += d.toString()));
      pf.on('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}): ${out}`)));
    });
    const generated = await getAuthServer(SAMPLES, 'generated-key');
    const issuer = new URL(generated.spec.issuerURI);
    const disco = await getWithHost(local, `${issuer.pathname}/.well-known/openid-configuration`, issuer.host);
    expect(disco.status).toBe(200);
    const doc = JSON.parse(disco.body) as { issuer: string; jwks_uri: string };
    expect(doc.issuer).toBe(generated.spec.issuerURI);
    const jwks = await getWithHost(local, new URL(doc.jwks_uri).pathname, issuer.host);
    expect(jwks.status).toBe(200);
    expect(jwksKids(jwks.body)).toContain(generated.status!.signingKeyID);
  } finally {
    pf.kill();
  }
});

test('kubectl signet status -A and verify work with no --jwks-url (the JWKS through the service proxy)', async () => {
  const env = { ...process.env, PATH: `${join(repoRoot, 'bin')}:${join(repoRoot, '.tools/bin')}:${process.env.PATH ?? ''}` };
  // An issuer this machine cannot reach (a closed loopback port), so only the service proxy can answer.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await applyYaml([
    'apiVersion: v1', 'kind: Secret', 'metadata: {name: verify-me-key}', 'type: Opaque', 'stringData:', '  key.pem: |',
    ...pem.trim().split('\n').map((l) => `    ${l}`),
    '---', 'apiVersion: signet.dev/v1alpha1', 'kind: AuthServer', 'metadata: {name: verify-me}',
    'spec: {issuerURI: "https://127.0.0.1:9/verify-me", tokenSignature: {signAndVerifyKeyRef: {name: verify-me-key}, keyGeneration: {mode: Never}}}', '',
  ].join('\n'), SAMPLES);
  const as = await waitForStatus(SAMPLES, 'verify-me', isReady, 'Ready', 60_000);

  const status = await run(join(repoRoot, 'bin/kubectl-signet'), ['status', '-A'], { env });
  expect(status.stderr).toBe('');
  expect(status.code).toBe(0);
  for (const name of ['generated-key', 'user-key', 'verify-me']) expect(status.stdout).toMatch(new RegExp(`${SAMPLES}\\s+${name}\\s+\\S+\\s+True`));

  const token = await new SignJWT({ sub: 'e2e' }).setProtectedHeader({ alg: 'ES256', kid: as.status!.signingKeyID! })
    .setIssuer(as.spec.issuerURI).setIssuedAt().setExpirationTime('5m').sign(await importPKCS8(pem, 'ES256'));
  const verify = await run(tool('kubectl'), ['signet', 'verify', '-n', SAMPLES, 'verify-me', token], { env });
  expect(`${verify.stdout}${verify.stderr}`).toContain('via the API server');
  expect(verify.code).toBe(0);
});

test('the security context holds inside the running container: uid/gid 65532, no capabilities, NoNewPrivs, read-only root', async () => {
  const [pod] = await readyPods(NS, RELEASE, 1);
  const exec = (script: string): Promise<string> => kubectl(['exec', '-n', NS, pod!.metadata!.name!, '-c', 'signet', '--', 'node', '-e', script]);
  const status = await exec('process.stdout.write(require("fs").readFileSync("/proc/self/status", "utf8"))');
  const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  expect(field('Uid').split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
  expect(field('Gid').split(/\s+/)).toEqual(['65532', '65532', '65532', '65532']);
  for (const cap of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) expect([cap, field(cap)]).toEqual([cap, '0000000000000000']);
  expect(field('NoNewPrivs')).toBe('1');
  expect(field('Seccomp')).toBe('2');
  const write = await exec('for (const p of ["/app/x", "/x", "/etc/x"]) { try { require("fs").writeFileSync(p, "x"); console.log(p + " WRITABLE") } catch (e) { console.log(p + " " + e.code) } }');
  expect(write.trim().split('\n')).toEqual(['/app/x EROFS', '/x EROFS', '/etc/x EROFS']);
});

test('replicaCount 2: both pods Ready and the Lease is held by one of them', async () => {
  const t0 = Date.now();
  await helmInstall(RELEASE, NS, { replicaCount: 2 });
  const pods = await readyPods(NS, RELEASE, 2);
  log(`upgrade to 2 replicas Ready: ${Date.now() - t0} ms`);
  const names = pods.map((p) => p.metadata!.name!);
  const holder = await eventually(async () => {
    const lease = JSON.parse(await kubectl(['get', 'lease', '-n', NS, 'signet-leader', '-o', 'json'])) as { spec?: { holderIdentity?: string } };
    const h = lease.spec?.holderIdentity ?? '';
    return names.some((n) => h === n || h.startsWith(`${n}_`) || h.startsWith(`${n}-`)) ? h : undefined;
  }, { what: `the Lease signet-leader held by one of ${names.join(', ')}`, timeoutMs: 60_000, intervalMs: 500 });
  log(`Lease holder: ${holder}`);
  const { svc } = await serviceWithPort(NS, 'http');
  const text = await viaServiceProxy(NS, svc.metadata!.name!, 'http', `authservers/${SAMPLES}/generated-key/oauth2/jwks`);
  expect(jwksKids(text)).toContain((await getAuthServer(SAMPLES, 'generated-key')).status!.signingKeyID);
});

test('helm uninstall removes what the chart created; user Secrets, AuthServers and generated Secrets stay', async () => {
  const rendered = await helm(['get', 'manifest', RELEASE, '--namespace', NS]);
  const created = parseAllDocuments(rendered).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o) => o?.kind).map((o) => `${o!.kind}/${o!.metadata!.name}`);
  expect(created.length).toBeGreaterThan(5);
  await helm(['uninstall', RELEASE, '--namespace', NS, '--wait', '--timeout', '2m']);
  await eventually(async () => (await c.core.listNamespacedPod({ namespace: NS, labelSelector: selector(RELEASE) })).items.length === 0,
    { what: 'the release\'s pods gone', timeoutMs: 60_000, intervalMs: 500 });
  const left: string[] = [];
  for (const obj of created) {
    const [kind, name] = obj.split('/') as [string, string];
    const namespaced = !['ClusterRole', 'ClusterRoleBinding', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'].includes(kind);
    const r = await run(tool('kubectl'), ['get', kind, name, ...(namespaced ? ['-n', NS] : []), '--ignore-not-found', '-o', 'name']);
    if (r.stdout.trim()) left.push(obj);
  }
  expect(left).toEqual([]);
  // The user's key Secret and every AuthServer are untouched; the generated key stays (deletionPolicy
  // Delete ties it to its AuthServer, not to the operator).
  const user = await c.core.readNamespacedSecret({ namespace: SAMPLES, name: 'user-key-2026-11' });
  expect(user.metadata?.deletionTimestamp).toBeUndefined();
  await c.core.readNamespacedSecret({ namespace: SAMPLES, name: 'generated-key-signing' });
  for (const name of ['generated-key', 'user-key', 'verify-me']) expect((await getAuthServer(SAMPLES, name)).metadata.deletionTimestamp).toBeUndefined();
});
