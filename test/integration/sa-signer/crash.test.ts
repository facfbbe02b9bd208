// The cluster's service-account issuer (docs/architecture.md#the-service-account-issuer) through a rotation whose every write is cut by a
// crash: Signet SIGKILLed just before and just after each write (the write trap of
// test/support/write-trap.ts holds the request or its answer), started again from its state file.
// Watched from the kube-apiserver's side, as its clients see it: every token it issued keeps
// passing TokenReview, no key leaves /openid/v1/jwks, no token is signed by a key the API server
// had not published well before (publishAhead, less its refresh interval), and issuance resumes
// after every restart and goes on rotating.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { decodeJwt, startSignerApiServer, type SignerApiServer } from '../../support/sa-signer.js';
import { startWriteTrap, type TrapMoment, type WriteTrap } from '../../support/write-trap.js';
import { rotationWrites } from '../rotation/steps.js';
import { readSecretKeys, sleep } from '../rotation/support.js';

const ns = useNamespace('sa-crash');
const dir = mkdtempSync(join(tmpdir(), 'signet-sa-crash-'));
const socket = join(dir, 'signer.sock');
const PUBLISH_AHEAD_MS = 4000;
/** The API server refetches on refresh_hint_seconds (jwks.cacheMaxAgeSeconds, 1 s here); the JWKS is sampled every 200 ms. */
const REFRESH_AND_SAMPLING_MS = 1000 + 500;
let op: RunningOperator | undefined;
let api: SignerApiServer | undefined;
let trap: WriteTrap | undefined;

afterAll(async () => {
  await api?.stop();
  await op?.stop();
  await trap?.close();
});

interface Seen {
  /** kid → when the API server's JWKS first listed it, and when it was last sampled without it. */
  firstServed: Map<string, number>;
  tokens: Array<{ token: string; kid: string; sentAt: number }>;
  violations: string[];
}

/** Samples /openid/v1/jwks every 200 ms and asks for a token every 300 ms until stopped. */
function watch(server: SignerApiServer, namespace: string): { seen: Seen; stop: () => Promise<void> } {
  const seen: Seen = { firstServed: new Map(), tokens: [], violations: [] };
  let running = true;
  let last: string[] = [];
  const jwks = (async () => {
    while (running) {
      const kids = await server.jwks().then((j) => j.keys.map((k) => k.kid ?? ''), () => undefined);
      const now = Date.now();
      if (kids) {
        for (const kid of kids) if (!seen.firstServed.has(kid)) seen.firstServed.set(kid, now);
        for (const gone of last.filter((k) => !kids.includes(k))) seen.violations.push(`${now}: kid ${gone} left /openid/v1/jwks (retainFor is 10m)`);
        last = kids;
      }
      await sleep(200);
    }
  })();
  const tokens = (async () => {
    while (running) {
      const sentAt = Date.now();
      const got = await server.tokenRequest(namespace, 'app', 600).catch(() => undefined);
      if (got?.token) seen.tokens.push({ token: got.token, kid: decodeJwt(got.token).header.kid ?? '', sentAt });
      await sleep(300);
    }
  })();
  return { seen, stop: async () => { running = false; await Promise.all([jwks, tokens]); } };
}

it('a crash just before or after each write of a rotation: every token the kube-apiserver issued still passes, no key signed before it was published, issuance resumes', async () => {
  const issuer = `https://sa-crash.signet.test/${ns.name}`;
  await installCrd();
  await clients().core.createNamespacedServiceAccount({ namespace: ns.name, body: { metadata: { name: 'app' } } });
  trap = await startWriteTrap();
  const start = (): Promise<RunningOperator> => startOperator(['--namespace', ns.name, '--kubeconfig', trap!.kubeconfig,
    '--service-account-signer-socket', socket, '--service-account-issuer', `${ns.name}/cluster-issuer`, '--service-account-signer-state-file', join(dir, 'state.json')],
  { onSpawn: (spawned) => { op = spawned; } });
  op = await start();
  await createAuthServer(ns.name, 'cluster-issuer', {
    issuerURI: issuer,
    tokenSignature: { signAndVerifyKeyRef: { name: 'cluster-issuer-key' }, keyGeneration: { algorithm: 'ES256' }, rotation: { period: '14s', publishAhead: `${PUBLISH_AHEAD_MS / 1000}s`, retainFor: '10m' } },
    signing: { maxTokenLifetime: '10m' },
    jwks: { cacheMaxAgeSeconds: 1 },
  });
  await waitForStatus(ns.name, 'cluster-issuer', isReady, 'Ready');
  api = await startSignerApiServer({ issuer, mode: { socket } });
  const w = watch(api, ns.name);
  const landed: string[] = [];
  try {
    // The retired key's drop comes only after retainFor (10m): the four writes before it.
    for (const step of rotationWrites(ns.name, 'cluster-issuer', 'cluster-issuer-key').slice(0, 4)) {
      for (const moment of ['before', 'after'] as TrapMoment[]) {
        const { matches, applied } = await step.prepare();
        const caught = trap.arm(matches, moment);
        if (!op) op = await start();
        expect(await Promise.race([caught, sleep(40_000).then(() => undefined)])).toMatchObject({ method: expect.stringMatching(/^P/) });
        await op.kill();
        op = undefined;
        const effect = await applied();
        landed.push(`${step.name} ${moment}: ${effect ? 'applied' : 'not applied'}`);
        process.stderr.write(`  sa-signer: killed ${moment} "${step.name}" (the write was ${effect ? '' : 'not '}applied)\n`);
        expect(effect).toBe(moment === 'after');
        expect((await readSecretKeys(ns.name, 'cluster-issuer-key'))?.active).toMatch(/^[\w-]{43}$/);
      }
    }
    const restartedAt = Date.now();
    op = await start();
    // Issuance resumes, and the timeline goes on: the key the crashes promoted signs, then the one after it.
    await eventually(() => w.seen.tokens.some((t) => t.sentAt > restartedAt) && new Set(w.seen.tokens.map((t) => t.kid)).size >= 3,
      { what: 'tokens from the key the crashes promoted and from the next rotation', timeoutMs: 90_000, intervalMs: 200 });
  } finally {
    await w.stop();
  }
  expect(landed).toHaveLength(8);
  expect(w.seen.violations).toEqual([]);

  // Each key after the first: how long the API server had listed it before the first token it signed was asked for.
  const signers = [...new Set(w.seen.tokens.map((t) => t.kid))];
  expect(signers.length).toBeGreaterThanOrEqual(3);
  const margins = signers.slice(1).map((kid) => {
    const firstToken = Math.min(...w.seen.tokens.filter((t) => t.kid === kid).map((t) => t.sentAt));
    return { kid, publishedBeforeMs: firstToken - (w.seen.firstServed.get(kid) ?? Infinity) };
  });
  process.stderr.write(`  sa-signer: each new key listed by the kube-apiserver ${margins.map((m) => `${m.publishedBeforeMs} ms`).join(', ')} before its first token (publishAhead ${PUBLISH_AHEAD_MS} ms)\n`);
  expect(margins.filter((m) => !(m.publishedBeforeMs >= PUBLISH_AHEAD_MS - REFRESH_AND_SAMPLING_MS))).toEqual([]);

  // Nothing a client holds broke: every token issued on the way still passes.
  const refused: string[] = [];
  for (const t of w.seen.tokens) {
    if (!(await api.tokenReview(t.token)).authenticated) refused.push(`token of kid ${t.kid} asked for at ${t.sentAt}`);
  }
  expect(refused).toEqual([]);
  expect(w.seen.tokens.length).toBeGreaterThan(20);
}, 420_000);
