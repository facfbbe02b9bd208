// signet_rotations_total has a series for every kind from the start: an alert on
// increase(signet_rotations_total[...]) sees 0, not "no data", before the first rotation.
import { createMetrics } from '../../../src/observability/metrics.js';

it('exposes every rotation kind at 0 before any rotation, and counts from there', async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const text = await metrics.registry.metrics();
  for (const kind of ['scheduled', 'manual', 'emergency']) expect(text).toContain(`signet_rotations_total{kind="${kind}"} 0`);
  metrics.rotations.inc({ kind: 'manual' });
  expect(await metrics.registry.metrics()).toContain('signet_rotations_total{kind="manual"} 1');
});
