// The operator killed half-way through generating keys converges, after a restart, on the same
// state without generating any key a second time.
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, getJwks } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { scrape } from '../../support/metrics.js';

const c = clients();
const ns = useNamespace('restart');
const names = ['k1', 'k2', 'k3', 'k4'];

beforeAll(async () => {
  await installCrd();
});

it('restarts mid-way and converges without a second key', async () => {
  const first = await startOperator(['--namespace', ns.name, '--concurrency', '1']);
  await createAuthServer(ns.name, 'restart', {
    issuerURI: 'https://restart.example.com',
    tokenSignature: { signAndVerifyKeyRef: { name: 'k1' }, extraVerifyKeyRefs: names.slice(1).map((name) => ({ name })), keyGeneration: { rsaKeySize: 4096 } },
  });
  // Crash as soon as the first key exists: the others are still being generated.
  const listGenerated = async () => (await c.core.listNamespacedSecret({ namespace: ns.name, labelSelector: 'signet.dev/authserver=restart' })).items;
  await eventually(async () => (await listGenerated()).length > 0, { what: 'a first generated Secret', intervalMs: 10 });
  await first.kill();
  // What the first operator created before it died: the second must generate exactly the rest.
  const seen = await listGenerated();
  expect(seen.length).toBeLessThan(names.length);

  const second = await startOperator(['--namespace', ns.name]);
  try {
    const as = await waitForStatus(ns.name, 'restart', isReady, 'Ready after restart', 60_000);
    const list = await c.core.listNamespacedSecret({ namespace: ns.name, labelSelector: 'signet.dev/authserver=restart' });
    expect(list.items.map((s) => s.metadata?.name).sort()).toEqual(names);
    // The Secrets created before the crash are the ones served: same uid, same key.
    for (const s of seen) {
      const now = list.items.find((x) => x.metadata?.name === s.metadata?.name);
      expect(now?.metadata?.uid).toBe(s.metadata?.uid);
      expect(now?.data?.['key.pem']).toBe(s.data?.['key.pem']);
    }
    expect(as.status?.keys?.map((k) => k.secretName)).toEqual(names);
    const jwks = await getJwks(second.jwksPort, '/oauth2/jwks', 'restart.example.com');
    expect(jwks.keys.map((k) => k.kid)).toEqual(as.status?.keys?.map((k) => k.kid));
    const text = await scrape(second.metricsPort);
    const generatedBySecond = text.split('\n').filter((l) => l.startsWith('signet_keys_generated_total{')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
    expect(generatedBySecond).toBe(names.length - seen.length);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
