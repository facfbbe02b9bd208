// The operator killed half-way through generating keys converges, after a restart, on the same
// state without generating any key a second time.
import { clients, installCrd, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { startOperator, getJwks } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus, events } from '../../support/authservers.js';

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
  const seen = await eventually(async () => {
    const list = await c.core.listNamespacedSecret({ namespace: ns.name, labelSelector: 'signet.dev/authserver=restart' });
    return list.items.length > 0 ? list.items : undefined;
  }, { what: 'a first generated Secret', intervalMs: 10 });
  await first.kill();

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
    const generated = (await events(ns.name, 'restart')).filter((e) => e.reason === 'KeyGenerated');
    expect(generated.length).toBeLessThanOrEqual(names.length);
  } finally {
    expect(await second.stop()).toBe(0);
  }
});
