// kubectl signet, the real executable (bin/kubectl-signet on the compiled dist/), against the real
// control plane and a real operator serving its JWKS over HTTPS: status, keys, verify (with every
// reason a token can fail), rotate (normal, emergency, refused, timed out) and authn-config, whose
// output is given as it is to a second kube-apiserver that then authenticates a token with it.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { SignJWT, importPKCS8, type JWTPayload } from 'jose';
import { parse, stringify } from 'yaml';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../../src/api/types.js';
import { condition, createAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { kubectl, run, type RunResult } from '../../support/helm.js';
import { clients, installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { startJwtApiServer } from '../../interop/support/kube-apiserver.js';
import { createTestPki, type TestPki } from '../../interop/support/test-ca.js';

const bin = join(repoRoot, 'bin');
const ns = useNamespace('cli');
const unwatched = useNamespace('cli-unwatched');
let pki: TestPki;
let op: RunningOperator;
let work: string;
let login: AuthServer;

/** Runs kubectl-signet as a user would, with the test cluster's kubeconfig. */
function signet(...args: string[]): Promise<RunResult> {
  return run(join(bin, 'kubectl-signet'), ['--kubeconfig', process.env.KUBECONFIG ?? '', ...args]);
}

const issuerOf = (name: string): string => `https://127.0.0.1:${op.jwksPort}/${name}`;

async function signWithSecret(secretName: string, kid: string, claims: JWTPayload, alg = 'RS256'): Promise<string> {
  const secret = await clients().core.readNamespacedSecret({ namespace: ns.name, name: secretName });
  const key = await importPKCS8(Buffer.from(secret.data?.['key.pem'] ?? '', 'base64').toString(), alg);
  return new SignJWT(claims).setProtectedHeader({ alg, kid, typ: 'JWT' }).sign(key);
}

const now = (): number => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  // The CLI runs from dist/ (`make integration` builds it first): refuse to test stale code.
  const newest = (dir: string): number => Math.max(...readdirSync(dir).map((f) => statSync(join(dir, f)).mtimeMs));
  if (newest(join(repoRoot, 'src/cli')) > newest(join(repoRoot, 'dist/cli'))) throw new Error('dist/cli is older than src/cli: run `npm run build`');
  await installCrd();
  work = mkdtempSync(join(tmpdir(), 'signet-cli-'));
  pki = await createTestPki();
  op = await startOperator(['--namespace', ns.name, '--jwks-tls-cert-file', pki.certFile, '--jwks-tls-key-file', pki.keyFile]);
  const byo = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await clients().core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'byo-key' }, stringData: { 'key.pem': byo } } });
  await Promise.all([
    createAuthServer(ns.name, 'login', { issuerURI: issuerOf('login'), tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } } }),
    createAuthServer(ns.name, 'byo', { issuerURI: issuerOf('byo'), tokenSignature: { signAndVerifyKeyRef: { name: 'byo-key' } } }),
    createAuthServer(ns.name, 'broken', { issuerURI: issuerOf('broken'), tokenSignature: { signAndVerifyKeyRef: { name: 'absent' }, keyGeneration: { mode: 'Never' } } }),
  ]);
  [login] = await Promise.all([
    waitForStatus(ns.name, 'login', isReady, 'Ready'), waitForStatus(ns.name, 'byo', isReady, 'Ready'),
    waitForStatus(ns.name, 'broken', (as) => condition(as, 'Ready')?.reason === 'SecretNotFound', 'Ready=False SecretNotFound'),
  ]);
});

