// Tenant isolation on the one JWKS listener, tried as a tenant in another namespace would: no
// AuthServer may be answered on a route another one owns, whatever the spelling of its issuerURI.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clients, repoRoot, useNamespace } from '../../support/kube.js';
import { getJwks, startOperator, useOperator, type RunningOperator } from '../../support/operator.js';
import { condition, createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION } from '../../../src/api/types.js';
import type { AuthServer, AuthServerSpec } from '../../../src/api/types.js';

const victim = useNamespace('tenancy-victim');
const evil = useNamespace('tenancy-evil');
// The cluster admin's policy: each tenant's own hosts; both may try login.example.com, so that the
// conflict rule, not the policy, is what keeps it with the older AuthServer.
const policyFile = join(tmpdir(), `signet-tenancy-${randomBytes(4).toString('hex')}.yaml`);
beforeAll(() => writeFileSync(policyFile, `
- namespaces: ["tenancy-victim-*"]
  hosts: [login.example.com, "*.team-a.example.com"]
- namespaces: ["tenancy-evil-*"]
  hosts: [login.example.com, hijack.example.com, signet.signet-system.svc]
`));
afterAll(() => rmSync(policyFile, { force: true }));
const op = useOperator(victim, () => ['--namespace', evil.name, '--issuer-host-policy', policyFile]);

const UNSAFE = { 'signet.dev/allow-unsafe-issuer-uri': 'true' };
const spec = (issuerURI: string, key: string): AuthServerSpec => ({ issuerURI, tokenSignature: { signAndVerifyKeyRef: { name: key }, keyGeneration: { algorithm: 'ES256' } } });
const c = clients();
const reconciled = (as: AuthServer): boolean => condition(as, 'Ready') !== undefined;
const kids = async (path: string, host: string): Promise<unknown[]> => (await getJwks(op.jwksPort, path, host)).keys.map((k) => k.kid);

let victimKid: string;
beforeAll(async () => {
  await createAuthServer(victim.name, 'login', spec('https://login.example.com/team-a', 'login-key'));
  victimKid = (await waitForStatus(victim.name, 'login', isReady, 'Ready')).status?.signingKeyID ?? '';
  expect(victimKid).not.toBe('');
});

it('refuses an issuerURI under /authservers/, so no Host reaches another namespace\'s host-independent path with foreign keys', async () => {
  const independent = `/authservers/${victim.name}/login/oauth2/jwks`;
  const spellings = [
    `https://signet.signet-system.svc:8080/authservers/${victim.name}/login`,
    `https://hijack.example.com/AuthServers/${victim.name}/login/`,
    `https://hijack.example.com/%61uthservers/${victim.name}/login`,
    'https://hijack.example.com/authservers',
  ];
  for (const [i, uri] of spellings.entries()) await createAuthServer(evil.name, `hijack-${i}`, spec(uri, `hijack-${i}-key`));
  for (const i of spellings.keys()) await waitForStatus(evil.name, `hijack-${i}`, reconciled, 'reconciled');

  for (const host of ['signet.signet-system.svc:8080', 'hijack.example.com', `127.0.0.1:${op.jwksPort}`]) {
    expect(await kids(independent, host)).toEqual([victimKid]);
  }
  for (const i of spellings.keys()) {
    const as = await waitForStatus(evil.name, `hijack-${i}`, reconciled, 'reconciled');
    expect(condition(as, 'Ready')).toMatchObject({ status: 'False', reason: 'InvalidIssuerURI', message: expect.stringContaining('/authservers/') });
  }
});

