// docs/install.md documents every value of the chart, with its default.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { chartDir } from '../../support/helm.js';
import { repoRoot } from '../../support/kube.js';

/** Values documented as one row although the schema lists their keys: Kubernetes' own structures. */
const WHOLE = new Set(['resources']);

/** Dotted paths of the leaves of values.yaml; maps with free-form keys (annotations, labels, ...) count as one value. */
function leaves(v: unknown, prefix: string, schema: Record<string, unknown>): string[] {
  const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  if (!WHOLE.has(prefix) && v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(props).length > 0 && schema.additionalProperties === false) {
    return Object.entries(v as Record<string, unknown>).flatMap(([k, sub]) => leaves(sub, prefix ? `${prefix}.${k}` : k, props[k] ?? {}));
  }
  return [prefix];
}

it('has a row in the values table of docs/install.md for every value in values.yaml', () => {
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as Record<string, unknown>;
  const schema = JSON.parse(readFileSync(join(chartDir, 'values.schema.json'), 'utf8')) as Record<string, unknown>;
  const docs = readFileSync(join(repoRoot, 'docs/install.md'), 'utf8');
  const rows = new Set([...docs.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
  const paths = leaves(values, '', schema);
  expect(paths.length).toBeGreaterThan(30);
  expect(paths.filter((p) => !rows.has(p))).toEqual([]);
  // and no row for a value the chart does not have
  const known = new Set(paths);
  const valueRows = docs.slice(docs.indexOf('## Values'), docs.indexOf('## Rotating')).matchAll(/^\| `([^`]+)` \|/gm);
  expect([...valueRows].map((m) => m[1]).filter((r) => !known.has(r ?? ''))).toEqual([]);
});
