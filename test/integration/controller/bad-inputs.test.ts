// A dozen broken Secrets applied at once: each AuthServer that references one reports the
// reason and a message naming the Secret and data key, none of them publishes a key, and a
// healthy issuer beside them keeps being served throughout.
import { generateKeyPairSync } from 'node:crypto';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { badKeyCorpus } from '../../support/bad-keys.js';
import { condition, createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';

const c = clients();
const ns = useNamespace('bad-inputs');
const op = useOperator(ns);

it('refuses each bad Secret with its reason while a healthy issuer stays served', async () => {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'healthy-key' }, stringData: { 'key.pem': pem } } });
  await createAuthServer(ns.name, 'healthy', { issuerURI: 'https://healthy.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'healthy-key' } } });
  const healthy = await waitForStatus(ns.name, 'healthy', isReady, 'Ready');
  const expectedKid = healthy.status?.signingKeyID;

  // Twelve cases of different reasons, spread over the corpus.
  const corpus = badKeyCorpus();
  const picked = [...new Map(corpus.map((k) => [`${k.reason}/${k.dataKey}`, k])).values()].slice(0, 12);
  expect(picked.length).toBe(12);
  const cases = picked.map((k, i) => ({ ...k, id: `bad-${i}` }));

  let healthyChecks = 0;
  let served = true;
  const watchHealthy = (async () => {
    while (served) {
      const jwks = await getJwks(op.jwksPort, '/oauth2/jwks', 'healthy.example.com');
      if (jwks.status !== 200 || jwks.keys[0]?.kid !== expectedKid) throw new Error(`healthy issuer answered ${jwks.status} with ${JSON.stringify(jwks.keys.map((k) => k.kid))}`);
      healthyChecks++;
      await new Promise((r) => setImmediate(r));
    }
  })();

  await Promise.all(cases.map(async (k) => {
    await c.core.createNamespacedSecret({
      namespace: ns.name,
      body: { metadata: { name: k.id, annotations: k.annotations ?? {} }, data: Object.fromEntries(Object.entries(k.data).map(([dk, v]) => [dk, v.toString('base64')])) },
    });
    // Verify-only cases are referenced as a verify key beside a good signing key.
    const tokenSignature = k.requirePrivate
      ? { signAndVerifyKeyRef: { name: k.id } }
      : { signAndVerifyKeyRef: { name: 'healthy-key' }, extraVerifyKeyRefs: [{ name: k.id }] };
    await createAuthServer(ns.name, k.id, { issuerURI: `https://${k.id}.example.com`, tokenSignature });
  }));

  for (const k of cases) {
    const type = k.requirePrivate ? 'SignAndVerifyKeyResolved' : 'ExtraVerifyKeysResolved';
    const as = await waitForStatus(ns.name, k.id, (a) => condition(a, type)?.status === 'False', `${k.name}: ${type} False`);
    const cond = condition(as, type)!;
    expect({ name: k.name, reason: cond.reason }).toEqual({ name: k.name, reason: k.reason });
    expect(cond.message).toContain(k.id);
    expect(cond.message).toContain(k.dataKey);
    expect(cond.message).not.toContain('-----BEGIN');
    expect(condition(as, 'Ready')).toMatchObject({ status: 'False', reason: k.reason });
    const jwks = await getJwks(op.jwksPort, '/oauth2/jwks', `${k.id}.example.com`);
    expect(jwks.keys.map((key) => key.kid)).toEqual(k.requirePrivate ? [] : [expectedKid]);
  }

  await eventually(() => healthyChecks > 50, { what: 'healthy issuer polled throughout' });
  served = false;
  await watchHealthy;
  expect(isReady(await waitForStatus(ns.name, 'healthy', () => true, 'status'))).toBe(true);
});
