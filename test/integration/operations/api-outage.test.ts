// The API server frozen (SIGSTOP: every call hangs) and restarted on the same etcd, under two
// replicas with leader election (docs/architecture.md#command-line-flags): the leader stops leading within its renew deadline
// although its calls hang, every replica serves every JWKS throughout without one error, and a
// change made after the restart is picked up within 5 s.
// This file runs its own control plane: freezing the shared one would stall every other test file.
import { randomBytes } from 'node:crypto';
import {
  freezeApiServer, restartApiServer, spawnReaper, startControlPlane, stopControlPlane, thawApiServer, type ControlPlane,
} from '../../controlplane/controlplane.js';
import { eventually } from '../../support/eventually.js';
import { clients, installCrd } from '../../support/kube.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import type * as AuthServerHelpers from '../../support/authservers.js';

const LEASE_SECONDS = 4;
const RENEW_DEADLINE_SECONDS = 2;
const ns = `outage-${randomBytes(3).toString('hex')}`;
let cp: ControlPlane | undefined;
let replicas: RunningOperator[] = [];
// Loaded once KUBECONFIG names this file's control plane: the helpers make their client on import.
let helpers: typeof AuthServerHelpers;
let serving: ReturnType<typeof watchServing> | undefined;

const flags = (): string[] => ['--namespace', ns, '--leader-elect', '--leader-elect-namespace', ns,
  '--leader-elect-lease-duration', String(LEASE_SECONDS), '--leader-elect-renew-deadline', String(RENEW_DEADLINE_SECONDS),
  '--leader-elect-retry-period', '0.5'];
const leads = async (r: RunningOperator): Promise<boolean> => metricValue(await scrape(r.metricsPort), 'signet_leader') === 1;
const spec = (name: string) => ({ issuerURI: `https://${name}.example.com`, tokenSignature: { signAndVerifyKeyRef: { name: `${name}-key` }, keyGeneration: { algorithm: 'ES256' as const } } });

