// /metrics?name[]=…: only the metric families asked for, the registry's and the per-issuer ones
// alike; without it, all of them.
import type { AddressInfo } from 'node:net';
import { createHealthServer } from '../../../src/observability/health.js';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { IssuerMetrics } from '../../../src/observability/issuer-series.js';

const issuer: IssuerMetrics = {
  namespace: 'team', authserver: 'login', ready: true,
  keys: [{ kid: 'a', role: 'SignAndVerify', publishedSince: '2026-12-01T11:00:00Z', state: 'Active', transitionAt: undefined }],
};

async function families(query: string): Promise<string[]> {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.setIssuers(() => [issuer]);
  metrics.queueDepth.set(3);
  const server = createHealthServer({ contentType: metrics.registry.contentType, chunks: (names) => metrics.exposition(names) }, () => ({ ready: true, message: 'ok' }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics${query}`);
    expect(res.status).toBe(200);
    return [...(await res.text()).matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1] as string);
  } finally {
    server.close();
  }
}

it('answers only the families named', async () => {
  expect(await families('?name[]=signet_workqueue_depth&name[]=signet_keys&name[]=no_such_metric')).toEqual(['signet_workqueue_depth', 'signet_keys']);
  expect(await families('?name%5B%5D=signet_reconcile_duration_seconds')).toEqual(['signet_reconcile_duration_seconds']);
});

it('answers every family without a name', async () => {
  const all = await families('');
  expect(all).toEqual(expect.arrayContaining(['signet_workqueue_depth', 'signet_reconcile_duration_seconds', 'signet_keys', 'signet_authserver_ready', 'signet_key_age_seconds']));
  expect(all.length).toBeGreaterThan(10);
});