it('gives a newer AuthServer IssuerConflict for every spelling of an older one\'s issuer: case, default port, trailing slash, scheme', async () => {
  const spellings: Array<[string, Record<string, string>]> = [
    ['http://login.example.com:443/team-a', UNSAFE],
    ['https://LOGIN.Example.com:443/team-a/', {}],
    ['http://login.example.com/team-a', UNSAFE],
    ['https://login.example.com./team-a', {}],
  ];
  for (const [i, [uri, annotations]] of spellings.entries()) await createAuthServer(evil.name, `respelled-${i}`, spec(uri, `respelled-${i}-key`), annotations);
  for (const i of spellings.keys()) {
    const as = await waitForStatus(evil.name, `respelled-${i}`, reconciled, 'reconciled');
    expect({ uri: spellings[i]![0], ready: condition(as, 'Ready') }).toMatchObject({ ready: { status: 'False', reason: 'IssuerConflict', message: expect.stringContaining(`${victim.name}/login`) } });
  }
  for (const host of ['login.example.com', 'login.example.com:443', 'LOGIN.example.com', 'login.example.com.:443']) {
    expect(await kids('/team-a/oauth2/jwks', host)).toEqual([victimKid]);
  }
  // An edit makes a newer claimant the last one written, which once won the route: it still loses.
  const reconciles = async (): Promise<number> => metricValue(await scrape(op.metricsPort), 'signet_reconciles_total', { result: 'success' }) ?? 0;
  const before = await reconciles();
  for (const i of spellings.keys()) {
    await c.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace: evil.name, name: `respelled-${i}`, body: { metadata: { annotations: { edited: 'yes' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
  }
  await eventually(async () => (await reconciles()) >= before + spellings.length, { what: 'every edited claimant reconciled' });
  for (const host of ['login.example.com', 'login.example.com:443']) {
    expect(await kids('/team-a/oauth2/jwks', host)).toEqual([victimKid]);
  }
});

it('refuses a host the policy does not grant to the namespace (IssuerNotAllowed), so an older foreign claim blocks nobody', async () => {
  await createAuthServer(evil.name, 'squatter', spec('https://login.team-a.example.com/x', 'squatter-key'));
  const squatter = await waitForStatus(evil.name, 'squatter', reconciled, 'reconciled');
  expect(condition(squatter, 'Ready')).toMatchObject({ status: 'False', reason: 'IssuerNotAllowed', message: expect.stringMatching(new RegExp(`"login\\.team-a\\.example\\.com".*"${evil.name}"`)) });
  const squatterKid = (await getJwks(op.jwksPort, `/authservers/${evil.name}/squatter/oauth2/jwks`)).keys[0]?.kid;
  expect(squatterKid).toBe(squatter.status?.signingKeyID);

  await createAuthServer(victim.name, 'team-host', spec('https://login.team-a.example.com/x', 'team-host-key'));
  const owner = await waitForStatus(victim.name, 'team-host', isReady, 'Ready');
  expect(await kids('/x/oauth2/jwks', 'login.team-a.example.com')).toEqual([owner.status?.signingKeyID]);
});

describe('an operator without --allow-insecure-issuers', () => {
  const strict = useNamespace('tenancy-strict');
  let strictOp: RunningOperator | undefined;
  beforeAll(async () => {
    strictOp = await startOperator(['--namespace', strict.name]);
  });
  afterAll(async () => {
    if (strictOp) expect(await strictOp.stop()).toBe(0);
  });

  it('refuses an http issuer even with the allow-unsafe annotation (InsecureIssuerNotAllowed) and serves it on no Host', async () => {
    await createAuthServer(strict.name, 'dev', spec('http://login.example.com/dev', 'dev-key'), UNSAFE);
    const as = await waitForStatus(strict.name, 'dev', reconciled, 'reconciled');
    expect(condition(as, 'Ready')).toMatchObject({ status: 'False', reason: 'InsecureIssuerNotAllowed', message: expect.stringContaining('--allow-insecure-issuers') });
    const port = strictOp!.jwksPort;
    expect((await getJwks(port, '/dev/oauth2/jwks', 'login.example.com')).status).toBe(404);
    expect((await getJwks(port, `/authservers/${strict.name}/dev/oauth2/jwks`)).keys.map((k) => k.kid)).toEqual([as.status?.signingKeyID]);
  });
});

it('stops at startup, exit code 2, with a message naming the policy file and what to fix', async () => {
  const bad = `${policyFile}.bad`;
  writeFileSync(bad, '- {namespace: [team-a], hosts: [login.example.com]}\n');
  const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'src/main.ts'), '--issuer-host-policy', bad], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  rmSync(bad);
  expect(code).toBe(2);
  expect(stderr.trim()).toBe(`--issuer-host-policy "${bad}": rule 1 has unknown field(s) "namespace"; a rule has only "namespaces" and "hosts"`);
});
