// After a reconcile, /metrics exposes the series a platform team alerts on, with the values the
// operator's state implies (watch restarts are proven where a restart happens: api-outage.test.ts).
import { useNamespace } from '../../support/kube.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { metricValue, scrape } from '../../support/metrics.js';

const ns = useNamespace('metrics');
const op = useOperator(ns);

/** The sum of every sample of a metric, whatever its labels. */
function total(text: string, name: string): number {
  return text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `)).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

it('exposes reconciles, queue, keys, key age, generation, requests and leadership with their true values', async () => {
  const created = Date.now();
  await createAuthServer(ns.name, 'm', { issuerURI: 'https://m.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'm-key' }, extraVerifyKeyRefs: [{ name: 'm-old' }], keyGeneration: { algorithm: 'ES256' } } });
  const as = await waitForStatus(ns.name, 'm', isReady, 'Ready');

  const before = await scrape(op.metricsPort);
  for (let i = 0; i < 3; i++) expect((await getJwks(op.jwksPort, '/oauth2/jwks', 'm.example.com')).status).toBe(200);
  for (let i = 0; i < 2; i++) expect((await getJwks(op.jwksPort, '/nope/oauth2/jwks', 'm.example.com')).status).toBe(404);

  const text = await scrape(op.metricsPort);
  const labels = { namespace: ns.name, authserver: 'm' };
  const requests = (t: string, code: string): number => metricValue(t, 'signet_jwks_requests_total', { code }) ?? 0;
  expect(requests(text, '200') - requests(before, '200')).toBe(3);
  expect(requests(text, '404') - requests(before, '404')).toBe(2);

  expect(metricValue(text, 'signet_reconciles_total', { result: 'success' })).toBeGreaterThan(0);
  // One duration sample per reconcile, whatever its result.
  expect(metricValue(text, 'signet_reconcile_duration_seconds_count')).toBe(total(text, 'signet_reconciles_total'));
  expect(metricValue(text, 'signet_workqueue_depth')).toBe(0);
  // Nothing failed, so nothing was retried.
  expect(metricValue(text, 'signet_workqueue_retries_total')).toBe(0);
  expect(metricValue(text, 'signet_keys', { ...labels, role: 'SignAndVerify' })).toBe(1);
  expect(metricValue(text, 'signet_keys', { ...labels, role: 'VerifyOnly' })).toBe(1);
  expect(metricValue(text, 'signet_keys_generated_total', { algorithm: 'ES256' })).toBe(2);
  expect(metricValue(text, 'signet_leader')).toBe(1);

  // Key age: one series per served key, named by its kid, counting from its publication.
  const sinceCreate = (Date.now() - created) / 1000;
  const signing = as.status?.keys?.find((k) => k.role === 'SignAndVerify');
  expect(signing?.kid).toEqual(expect.any(String));
  const age = metricValue(text, 'signet_key_age_seconds', { ...labels, kid: signing?.kid ?? '', role: 'SignAndVerify' });
  expect(age).toBeGreaterThanOrEqual(0);
  expect(age).toBeLessThanOrEqual(sinceCreate + 1);
  expect(text.split('\n').filter((l) => l.startsWith('signet_key_age_seconds{') && l.includes(`authserver="m"`))).toHaveLength(2);
});