/** The JWKS of an AuthServer on the host-independent path, or why not. */
async function jwks(r: RunningOperator, name: string): Promise<{ ok: true; kid: unknown } | { ok: false; why: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${r.jwksPort}/authservers/${ns}/${name}/oauth2/jwks`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return { ok: false, why: `HTTP ${res.status}` };
    const body = (await res.json()) as { keys: Array<{ kid?: unknown }> };
    return { ok: true, kid: body.keys[0]?.kid };
  } catch (err) {
    return { ok: false, why: (err as Error).message };
  }
}

/** Fetches every JWKS from every replica, over and over, and notes each failure and who leads. */
function watchServing(names: string[], expectedKid: Map<string, string>) {
  const failures: string[] = [];
  const leadership: Array<{ at: number; leaders: number }> = [];
  let rounds = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      for (const [i, r] of replicas.entries()) {
        for (const name of names) {
          const got = await jwks(r, name);
          if (!got.ok) failures.push(`${new Date().toISOString()} replica ${i} ${name}: ${got.why}`);
          else if (got.kid !== expectedKid.get(name)) failures.push(`${new Date().toISOString()} replica ${i} ${name}: kid ${String(got.kid)}`);
        }
      }
      const states = await Promise.all(replicas.map((r, i) => leads(r).catch((err: unknown) => {
        failures.push(`${new Date().toISOString()} replica ${i} /metrics: ${(err as Error).message}`);
        return false;
      })));
      leadership.push({ at: Date.now(), leaders: states.filter(Boolean).length });
      rounds++;
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return {
    failures, leadership,
    get rounds() { return rounds; },
    async stop(): Promise<void> {
      stopped = true;
      await loop;
    },
  };
}

const kids = new Map<string, string>();

beforeAll(async () => {
  cp = await startControlPlane();
  spawnReaper(cp, process.pid);
  process.env.KUBECONFIG = cp.kubeconfigPath;
  helpers = await import('../../support/authservers.js');
  await clients().core.createNamespace({ body: { metadata: { name: ns } } });
  await installCrd();
  replicas = [await startOperator(flags()), await startOperator(flags())];
  await helpers.createAuthServer(ns, 'before', spec('before'));
  const as = await helpers.waitForStatus(ns, 'before', helpers.isReady, 'Ready');
  kids.set('before', as.status?.signingKeyID ?? '');
  for (const r of replicas) {
    await eventually(async () => {
      const got = await jwks(r, 'before');
      return got.ok && got.kid === kids.get('before');
    }, { what: 'every replica serves the key' });
  }
}, 180_000);

afterEach(async () => {
  await serving?.stop();
  serving = undefined;
});

afterAll(async () => {
  if (cp) thawApiServer(cp);
  await Promise.all(replicas.map((r) => r.stop()));
  if (cp) await stopControlPlane(cp, { removeData: true });
});

it('steps the leader down within the renew deadline while every call hangs, and serves throughout', async () => {
  const controlPlane = cp!;
  const leader = await eventually(async () => {
    const states = await Promise.all(replicas.map(leads));
    return states.filter(Boolean).length === 1 ? replicas[states.indexOf(true)] : undefined;
  }, { what: 'exactly one leader', timeoutMs: (LEASE_SECONDS + 5) * 1000 });

  const run = watchServing(['before'], kids);
  serving = run;
  const frozenAt = Date.now();
  freezeApiServer(controlPlane);
  let stepDownMs: number;
  try {
    await eventually(async () => !(await leads(leader)), { what: 'the leader steps down', timeoutMs: RENEW_DEADLINE_SECONDS * 1000 + 5000, intervalMs: 20 });
    stepDownMs = Date.now() - frozenAt;
    // Stay frozen past a whole lease: nobody may lead while nothing can be renewed.
    await eventually(() => run.leadership.some((s) => s.at > frozenAt + (LEASE_SECONDS + 1) * 1000), { what: 'a lease duration frozen', timeoutMs: 30_000 });
  } finally {
    thawApiServer(controlPlane);
  }
  process.stderr.write(`  leader step-down with the API server frozen: ${stepDownMs} ms (renew deadline ${RENEW_DEADLINE_SECONDS} s)\n`);
  expect(stepDownMs).toBeLessThanOrEqual(RENEW_DEADLINE_SECONDS * 1000 + 300);
  expect(leader.logs.some((l) => l.includes('"stopped leading"'))).toBe(true);
  const frozenSamples = run.leadership.filter((s) => s.at > frozenAt + stepDownMs + 100 && s.at < frozenAt + LEASE_SECONDS * 1000);
  expect(frozenSamples.length).toBeGreaterThan(0);
  expect(frozenSamples.every((s) => s.leaders === 0)).toBe(true);

  // Thawed: one replica leads again, and serving never failed.
  await eventually(async () => (await Promise.all(replicas.map(leads))).filter(Boolean).length === 1, { what: 'a leader again', timeoutMs: (LEASE_SECONDS + 5) * 1000 });
  await run.stop();
  expect(run.failures).toEqual([]);
  expect(run.rounds).toBeGreaterThan(20);
});

it('serves through an API server restart on the same etcd and picks up a change made after it within 5 s', async () => {
  const controlPlane = cp!;
  const run = watchServing(['before'], kids);
  serving = run;
  const t0 = Date.now();
  let stoppedAt = 0;
  // A short grace (kube-apiserver drains for 10 s and more, which only makes this test slower),
  // then down long enough for retries to back off: the informers must still be back at once.
  await restartApiServer(controlPlane, { graceMs: 2000, downMs: 6000, onStopped: () => { stoppedAt = Date.now(); } });
  process.stderr.write(`  kube-apiserver restart: down after ${stoppedAt - t0} ms, ready again after ${Date.now() - t0} ms\n`);

  const changedAt = await eventually(async () => {
    try {
      await helpers.createAuthServer(ns, 'after', spec('after'));
    } catch (err) {
      // A create that went through although its answer was lost.
      if ((err as { code?: number }).code !== 409) throw err;
    }
    return Date.now();
  }, { what: 'create an AuthServer after the restart', timeoutMs: 10_000 });
  const pickedUp: number[] = [];
  const servedKids: unknown[] = [];
  for (const r of replicas) {
    await eventually(async () => {
      const got = await jwks(r, 'after');
      return got.ok && got.kid !== undefined;
    }, { what: 'the new AuthServer\'s key served', timeoutMs: 15_000, intervalMs: 20 });
    pickedUp.push(Date.now() - changedAt);
    servedKids.push(((await jwks(r, 'after')) as { kid: unknown }).kid);
  }
  process.stderr.write(`  change after the restart served by every replica after: ${pickedUp.join(', ')} ms\n`);
  expect(Math.max(...pickedUp)).toBeLessThan(5000);
  const after = await helpers.waitForStatus(ns, 'after', helpers.isReady, 'Ready after the restart');
  expect(servedKids).toEqual([after.status?.signingKeyID, after.status?.signingKeyID]);

  await run.stop();
  expect(run.failures).toEqual([]);
  expect(run.rounds).toBeGreaterThan(10);
  // The restart broke the watches, and the informers restarted them (signet_watch_restarts_total).
  for (const r of replicas) {
    const text = await scrape(r.metricsPort);
    const restarts = text.split('\n').filter((l) => l.startsWith('signet_watch_restarts_total{') && l.includes('resource="authservers"'));
    expect(restarts.reduce((n, l) => n + Number(l.split(' ').pop()), 0)).toBeGreaterThan(0);
  }
});