afterAll(async () => {
  if (op) expect(await op.stop()).toBe(0);
  for (const dir of [work, pki?.dir]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('status', () => {
  it('runs as a kubectl plugin and prints a table of the namespace\'s AuthServers', async () => {
    const r = await run(kubectl(), ['signet', 'status', '-n', ns.name, '--kubeconfig', process.env.KUBECONFIG ?? ''], {
      env: { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` },
    });
    expect(r.stderr).toBe('');
    const [header, ...rows] = r.stdout.trim().split('\n');
    expect(header).toMatch(/^NAME\s+ISSUER\s+READY\s+REASON\s+SIGNING KID\s+KEY AGE\s+KEYS\s+NEXT TRANSITION$/);
    expect(rows.map((l) => l.split(/\s{3,}/).slice(0, 4))).toEqual([
      ['broken', issuerOf('broken'), 'False', 'SecretNotFound'], ['byo', issuerOf('byo'), 'True', 'Resolved'], ['login', issuerOf('login'), 'True', 'Resolved'],
    ]);
    const loginRow = rows.find((l) => l.startsWith('login')) ?? '';
    expect(loginRow).toContain(login.status?.signingKeyID);
    expect(loginRow).toMatch(/1 Active/);
  });

  it('-A adds the NAMESPACE column; --context picks the kubeconfig context and its namespace', async () => {
    const all = await signet('status', '-A');
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+ISSUER/);
    expect(all.stdout).toMatch(new RegExp(`^${ns.name}\\s+login\\s+`, 'm'));

    const kc = parse((await run(kubectl(), ['config', 'view', '--raw', '--kubeconfig', process.env.KUBECONFIG ?? ''])).stdout) as {
      contexts: Array<{ name: string; context: Record<string, string> }>; 'current-context': string;
    };
    const base = kc.contexts.find((c) => c.name === kc['current-context']);
    kc.contexts.push({ name: 'team', context: { ...base?.context, namespace: ns.name } });
    const file = join(work, 'kubeconfig');
    writeFileSync(file, stringify(kc));
    const r = await run(join(bin, 'kubectl-signet'), ['--kubeconfig', file, '--context', 'team', 'status']);
    expect(r.stdout).toMatch(/^login\s+/m);
    const missing = await run(join(bin, 'kubectl-signet'), ['--kubeconfig', file, '--context', 'nope', 'status']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('context "nope" is not in the kubeconfig');
  });

  it('-o json gives the summary per AuthServer', async () => {
    const r = await signet('status', '-n', ns.name, '-o', 'json');
    const out = JSON.parse(r.stdout) as { items: Array<{ name: string; ready: string; signingKid: string; keys: Record<string, number> }> };
    expect(out.items.find((i) => i.name === 'login')).toMatchObject({ ready: 'True', signingKid: login.status?.signingKeyID, keys: { Active: 1 } });
  });
});

it('exports readiness per AuthServer as signet_authserver_ready, the metric SignetAuthServerNotReady alerts on', async () => {
  const text = await scrape(op.metricsPort);
  expect(metricValue(text, 'signet_authserver_ready', { namespace: ns.name, authserver: 'login' })).toBe(1);
  expect(metricValue(text, 'signet_authserver_ready', { namespace: ns.name, authserver: 'broken' })).toBe(0);
});

it('keys NAME lists each key with its kid, state, algorithm, size and Secret (-o yaml)', async () => {
  const table = await signet('keys', 'login', '-n', ns.name);
  expect(table.stdout.split('\n')[0]).toMatch(/^KID\s+STATE\s+ALG\s+SIZE\s+PUBLISHED\s+ACTIVATES\s+RETIRES\s+SECRET$/);
  expect(table.stdout).toMatch(new RegExp(`^${login.status?.signingKeyID}\\s+Active\\s+RS256\\s+2048\\s+.*login-key$`, 'm'));
  const y = parse((await signet('keys', 'login', '-n', ns.name, '-o', 'yaml')).stdout) as { keys: Array<Record<string, unknown>> };
  expect(y.keys).toEqual([expect.objectContaining({ kid: login.status?.signingKeyID, state: 'Active', algorithm: 'RS256', keySize: 2048, secretName: 'login-key', generated: true })]);
  const missing = await signet('keys', 'nope', '-n', ns.name);
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`AuthServer "nope" not found in namespace "${ns.name}"`);
});

describe('verify', () => {
  const verify = (token: string): Promise<RunResult> => signet('verify', 'login', token, '-n', ns.name, '--ca-file', pki.caFile);

  it('names the served key that verifies a token, fetched from the issuer over HTTPS', async () => {
    const kid = login.status?.signingKeyID ?? '';
    const r = await verify(await signWithSecret('login-key', kid, { iss: issuerOf('login'), sub: 'alice', exp: now() + 600 }));
    expect(r.stdout).toContain(`keys from: ${issuerOf('login')}/oauth2/jwks`);
    expect(r.stdout).toContain(`VERIFIED by ${ns.name}/login: key ${kid} (Active, RS256, Secret login-key)`);
    expect(r.code).toBe(0);
  });

  it('says exactly why a token does not verify', async () => {
    const kid = login.status?.signingKeyID ?? '';
    const good = { iss: issuerOf('login'), sub: 'alice', exp: now() + 600 };
    const foreign = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const forge = (k: string): Promise<string> => new SignJWT(good).setProtectedHeader({ alg: 'RS256', kid: k }).sign(foreign);
    const valid = await signWithSecret('login-key', kid, good);
    const [head, body] = valid.split('.');
    const cases: Array<[string, string, string]> = [
      ['UnknownKid', await forge('not-served'), `no served key has kid not-served; served keys: ${kid} (Active, RS256)`],
      ['WrongAlgorithm', await signWithSecret('login-key', kid, good, 'PS256'), `the token's alg is PS256, but key ${kid} is RS256`],
      ['BadSignature', await forge(kid), `the signature does not verify with key ${kid}`],
      ['BadSignature', `${head}.${Buffer.from(JSON.stringify({ ...good, sub: 'mallory' })).toString('base64url')}.${valid.split('.')[2]}`, 'the token was altered'],
      ['Expired', await signWithSecret('login-key', kid, { ...good, exp: now() - 60 }), 'but the token expired at'],
      ['WrongIssuer', await signWithSecret('login-key', kid, { ...good, iss: 'https://evil.example.com' }), `the token's iss is "https://evil.example.com", not the issuer "${issuerOf('login')}"`],
      ['Malformed', `${head}.${body}`, 'not a signed JWT'],
    ];
    const results = await Promise.all(cases.map(([, token]) => verify(token)));
    cases.forEach(([failure, , message], i) => {
      expect(results[i]?.stderr).toContain(`NOT VERIFIED by ${ns.name}/login: ${failure}: `);
      expect(results[i]?.stderr).toContain(message);
      expect(results[i]?.code).toBe(1);
    });
  });
});

describe('rotate', () => {
  it('refuses a Secret Signet did not generate, saying how to rotate it instead', async () => {
    const r = await signet('rotate', 'byo', '-n', ns.name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('signs with Secret byo-key, which Signet did not generate');
    expect((await getAuthServer(ns.name, 'byo')).metadata.annotations?.['signet.dev/rotate']).toBeUndefined();
  });

  it('publishes a next key and prints when it will sign; --emergency makes a new key sign at once', async () => {
    const before = login.status?.signingKeyID ?? '';
    const r = await signet('rotate', 'login', '-n', ns.name);
    expect(r.stderr).toContain(`set signet.dev/rotate=`);
    expect(r.stdout).toMatch(new RegExp(`^${ns.name}/login: next key \\S+ published; it starts signing at \\S+ \\(in \\d+m`));
    expect(r.code).toBe(0);
    const keys = parse((await signet('keys', 'login', '-n', ns.name, '-o', 'yaml')).stdout) as { keys: Array<{ kid: string; state: string }> };
    expect(keys.keys.map((k) => k.state)).toEqual(['Active', 'Next']);

    const e = await signet('rotate', 'login', '--emergency', '-n', ns.name, '-o', 'json');
    const out = JSON.parse(e.stdout) as { kind: string; kid: string; previousKid: string; annotation: string };
    expect(out).toMatchObject({ kind: 'activated', previousKid: before, annotation: 'signet.dev/rotate-emergency' });
    expect((await getAuthServer(ns.name, 'login')).status?.signingKeyID).toBe(out.kid);
  });

  it('gives up after --timeout when no operator acts, and says what to check', async () => {
    // An AuthServer no operator watches, with the status one wrote before it stopped.
    const custom = clients().custom;
    const api = { group: GROUP, version: VERSION, plural: PLURAL, namespace: unwatched.name };
    const as = await createAuthServer(unwatched.name, 'orphan', { issuerURI: 'https://orphan.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'orphan-key' } } });
    await custom.replaceNamespacedCustomObjectStatus({ ...api, name: 'orphan', body: { ...as, status: { observedGeneration: 1, signingKeyID: 'k1', keys: [
      { secretName: 'orphan-key', kid: 'k1', role: 'SignAndVerify', algorithm: 'RS256', keySize: 2048, generated: true, publishedSince: new Date().toISOString(), state: 'Active' },
    ] } } });
    const started = Date.now();
    const r = await signet('rotate', 'orphan', '-n', unwatched.name, '--timeout', '2s');
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${unwatched.name}/orphan: no transition within 2s of setting signet.dev/rotate=`);
    expect(r.stderr).toContain('Is the Signet operator running');
  });
});

describe('authn-config', () => {
  it('prints an AuthenticationConfiguration that a kube-apiserver accepts and authenticates tokens with', async () => {
    const r = await signet('authn-config', 'login', '-n', ns.name, '--audience', 'cli-test', '--ca-file', pki.caFile);
    expect(r.code).toBe(0);
    const doc = parse(r.stdout) as { kind: string; jwt: Array<{ issuer: Record<string, unknown>; claimMappings: unknown }> };
    expect(doc.kind).toBe('AuthenticationConfiguration');
    expect(doc.jwt).toEqual([{
      issuer: { url: issuerOf('login'), audiences: ['cli-test'], certificateAuthority: pki.caPem },
      claimMappings: { username: { claim: 'sub', prefix: `${issuerOf('login')}#` } },
    }]);

    const apiserver = await startJwtApiServer(r.stdout);
    try {
      const current = (await getAuthServer(ns.name, 'login')).status?.signingKeyID ?? '';
      const claims = { iss: issuerOf('login'), sub: 'alice', aud: 'cli-test', iat: now(), exp: now() + 600, jti: randomUUID() };
      expect(await apiserver.review(await signWithSecret('login-key', current, claims))).toEqual({ status: 201, username: `${issuerOf('login')}#alice` });
      expect((await apiserver.review(await signWithSecret('login-key', current, { ...claims, aud: 'other' }))).status).toBe(401);
    } finally {
      await apiserver.stop();
    }
  });

  it('refuses an http issuer, which the kube-apiserver would not trust', async () => {
    await createAuthServer(unwatched.name, 'plain', { issuerURI: 'http://plain.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'plain-key' } } }, { 'signet.dev/allow-unsafe-issuer-uri': 'true' });
    const r = await signet('authn-config', 'plain', '-n', unwatched.name);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('which the kube-apiserver cannot trust: spec.issuerURI "http://plain.example.com" is not https, and the authenticator accepts only https issuers');
  });
});
