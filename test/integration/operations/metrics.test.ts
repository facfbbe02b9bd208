// After a reconcile, /metrics exposes the series a platform team alerts on.
import { useNamespace } from '../../support/kube.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { metricValue, scrape } from '../../support/metrics.js';

const ns = useNamespace('metrics');
const op = useOperator(ns);

it('exposes reconciles, queue, keys, key age, generation, requests, leadership and watch restarts', async () => {
  await createAuthServer(ns.name, 'm', { issuerURI: 'https://m.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'm-key' }, extraVerifyKeyRefs: [{ name: 'm-old' }], keyGeneration: { algorithm: 'ES256' } } });
  await waitForStatus(ns.name, 'm', isReady, 'Ready');
  expect((await getJwks(op.jwksPort, '/oauth2/jwks', 'm.example.com')).status).toBe(200);
  expect((await getJwks(op.jwksPort, '/nope/oauth2/jwks', 'm.example.com')).status).toBe(404);

  const text = await scrape(op.metricsPort);
  const labels = { namespace: ns.name, authserver: 'm' };
  expect(metricValue(text, 'signet_reconciles_total', { result: 'success' })).toBeGreaterThan(0);
  expect(metricValue(text, 'signet_reconcile_duration_seconds_count')).toBeGreaterThan(0);
  expect(metricValue(text, 'signet_workqueue_depth')).toBe(0);
  expect(metricValue(text, 'signet_workqueue_retries_total')).toBeDefined();
  expect(metricValue(text, 'signet_keys', { ...labels, role: 'SignAndVerify' })).toBe(1);
  expect(metricValue(text, 'signet_keys', { ...labels, role: 'VerifyOnly' })).toBe(1);
  expect(metricValue(text, 'signet_key_age_seconds', { ...labels, role: 'SignAndVerify' })).toBeGreaterThanOrEqual(0);
  expect(metricValue(text, 'signet_keys_generated_total', { algorithm: 'ES256' })).toBe(2);
  expect(metricValue(text, 'signet_jwks_requests_total', { code: '200' })).toBeGreaterThanOrEqual(1);
  expect(metricValue(text, 'signet_jwks_requests_total', { code: '404' })).toBeGreaterThanOrEqual(1);
  expect(metricValue(text, 'signet_leader')).toBe(1);
  expect(text).toContain('# TYPE signet_watch_restarts_total counter');
});
