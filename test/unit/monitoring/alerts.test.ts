// The chart's PrometheusRule (charts/signet/templates/prometheusrule.yaml), checked with Prometheus'
// own tools: `promtool check rules` on the rendered rules, and `promtool test rules` with the
// synthetic series of alerts-test.yaml, which say when each alert fires and when it must not.
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { byKind, render, type K8sObject } from '../../support/helm.js';
import { exposedMetricNames, promtool, selectedMetrics } from './promql.js';

const here = dirname(fileURLToPath(import.meta.url));
type Rule = { alert?: string; record?: string; expr: string };
type RuleSpec = { groups: Array<{ name: string; rules: Rule[] }> };

let dir: string;
let rule: K8sObject & { spec: RuleSpec };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'signet-alerts-'));
  const objects = await render({ release: 'signet', namespace: 'signet-system', values: { prometheusRule: { enabled: true } } });
  const [found] = byKind(objects, 'PrometheusRule') as Array<K8sObject & { spec: RuleSpec }>;
  if (!found) throw new Error('prometheusRule.enabled rendered no PrometheusRule');
  rule = found;
  writeFileSync(join(dir, 'rules.yaml'), stringify(rule?.spec));
  copyFileSync(join(here, 'alerts-test.yaml'), join(dir, 'alerts-test.yaml'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('renders a PrometheusRule only when prometheusRule.enabled', async () => {
  expect(byKind(await render(), 'PrometheusRule')).toEqual([]);
  expect(rule.metadata.name).toBe('signet');
  expect(rule.spec.groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual([
    'SignetAuthServerNotReady', 'SignetSigningKeyTooOld', 'SignetNextKeyNotActivated', 'SignetNoLeader', 'SignetJwksErrors', 'SignetJwksNotFound', 'SignetWatchRestarts',
    'SignetServiceAccountSignerNotCalled',
    'SignetTlsCertificateExpiresSoon',
  ]);
});

it('passes promtool check rules', async () => {
  const r = await promtool(['check', 'rules', 'rules.yaml'], dir);
  expect(r.output).toContain('SUCCESS: 9 rules found');
  expect(r.code).toBe(0);
});

it('passes promtool test rules: each alert fires on its synthetic series, when due, and only then', async () => {
  const r = await promtool(['test', 'rules', 'alerts-test.yaml'], dir);
  process.stdout.write(`promtool test rules alerts-test.yaml:\n${r.output}`);
  expect(r.output).toContain('SUCCESS');
  expect(r.code).toBe(0);
});

it('selects only metrics Signet exposes', async () => {
  const exposed = await exposedMetricNames();
  const used = rule.spec.groups.flatMap((g) => g.rules.flatMap((r) => selectedMetrics(r.expr)));
  expect(used.length).toBeGreaterThan(6);
  expect(used.filter((m) => !exposed.has(m))).toEqual([]);
});

it('honours prometheusRule.selector and alertLabels', async () => {
  const objects = await render({ values: { prometheusRule: { enabled: true, selector: 'namespace="signet",service="signet-metrics"', alertLabels: { team: 'platform' } } } });
  const [custom] = byKind(objects, 'PrometheusRule') as Array<K8sObject & { spec: RuleSpec }>;
  for (const r of custom?.spec.groups[0]?.rules ?? []) {
    expect(r.expr).toContain('namespace="signet",service="signet-metrics"');
    expect((r as { labels?: Record<string, string> }).labels?.team).toBe('platform');
  }
});
