// A scheduled rotation on a short schedule (period 8 s, publishAhead 3 s, retainFor 4 s), watched
// as a workload and a verifier see it: the Secret's key.pem is always the key that signs, the JWKS
// goes through each phase in the order of docs/architecture.md#rotation, and a token signed with key.pem at any moment
// verifies with jose's createRemoteJWKSet (caching for the max-age) at any later moment of its
// retention, right after each transition included.
import { useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { useOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForEvent, waitForStatus } from '../../support/authservers.js';
import { jwksPath, readSecretKeys, remoteVerifier, servedKids, signWith, sleep, statusOf } from './support.js';

const ns = useNamespace('rot-sched');
const op = useOperator(ns);
const ISSUER = 'https://sched.example.com/r';
const PUBLISH_AHEAD_MS = 3000;
const RETAIN_MS = 4000;

it('rotates on schedule with pre-publication and retention, and no token signed with key.pem ever fails to verify', async () => {
  await createAuthServer(ns.name, 'sched', {
    issuerURI: ISSUER,
    tokenSignature: { signAndVerifyKeyRef: { name: 'sched-key' }, keyGeneration: { algorithm: 'ES256' }, rotation: { period: '8s', publishAhead: '3s', retainFor: '4s' } },
    jwks: { cacheMaxAgeSeconds: 1 },
  });
  await waitForStatus(ns.name, 'sched', isReady, 'Ready');
  const path = jwksPath(ns.name, 'sched');
  const verifiers = [
    { name: 'refetching on an unknown kid', verify: remoteVerifier(op.jwksPort, path, 1000, ISSUER) },
    { name: 'caching for the max-age', verify: remoteVerifier(op.jwksPort, path, 1000, ISSUER, 1000) },
  ];

  const firstServed = new Map<string, number>();
  const firstSigned = new Map<string, number>();
  const phases: string[] = [];
  const tokens: Array<{ token: string; at: number; kid: string }> = [];
  const failures: string[] = [];
  const start = Date.now();
  // Two promotions: the first at about 8 s, the second at about 16 s.
  while (Date.now() - start < 17_500) {
    const keys = await readSecretKeys(ns.name, 'sched-key');
    const served = await servedKids(op.jwksPort, path);
    const now = Date.now();
    for (const kid of served) if (!firstServed.has(kid)) firstServed.set(kid, now);
    if (keys) {
      if (!firstSigned.has(keys.active)) firstSigned.set(keys.active, now);
      // key.pem is a served key at every moment (the JWKS was read after the Secret).
      if (!served.includes(keys.active)) failures.push(`${now - start} ms: key.pem kid ${keys.active} not in the JWKS ${served.join(',')}`);
      const phase = served.map((k) => (k === keys.active ? 'active' : k === keys.next ? 'next' : 'retired')).join(',');
      // A sample taken across a transition (Secret read before it, JWKS after) is no phase.
      const unchanged = (await readSecretKeys(ns.name, 'sched-key'))?.resourceVersion === keys.resourceVersion;
      if (unchanged && served[0] === keys.active && phases.at(-1) !== phase) phases.push(phase);
      tokens.push({ token: await signWith(keys, 'ES256', ISSUER), at: now, kid: keys.active });
    }
    // Every token still within retainFor of its signing verifies now.
    for (const t of tokens.filter((x) => now - x.at < RETAIN_MS)) {
      for (const v of verifiers) {
        await v.verify(t.token).catch((err: Error) => failures.push(`${now - start} ms: token of kid ${t.kid} signed ${now - t.at} ms ago, verifier ${v.name}: ${err.message}`));
      }
    }
    await sleep(150);
  }
  expect(failures).toEqual([]);
  // The phases of docs/architecture.md#rotation: active; active + next; new active + retired; then (retainFor 4 s
  // reaching into the next rotation) new active + next + retired; and always in that order.
  expect(phases.slice(0, 4)).toEqual(['active', 'active,next', 'active,retired', 'active,next,retired']);
  for (const phase of phases) expect(phase).toMatch(/^active(,next)?(,retired)?$/);
  // No key signed before it was served for publishAhead (less the 150 ms sampling step).
  const kids = [...firstSigned.keys()];
  expect(kids.length).toBeGreaterThanOrEqual(3);
  for (const kid of kids.slice(1)) expect(firstSigned.get(kid)! - firstServed.get(kid)!).toBeGreaterThanOrEqual(PUBLISH_AHEAD_MS - 300);

  const status = await statusOf(ns.name, 'sched');
  expect(status?.nextRotationTime).toBeDefined();
  expect(status?.keys?.[0]).toMatchObject({ state: 'Active', kid: (await readSecretKeys(ns.name, 'sched-key'))?.active });
  await waitForEvent(ns.name, 'sched', 'NextKeyPublished');
  await waitForEvent(ns.name, 'sched', 'KeyRetired');
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${op.metricsPort}/metrics`);
    const text = await res.text();
    return /signet_rotations_total\{kind="scheduled"\} [2-9]/.test(text) && /signet_key_transition_timestamp_seconds\{[^}]*state="Active"/.test(text);
  }, { what: 'rotation metrics' });
});

it('each transition happens within a second of the time status announced for it', async () => {
  // nextRotationTime announces the next transition; the Secret shows it happen.
  const status = await statusOf(ns.name, 'sched');
  const due = Date.parse(status?.nextRotationTime ?? '');
  const before = await readSecretKeys(ns.name, 'sched-key');
  const changed = await eventually(async () => {
    const keys = await readSecretKeys(ns.name, 'sched-key');
    return keys && keys.resourceVersion !== before?.resourceVersion ? Date.now() : undefined;
  }, { what: 'the next transition', timeoutMs: 15_000, intervalMs: 20 });
  expect(changed - due).toBeLessThan(1000);
  expect(changed - due).toBeGreaterThan(-50);
});
