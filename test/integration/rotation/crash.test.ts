// The operator SIGKILLed just before and just after each write of a rotation, and started again:
// the invariants of docs/architecture.md#rotation hold over the whole run, watched from outside (Secret, status,
// JWKS): no key signs before it was served for publishAhead, no key leaves the JWKS before its
// retiresAt, never more than one next key, and the timeline resumes. The operator talks to the API
// server through a proxy that holds the write of each step (write-trap.ts): "before" is a write
// the API server never got, "after" one it applied whose answer the operator never saw, and each
// kill is checked to have landed on the side it names.
import { useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { installCrd } from '../../support/kube.js';
import { startWriteTrap, type TrapMoment } from '../../support/write-trap.js';
import { rotationWrites } from './steps.js';
import { jwksPath, readSecretKeys, servedKids, sleep, statusOf } from './support.js';

const ns = useNamespace('rot-crash');
const PUBLISH_AHEAD_MS = 3000;

interface Watched {
  firstServed: Map<string, number>;
  /** When the JWKS was last sampled without the kid: it was first served after this. */
  servedAfter: Map<string, number>;
  firstSigning: Map<string, number>;
  retiresAt: Map<string, number>;
  violations: string[];
  promotions: number;
}

/** Samples Secret, status and the JWKS of whichever operator runs, every 100 ms, checking the invariants. */
function watch(current: () => RunningOperator | undefined, path: string): { data: Watched; stop: () => Promise<void> } {
  const data: Watched = { firstServed: new Map(), servedAfter: new Map(), firstSigning: new Map(), retiresAt: new Map(), violations: [], promotions: 0 };
  let running = true;
  let lastServed: string[] = [];
  let lastSampledAt = 0;
  const loop = (async () => {
    while (running) {
      const op = current();
      const keys = await readSecretKeys(ns.name, 'crash-key');
      const status = await statusOf(ns.name, 'crash').catch(() => undefined);
      const served = op && op.process.exitCode === null && op.process.signalCode === null ? await servedKids(op.jwksPort, path) : undefined;
      const now = Date.now();
      for (const k of status?.retiredKeys ?? []) data.retiresAt.set(k.kid, Date.parse(k.retiresAt));
      if ((status?.keys ?? []).filter((k) => k.state === 'Next').length > 1) data.violations.push(`${now}: two next keys in status`);
      if (keys && !data.firstSigning.has(keys.active)) {
        data.firstSigning.set(keys.active, now);
        if (data.firstSigning.size > 1) data.promotions++;
      }
      if (served && served.length > 0) {
        for (const kid of served) {
          if (data.firstServed.has(kid)) continue;
          data.firstServed.set(kid, now);
          data.servedAfter.set(kid, lastSampledAt);
        }
        for (const kid of lastServed.filter((k) => !served.includes(k))) {
          const due = data.retiresAt.get(kid);
          // A key may leave only at its retiresAt (the sample before it may be 100 ms late).
          if (due === undefined || now < due - 50) data.violations.push(`${now}: kid ${kid} left the JWKS before its retiresAt ${due ?? '(never retired)'}`);
        }
        lastServed = served;
        lastSampledAt = now;
      }
      await sleep(100);
    }
  })();
  return { data, stop: async () => { running = false; await loop; } };
}

it('a crash just before or after each write of a rotation leaves the invariants intact and the timeline resumes', async () => {
  await installCrd();
  const trap = await startWriteTrap();
  // The watcher samples the new operator from its spawn, not from its first ready answer: it serves
  // (and so publishes a next key) before /readyz turns 200.
  let op: RunningOperator | undefined;
  const start = () => startOperator(['--namespace', ns.name, '--kubeconfig', trap.kubeconfig], { onSpawn: (spawned) => { op = spawned; } });
  op = await start();
  await createAuthServer(ns.name, 'crash', {
    issuerURI: 'https://crash.example.com',
    tokenSignature: { signAndVerifyKeyRef: { name: 'crash-key' }, keyGeneration: { algorithm: 'ES256' }, rotation: { period: '6s', publishAhead: '3s', retainFor: '4s' } },
    jwks: { cacheMaxAgeSeconds: 1 },
  });
  await waitForStatus(ns.name, 'crash', isReady, 'Ready');
  const w = watch(() => op, jwksPath(ns.name, 'crash'));
  const landed: string[] = [];
  try {
    for (const step of rotationWrites(ns.name, 'crash', 'crash-key')) {
      for (const moment of ['before', 'after'] as TrapMoment[]) {
        // Armed before the operator that will send the write runs (or while it runs, for the first).
        const { matches, applied } = await step.prepare();
        const caught = trap.arm(matches, moment);
        if (!op) op = await start();
        const timeout = sleep(25_000).then(() => undefined);
        expect(await Promise.race([caught, timeout])).toBeDefined();
        await op.kill();
        op = undefined;
        const effect = await applied();
        landed.push(`${step.name} ${moment}: ${effect ? 'applied' : 'not applied'}`);
        process.stderr.write(`  killed ${moment} "${step.name}" (the write was ${effect ? '' : 'not '}applied)\n`);
        expect(effect).toBe(moment === 'after');
        expect((await readSecretKeys(ns.name, 'crash-key'))?.active).toBeDefined();
      }
    }
    op = await start();
    // The timeline resumes: two more promotions after the last crash.
    const promotionsBefore = w.data.promotions;
    await eventually(() => w.data.promotions >= promotionsBefore + 2, { what: 'two promotions after the crashes', timeoutMs: 30_000, intervalMs: 100 });
  } finally {
    await w.stop();
    await op?.stop();
    await trap.close();
  }
  expect(landed).toHaveLength(10);
  expect(w.data.violations).toEqual([]);
  const signers = [...w.data.firstSigning.keys()].slice(1);
  // The rotation the crashes interrupted, and two after it.
  expect(signers.length).toBeGreaterThanOrEqual(3);
  // Sampling is coarse under load (three API reads a round), so a key is known to be served only
  // between the last round without it and the first round with it: a violation is a key that
  // signed less than publishAhead after even the earlier of the two.
  const early = signers.flatMap((kid) => {
    const servedFor = w.data.firstSigning.get(kid)! - (w.data.servedAfter.get(kid) ?? Infinity);
    return servedFor >= PUBLISH_AHEAD_MS - 250 ? [] : [`kid ${kid} signed ${servedFor} ms after the last JWKS sample without it`];
  });
  expect(early).toEqual([]);
}, 300_000);
