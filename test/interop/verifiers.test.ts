// Proof against verifiers that nobody here wrote (docs/architecture.md#interoperability): one Signet serving four issuers over
// HTTPS (a certificate from a throw-away CA), one per algorithm, and tokens signed with the key.pem
// of the Secrets it generated. The kube-apiserver's structured JWT authenticator, go-oidc, PyJWT,
// jose, openid-client and jwks-rsa each check them, before, during and after a rotation by ref edit.
// The run writes test/interop/results.json; `make interop` renders it into README.md.
import { jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import https from 'node:https';
import type { Algorithm, AuthServer } from '../../src/api/types.js';
import { createAuthServer, editAuthServer, events, waitForEvent, waitForStatus, isReady } from '../support/authservers.js';
import { eventually } from '../support/eventually.js';
import { installCrd, useNamespace } from '../support/kube.js';
import { startOperator, type RunningOperator } from '../support/operator.js';
import { startJwtApiServer, type JwtApiServer } from './support/kube-apiserver.js';
import { Results, type Propagation } from './support/results.js';
import { createTestPki, type TestPki } from './support/test-ca.js';
import { AUDIENCE, foreignKey, keyFromSecret, signToken, type SigningKey } from './support/tokens.js';
import { LIBRARY_VERIFIERS, runLibraryVerifiers, type LibraryVerifier, type VerifierResult } from './support/verifier-protocol.js';

jest.setTimeout(240_000);

const ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const satisfies readonly Algorithm[];
type Alg = (typeof ALGORITHMS)[number];
type Verifier = LibraryVerifier | 'kube-apiserver';

/**
 * What each verifier is documented to accept: the kube-apiserver's authenticator allows RS, PS and
 * ES algorithms only, and jsonwebtoken 9 (behind jwks-rsa) has no EdDSA. The suite checks both
 * sides: a supported algorithm is accepted, an unsupported one is refused.
 */
const SUPPORTS: Record<Verifier, readonly Alg[]> = {
  'kube-apiserver': ['RS256', 'PS256', 'ES256'],
  'go-oidc': ALGORITHMS,
  PyJWT: ALGORITHMS,
  jose: ALGORITHMS,
  'openid-client': ALGORITHMS,
  'jwks-rsa': ['RS256', 'PS256', 'ES256'],
};

/**
 * One issuer per algorithm. The two that the kube-apiserver section rotates have a max-age on
 * either side of 30 s: its authenticator refetches on an unknown kid only once the cached set is
 * within 30 s of its Cache-Control expiry, so with 5 s that is at once and with 45 s only 15 s
 * after the previous fetch.
 */
const ISSUERS: Record<Alg, { name: string; cacheMaxAgeSeconds: number }> = {
  RS256: { name: 'rs256', cacheMaxAgeSeconds: 5 },
  PS256: { name: 'ps256', cacheMaxAgeSeconds: 300 },
  ES256: { name: 'es256', cacheMaxAgeSeconds: 45 },
  EdDSA: { name: 'eddsa', cacheMaxAgeSeconds: 300 },
};
const SUBJECT = 'alice';

const ns = useNamespace('interop');
const results = new Results();
let pki: TestPki;
let op: RunningOperator;
let apiserver: JwtApiServer | undefined;
const issuerURI: Partial<Record<Alg, string>> = {};
const signing: Partial<Record<Alg, SigningKey>> = {};
/** Forgeries: another key under the served key's kid. */
const foreign: Partial<Record<Alg, SigningKey>> = {};
/** When the kube-apiserver last fetched each issuer's key set, as far as the suite can tell. */
const fetchedAt: Partial<Record<Alg, number>> = {};

const issuer = (alg: Alg): string => issuerURI[alg] ?? '';
const served = (alg: Alg): SigningKey => signing[alg]!;
const signingKeyOf = (as: AuthServer): { secretName: string; kid: string } => {
  const k = as.status?.keys?.find((x) => x.role === 'SignAndVerify');
  if (!k) throw new Error(`${as.metadata.name} has no signing key in status`);
  return k;
};

/** The kids Signet serves for an issuer, fetched as a verifier would: over HTTPS, trusting only the test CA. */
function servedKids(alg: Alg): Promise<string[]> {
  return new Promise((resolve, reject) => {
    https.get(`${issuer(alg)}/oauth2/jwks`, { ca: pki.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve((JSON.parse(Buffer.concat(chunks).toString()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)));
    }).on('error', reject);
  });
}

beforeAll(async () => {
  await installCrd();
  pki = await createTestPki();
  op = await startOperator(['--namespace', ns.name, '--jwks-tls-cert-file', pki.certFile, '--jwks-tls-key-file', pki.keyFile]);
  await Promise.all(ALGORITHMS.map(async (alg) => {
    const { name, cacheMaxAgeSeconds } = ISSUERS[alg];
    issuerURI[alg] = `https://127.0.0.1:${op.jwksPort}/${name}`;
    await createAuthServer(ns.name, name, {
      issuerURI: issuer(alg),
      tokenSignature: { signAndVerifyKeyRef: { name: `${name}-a` }, keyGeneration: { algorithm: alg } },
      jwks: { cacheMaxAgeSeconds },
    });
    const { secretName, kid } = signingKeyOf(await waitForStatus(ns.name, name, isReady, 'Ready'));
    signing[alg] = await keyFromSecret(ns.name, secretName, alg, kid);
    foreign[alg] = await foreignKey(alg, kid);
  }));
  apiserver = await startJwtApiServer(ALGORITHMS.map((alg) => ({ url: issuer(alg), audience: AUDIENCE, caPem: pki.caPem, usernamePrefix: `${ISSUERS[alg].name}:` })));
});

afterAll(async () => {
  results.write();
  await apiserver?.stop();
  if (op) expect(await op.stop()).toBe(0);
  if (pki) rmSync(pki.dir, { recursive: true, force: true });
});

/** Runs every library verifier on the tokens, each in a process of its own ecosystem; results by verifier, then token id. */
function libraryVerdicts(tokens: Array<{ id: string; alg: Alg; token: string }>): Promise<Record<LibraryVerifier, Map<string, VerifierResult>>> {
  return runLibraryVerifiers(pki.caFile, {
    audience: AUDIENCE,
    issuers: ALGORITHMS.map((alg) => ({ issuer: issuer(alg), tokens: tokens.filter((t) => t.alg === alg).map(({ id, token }) => ({ id, token })) })).filter((i) => i.tokens.length > 0),
  });
}

it('each library verifier accepts, through discovery over HTTPS, every algorithm it supports, and refuses a key Signet does not serve', async () => {
  const tokens = (await Promise.all(ALGORITHMS.map(async (alg) => [
    { id: `${alg}/served`, alg, token: await signToken(served(alg), issuer(alg), SUBJECT) },
    { id: `${alg}/foreign`, alg, token: await signToken(foreign[alg]!, issuer(alg), SUBJECT) },
  ]))).flat();
  const verdicts = await libraryVerdicts(tokens);

  const seen: Record<string, Record<string, string>> = {};
  const expected: Record<string, Record<string, string>> = {};
  for (const v of LIBRARY_VERIFIERS) {
    for (const alg of ALGORITHMS) {
      const good = verdicts[v].get(`${alg}/served`);
      const bad = verdicts[v].get(`${alg}/foreign`);
      results.cell(v, alg, { accepted: !!good?.ok, foreignRejected: bad?.ok === false, ...(good?.ok ? {} : { error: good?.error ?? 'no answer' }) });
      (seen[v] ??= {})[alg] = `${good?.ok && good.subject === SUBJECT ? 'accepts' : 'refuses'}, foreign key ${bad?.ok === false ? 'refused' : 'ACCEPTED'}${good?.ok ? '' : ` (${good?.error})`}`;
      (expected[v] ??= {})[alg] = `${SUPPORTS[v].includes(alg) ? 'accepts' : 'refuses'}, foreign key refused`;
    }
  }
  // Errors only show where the expectation is "refuses": compare without them.
  const strip = (m: Record<string, Record<string, string>>): Record<string, Record<string, string>> =>
    Object.fromEntries(Object.entries(m).map(([v, row]) => [v, Object.fromEntries(Object.entries(row).map(([a, s]) => [a, s.replace(/ \(.*$/s, '')]))]));
  expect(strip(seen)).toEqual(expected);
  // A refusal of an unsupported algorithm is about the algorithm, not about reaching the issuer.
  for (const v of LIBRARY_VERIFIERS) {
    for (const alg of ALGORITHMS.filter((a) => !SUPPORTS[v].includes(a))) expect(verdicts[v].get(`${alg}/served`)?.error).not.toMatch(/discovery|ECONNREFUSED|certificate/i);
  }
});

it('the kube-apiserver maps a Signet-signed token to its username (RS, PS, ES), refuses EdDSA as Signet warned, and refuses a key Signet does not serve', async () => {
  const api = apiserver!;
  // The authenticator initialises in the background once the API server is up.
  fetchedAt.RS256 = Date.now();
  await eventually(async () => (await api.review(await signToken(served('RS256'), issuer('RS256'), SUBJECT))).status === 201, { what: 'the JWT authenticator to accept an RS256 token', timeoutMs: 60_000, intervalMs: 500 });
  const seen: Record<string, string> = {};
  const expected: Record<string, string> = {};
  for (const alg of ALGORITHMS) {
    // The first token of an issuer makes the authenticator fetch its key set (RS256: the wait above).
    fetchedAt[alg] ??= Date.now();
    const good = await api.review(await signToken(served(alg), issuer(alg), SUBJECT));
    const bad = await api.review(await signToken(foreign[alg]!, issuer(alg), SUBJECT));
    results.cell('kube-apiserver', alg, { accepted: good.status === 201, foreignRejected: bad.status === 401, ...(good.status === 201 ? {} : { error: `SelfSubjectReview answered ${good.status}` }) });
    seen[alg] = `${good.status} ${good.username ?? ''}, foreign ${bad.status}`;
    expected[alg] = SUPPORTS['kube-apiserver'].includes(alg) ? `201 ${ISSUERS[alg].name}:${SUBJECT}, foreign 401` : '401 , foreign 401';
  }
  expect(seen).toEqual(expected);
  // Signet said so beforehand: a Warning on the AuthServer whose key the authenticator cannot verify, and only there.
  const warning = await waitForEvent(ns.name, ISSUERS.EdDSA.name, 'NotUsableByKubeAPIServer');
  expect(warning).toMatchObject({ type: 'Warning', message: expect.stringContaining('is EdDSA, which the authenticator does not verify') });
  for (const alg of SUPPORTS['kube-apiserver']) expect((await events(ns.name, ISSUERS[alg].name)).map((e) => e.reason)).not.toContain('NotUsableByKubeAPIServer');
});

/**
 * Rotation by ref edit (docs/architecture.md#the-authserver-api) of one issuer, watched by the kube-apiserver and the library
 * verifiers; records how long each change took to reach the kube-apiserver.
 */
async function rotate(alg: 'RS256' | 'ES256'): Promise<void> {
  const api = apiserver!;
  const { name, cacheMaxAgeSeconds } = ISSUERS[alg];
  const old = served(alg);
  const review = async (k: SigningKey): Promise<number> => (await api.review(await signToken(k, issuer(alg), SUBJECT))).status;
  const seconds = (ms: number): number => Math.round(ms / 100) / 10;
  // The previous fetch matters where it holds a refetch back: a max-age over 30 s.
  const record = (change: string, sinceMs: number, previousFetch?: number): void => {
    const now = Date.now();
    if (cacheMaxAgeSeconds <= 30) previousFetch = undefined;
    results.propagation.push({ algorithm: alg, cacheMaxAgeSeconds, change, seconds: seconds(now - sinceMs), ...(previousFetch ? { sincePreviousFetchSeconds: seconds(now - previousFetch) } : {}) });
  };

  // 1. Publish the next key (verify-only).
  await editAuthServer(ns.name, name, (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [{ name: `${name}-b` }] } }));
  const published = await waitForStatus(ns.name, name, (as) => !!as.status?.keys?.some((k) => k.secretName === `${name}-b`), `${name}-b published`);
  const nextKid = published.status!.keys!.find((k) => k.secretName === `${name}-b`)!.kid;
  await eventually(async () => (await servedKids(alg)).includes(nextKid), { what: `${name}: the JWKS to serve ${nextKid}` });
  const publishedAt = Date.now();
  const next = await keyFromSecret(ns.name, `${name}-b`, alg, nextKid);
  await eventually(async () => (await review(next)) === 201, { what: `${alg}: the kube-apiserver to accept the published key`, timeoutMs: 60_000, intervalMs: 250 });
  record('a newly published key is accepted', publishedAt, fetchedAt[alg]);
  // Accepting an unknown kid took a fetch.
  const pickedUpAt = Date.now();

  // 2. The next key signs; the old one becomes verify-only: both authenticate.
  await editAuthServer(ns.name, name, (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, signAndVerifyKeyRef: { name: `${name}-b` }, extraVerifyKeyRefs: [{ name: `${name}-a` }] } }));
  await waitForStatus(ns.name, name, (as) => as.status?.signingKeyID === nextKid, `${name}-b signs`);
  expect([await review(next), await review(old)]).toEqual([201, 201]);
  const pair = async (): Promise<Array<{ id: string; alg: Alg; token: string }>> => [
    { id: 'next', alg, token: await signToken(next, issuer(alg), SUBJECT) },
    { id: 'old', alg, token: await signToken(old, issuer(alg), SUBJECT) },
  ];
  const during = await libraryVerdicts(await pair());
  expect(LIBRARY_VERIFIERS.map((v) => [v, during[v].get('next')?.ok, during[v].get('old')?.ok])).toEqual(LIBRARY_VERIFIERS.map((v) => [v, SUPPORTS[v].includes(alg), SUPPORTS[v].includes(alg)]));

  // 3. Remove the old ref: Signet stops serving it at once.
  await editAuthServer(ns.name, name, (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, extraVerifyKeyRefs: [] } }));
  await eventually(async () => !(await servedKids(alg)).includes(old.kid), { what: `${name}: the JWKS to drop ${old.kid}` });
  const removedAt = Date.now();
  if (alg === 'RS256') {
    // The kube-apiserver verifies against its cached set, expired or not, while every kid it is
    // shown is in it: past the max-age, fresh tokens of the removed key still authenticate.
    const until = removedAt + (cacheMaxAgeSeconds + 2) * 1000;
    const statuses: number[] = [];
    while (Date.now() < until) {
      statuses.push(await review(old));
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(new Set(statuses)).toEqual(new Set([201]));
    record('a removed key is still accepted while no token with an unknown kid arrives (observed for)', removedAt);
  }
  // A token with a kid the cached set lacks makes it refetch, once the set is within 30 s of expiry.
  const trigger = await foreignKey(alg);
  const triggeredAt = Date.now();
  await eventually(async () => {
    expect(await review(trigger)).toBe(401);
    return (await review(old)) === 401;
  }, { what: `${alg}: the kube-apiserver to refuse the removed key`, timeoutMs: 90_000, intervalMs: 250 });
  record('a removed key is refused, counted from the first token with an unknown kid', triggeredAt, pickedUpAt);
  expect(await review(next)).toBe(201);
  // A verifier that fetches afresh refuses it at once.
  const after = await libraryVerdicts(await pair());
  expect(LIBRARY_VERIFIERS.map((v) => [v, after[v].get('next')?.ok, after[v].get('old')?.ok])).toEqual(LIBRARY_VERIFIERS.map((v) => [v, SUPPORTS[v].includes(alg), false]));
}

