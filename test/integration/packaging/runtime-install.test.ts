// The image's runtime stage works: package.json, package-lock.json and dist/ in a clean folder,
// `npm ci --omit=dev` (as the Dockerfile's second stage does), then `node dist/main.js` from there
// against the real API server: ready, generates a key for a Secret-less AuthServer, serves its
// JWKS, and exits 0 on SIGTERM. A runtime import of a devDependency fails here.
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCrd, repoRoot, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { getJwks } from '../../support/operator.js';
import { createAuthServer } from '../../support/authservers.js';
import { run } from '../../support/helm.js';
import { requireDist, startDist, type DistProcess } from './process.js';

const ns = useNamespace('pkg-runtime');
let dir = '';
let op: DistProcess | undefined;

beforeAll(async () => {
  requireDist();
  dir = mkdtempSync(join(tmpdir(), 'signet-runtime-'));
  for (const f of ['package.json', 'package-lock.json']) cpSync(join(repoRoot, f), join(dir, f));
  cpSync(join(repoRoot, 'dist'), join(dir, 'dist'), { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  const ci = await run('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], { cwd: dir, env });
  if (ci.code !== 0) {
    const lines = ci.stderr.split('\n').filter((l) => !/Unknown user config/.test(l)).slice(0, 40).join('\n');
    const hint = /Missing: .* from lock file/.test(lines) ? '\nThe lockfile lacks platform packages that the registry here does not have: run `node scripts/complete-lockfile.mjs`.' : '';
    throw new Error(`npm ci --omit=dev failed in ${dir} (the Dockerfile's runtime stage would fail the same way):\n${lines}${hint}`);
  }
  await installCrd();
}, 300_000);

afterAll(async () => {
  if (op) await op.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('installs the production dependencies only', () => {
  expect(existsSync(join(dir, 'node_modules/@kubernetes/client-node/package.json'))).toBe(true);
  for (const dev of ['typescript', 'jest', '@swc/core', 'tsx', '@aws-cdk/lambda-layer-kubectl-v35', 'aws-cdk-lib']) {
    expect([dev, existsSync(join(dir, 'node_modules', dev))]).toEqual([dev, false]);
  }
});

it('runs node dist/main.js: ready, generates the key of a Secret-less AuthServer, serves its JWKS, exits 0 on SIGTERM', async () => {
  op = await startDist(dir, ['--kubeconfig', process.env.KUBECONFIG ?? '', '--namespace', ns.name, '--log-level', 'debug']);
  await createAuthServer(ns.name, 'runtime', { issuerURI: 'https://runtime.example.com/team', tokenSignature: { signAndVerifyKeyRef: { name: 'runtime-key' } } });

  const jwks = await eventually(async () => {
    const res = await getJwks(op!.jwksPort, `/authservers/${ns.name}/runtime/oauth2/jwks`);
    return res.status === 200 && res.keys.length === 1 ? res : undefined;
  }, { what: 'a JWKS with one generated key', timeoutMs: 60_000 });
  expect(jwks.headers['content-type']).toBe('application/jwk-set+json');
  expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256' });
  expect(jwks.keys[0]).not.toHaveProperty('d');
  // The same set by issuer: Host header and issuer path.
  const byIssuer = await getJwks(op.jwksPort, '/team/oauth2/jwks', 'runtime.example.com');
  expect(byIssuer.keys).toEqual(jwks.keys);

  const code = await op.stop();
  op = undefined;
  expect(code).toBe(0);
});
