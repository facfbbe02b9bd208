// The Grafana dashboard (charts/signet/dashboards/signet.json, shipped in a ConfigMap for the
// Grafana sidecar): every query parses as PromQL (promtool checks them as recording rules) and
// selects only metrics Signet exposes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { byKind, chartDir, render } from '../../support/helm.js';
import { exposedMetricNames, promtool, selectedMetrics, substituteGrafanaVariables } from './promql.js';

interface Panel { title: string; type: string; targets?: Array<{ expr: string }>; panels?: Panel[] }
const dashboardText = readFileSync(join(chartDir, 'dashboards/signet.json'), 'utf8');
const dashboard = JSON.parse(dashboardText) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string }> } };
const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

it('has the panels the operator needs: readiness, key ages and transitions, reconciles, queue, JWKS and signing', () => {
  const titles = panels.map((p) => p.title);
  for (const t of ['Readiness by AuthServer', 'Signing key age', 'Time to next transition', 'Reconciles by result', 'Work queue', 'JWKS requests by code', 'Signing latency']) {
    expect(titles).toContain(t);
  }
  expect(panels.every((p) => (p.targets ?? []).length > 0)).toBe(true);
  expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'job']);
});

it('has queries that all parse (promtool check rules, one recording rule per query)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-dashboard-'));
  try {
    const rules = queries.map((q, i) => ({ record: `signet_dashboard:query_${i}`, expr: substituteGrafanaVariables(q.expr) }));
    writeFileSync(join(dir, 'rules.yaml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
    const r = await promtool(['check', 'rules', 'rules.yaml'], dir);
    expect(r.output).toContain(`SUCCESS: ${queries.length} rules found`);
    expect(r.code).toBe(0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it('selects only metrics Signet exposes, each query filtered by the job variable', async () => {
  const exposed = await exposedMetricNames();
  const unknown = queries.flatMap((q) => selectedMetrics(q.expr).filter((m) => !exposed.has(m)).map((m) => `${q.panel}: ${m}`));
  expect(unknown).toEqual([]);
  for (const q of queries) expect(q.expr).toContain('job=~"$job"');
});

it('ships in a ConfigMap with the Grafana sidecar label only when grafanaDashboard.enabled', async () => {
  expect(byKind(await render(), 'ConfigMap')).toEqual([]);
  const objects = await render({ values: { grafanaDashboard: { enabled: true, namespace: 'monitoring' } } });
  const [cm] = byKind(objects, 'ConfigMap') as unknown as Array<{ metadata: { namespace?: string; labels?: Record<string, string> }; data: Record<string, string> }>;
  expect(cm?.metadata.labels?.grafana_dashboard).toBe('1');
  expect(cm?.metadata.namespace).toBe('monitoring');
  expect(JSON.parse(cm?.data['signet.json'] ?? '{}')).toEqual(dashboard);
});