it('after a rotation by ref edit the kube-apiserver accepts the new key and the verify-only one, and refuses the removed one', async () => {
  await Promise.all([rotate('RS256'), rotate('ES256')]);
  for (const p of results.propagation) process.stderr.write(`  interop: ${p.algorithm} (cacheMaxAgeSeconds ${p.cacheMaxAgeSeconds}): ${p.change}: ${p.seconds} s\n`);
  // With a max-age at or under 30 s the authenticator refetches on the first unknown kid; over it,
  // never sooner than max-age − 30 s after its previous fetch (15 s for ES256 here).
  const find = (alg: string, change: RegExp): Propagation => results.propagation.find((p) => p.algorithm === alg && change.test(p.change))!;
  // The upper bounds leave 5 s for polling and a busy machine.
  expect(find('RS256', /newly published/).seconds).toBeLessThan(5);
  expect(find('RS256', /refused/).seconds).toBeLessThan(5);
  expect(find('ES256', /newly published/).sincePreviousFetchSeconds).toBeGreaterThanOrEqual(14.5);
  expect(find('ES256', /newly published/).seconds).toBeLessThan(15 + 5);
  expect(find('ES256', /refused/).sincePreviousFetchSeconds).toBeGreaterThanOrEqual(14.5);
  expect(find('ES256', /refused/).seconds).toBeLessThan(15 + 5);
});
