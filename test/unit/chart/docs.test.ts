// docs/install.md documents every value of the chart, with its default: the table is generated
// from charts/signet/values.yaml (scripts/values-doc.ts, `make docs`), and this fails when it is stale.
import { generatedInstallDoc, valueRows, valuesTable } from '../../../scripts/values-doc.js';

it('has the values table of docs/install.md generated from the current values.yaml', () => {
  const { current, generated } = generatedInstallDoc();
  // A failure here means: run `make docs` and commit docs/install.md.
  expect(current).toBe(generated);
});

it('documents every value, each with a description', () => {
  const { rows, current } = generatedInstallDoc();
  expect(rows.length).toBeGreaterThan(30);
  expect(rows.map((r) => r.path)).toEqual(expect.arrayContaining(['replicaCount', 'image.tag', 'resources', 'serviceMonitor.labels']));
  expect(rows.filter((r) => r.description === '').map((r) => r.path)).toEqual([]);
  for (const r of rows) expect(current).toContain(`| \`${r.path}\` |`);
});

it('takes a description from the value\'s own "# --" comment, then the schema, then its map', () => {
  const text = ['# -- Pods.', 'replicaCount: 1', 'svc:', '  # -- The port.', '  # continued.', '  port: 80', '  type: ClusterIP', ''].join('\n');
  const schema = { additionalProperties: false, properties: { replicaCount: {}, svc: { additionalProperties: false, description: 'The Service.', properties: { port: {}, type: { description: 'Its type.' } } } } };
  expect(valueRows(text, schema)).toEqual([
    { path: 'replicaCount', value: 1, description: 'Pods.' },
    { path: 'svc.port', value: 80, description: 'The port. continued.' },
    { path: 'svc.type', value: 'ClusterIP', description: 'Its type.' },
  ]);
  expect(valuesTable(valueRows(text, schema))).toContain('| `svc.type` | `ClusterIP` | Its type. |');
});
