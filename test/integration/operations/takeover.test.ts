// What a new leader runs when it takes over (docs/architecture.md#leader-election): the writes its
// reconciles held back as a follower, and nothing else. An AuthServer created while the leader
// hangs gets its key from the new leader; one that the follower found settled is not reconciled
// again, which at 10,000 AuthServers is the difference between a quiet takeover and 10,000
// reconciles beside the JWKS load.
import { eventually } from '../../support/eventually.js';
import { installCrd, useNamespace } from '../../support/kube.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, events, isReady, waitForStatus } from '../../support/authservers.js';

const ns = useNamespace('takeover');
const LEASE_SECONDS = 6;
const replicas: RunningOperator[] = [];

beforeAll(async () => {
  await installCrd();
});
afterAll(async () => {
  await Promise.all(replicas.map((r) => r.kill()));
});

const flags = (): string[] => ['--namespace', ns.name, '--leader-elect', '--leader-elect-namespace', ns.name,
  '--leader-elect-lease-duration', String(LEASE_SECONDS), '--leader-elect-renew-deadline', '4', '--leader-elect-retry-period', '0.5'];
const leads = async (r: RunningOperator): Promise<boolean> => metricValue(await scrape(r.metricsPort), 'signet_leader') === 1;
const spec = (name: string) => ({ issuerURI: `https://${name}.example.com`, tokenSignature: { signAndVerifyKeyRef: { name: `${name}-key` }, keyGeneration: { algorithm: 'ES256' as const } } });

/** The AuthServers this replica reconciled after its log says it became leader. */
function reconciledAfterTakeover(r: RunningOperator): string[] {
  const lines = r.logs.flatMap((l) => {
    try {
      return [JSON.parse(l) as { message?: string; authserver?: string }];
    } catch {
      return [];
    }
  });
  const from = lines.findIndex((l) => l.message === 'became leader');
  return from < 0 ? [] : lines.slice(from).filter((l) => l.message === 'reconciled').map((l) => l.authserver ?? '');
}

it('a new leader performs the writes its follower reconciles held back, and reconciles nothing that was settled', async () => {
  const old = await startOperator(flags());
  replicas.push(old);
  await eventually(() => leads(old), { what: 'the first replica leads' });
  await createAuthServer(ns.name, 'settled', spec('settled'));
  const settled = await waitForStatus(ns.name, 'settled', isReady, 'Ready under the first leader');

  const next = await startOperator(flags());
  replicas.push(next);
  expect(await leads(next)).toBe(false);
  await eventually(async () => (await fetch(`http://127.0.0.1:${next.jwksPort}/authservers/${ns.name}/settled/oauth2/jwks`)).status === 200, { what: 'the follower serves the settled AuthServer' });

  // The leader hangs (no renewal, no write) while an AuthServer is created: the follower reconciles
  // it and must hold its key generation back.
  old.process.kill('SIGSTOP');
  await createAuthServer(ns.name, 'late', spec('late'));
  await eventually(() => next.logs.some((l) => l.includes('"reconciled"') && l.includes(`${ns.name}/late`)), { what: 'the follower reconciles the new AuthServer' });

  await eventually(() => leads(next), { what: 'the follower takes over once the Lease expires', timeoutMs: (LEASE_SECONDS + 5) * 1000, intervalMs: 100 });
  const late = await waitForStatus(ns.name, 'late', isReady, 'Ready under the new leader');
  expect(late.status?.signingKeyID).toEqual(expect.any(String));
  expect((await events(ns.name, 'late')).filter((e) => e.reason === 'KeyGenerated')).toHaveLength(1);

  // Held back as a follower: its first reconcile came before the takeover.
  const firstLate = next.logs.findIndex((l) => l.includes('"reconciled"') && l.includes(`${ns.name}/late`));
  expect(firstLate).toBeLessThan(next.logs.findIndex((l) => l.includes('"became leader"')));
  const after = reconciledAfterTakeover(next);
  expect(after).toContain(`${ns.name}/late`);
  expect(after).not.toContain(`${ns.name}/settled`);
  // Still served, and still Ready with the same key.
  expect((await waitForStatus(ns.name, 'settled', isReady, 'still Ready')).status?.signingKeyID).toBe(settled.status?.signingKeyID);
  expect((await fetch(`http://127.0.0.1:${next.jwksPort}/authservers/${ns.name}/settled/oauth2/jwks`)).status).toBe(200);
});
