// The "## Values" table of docs/install.md, generated from charts/signet/values.yaml so that it
// cannot drift: one row per value (the leaves of values.yaml; maps with free-form keys, such as
// annotations, and Kubernetes' own structures count as one value), its default, and its
// description: the value's `# --` comment in values.yaml (the helm-docs convention), else the
// schema's description, else the comment of the map it belongs to.
//   node --import tsx scripts/values-doc.ts          rewrite docs/install.md (`make docs`)
//   node --import tsx scripts/values-doc.ts --check  exit 1 when docs/install.md is out of date
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';

export const BEGIN = '<!-- BEGIN values: generated from charts/signet/values.yaml by `make docs`; edit the comments there, not this table -->';
export const END = '<!-- END values -->';

type Schema = { properties?: Record<string, Schema>; additionalProperties?: unknown; description?: string };

/** Values documented as one row although the schema lists their keys: Kubernetes' own structures. */
const WHOLE = new Set(['resources']);

export interface ValueRow {
  path: string;
  value: unknown;
  description: string;
}

/** The `# --` comment above each key, by dotted path, read from the text (YAML parsers drop comments on leaves). */
export function valueComments(text: string): Map<string, string> {
  const comments = new Map<string, string>();
  const stack: Array<{ indent: number; key: string }> = [];
  let block: string[] = [];
  for (const line of text.split('\n')) {
    const comment = /^\s*#\s?(.*)$/.exec(line);
    if (comment) {
      block.push(comment[1] ?? '');
      continue;
    }
    const key = /^(\s*)([A-Za-z0-9_]+):/.exec(line);
    if (!key) {
      if (line.trim() === '') block = [];
      continue;
    }
    const indent = (key[1] ?? '').length;
    while (stack.length > 0 && (stack[stack.length - 1]?.indent ?? 0) >= indent) stack.pop();
    const path = [...stack.map((s) => s.key), key[2] ?? ''].join('.');
    stack.push({ indent, key: key[2] ?? '' });
    const start = block.findIndex((l) => l.startsWith('-- '));
    if (start >= 0) comments.set(path, block.slice(start).join(' ').replace(/^-- /, '').trim());
    block = [];
  }
  return comments;
}

export function valueRows(valuesText: string, schema: Schema): ValueRow[] {
  const comments = valueComments(valuesText);
  const rows: ValueRow[] = [];
  const walk = (v: unknown, path: string, s: Schema, inherited: string): void => {
    const props = s.properties ?? {};
    const own = comments.get(path) ?? s.description ?? '';
    if (!WHOLE.has(path) && v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(props).length > 0 && s.additionalProperties === false) {
      for (const [k, sub] of Object.entries(v as Record<string, unknown>)) walk(sub, path ? `${path}.${k}` : k, props[k] ?? {}, own || inherited);
      return;
    }
    rows.push({ path, value: v, description: own || inherited });
  };
  walk(parse(valuesText) as unknown, '', schema, '');
  return rows;
}

function renderDefault(v: unknown): string {
  if (v === '') return '`""`';
  const text = typeof v === 'object' && v !== null ? stringify(v, { collectionStyle: 'flow', lineWidth: 0 }).trim() : String(v);
  return `\`${text.replace(/\|/g, '\\|')}\``;
}

export function valuesTable(rows: readonly ValueRow[]): string {
  return ['| value | default | meaning |', '|---|---|---|',
    ...rows.map((r) => `| \`${r.path}\` | ${renderDefault(r.value)} | ${r.description.replace(/\|/g, '\\|')} |`)].join('\n');
}

/** docs/install.md with the table between the markers replaced. */
export function withValuesTable(doc: string, table: string): string {
  const b = doc.indexOf(BEGIN);
  const e = doc.indexOf(END);
  if (b < 0 || e < b) throw new Error(`docs/install.md lacks the markers ${BEGIN} ... ${END}`);
  return `${doc.slice(0, b + BEGIN.length)}\n${table}\n${doc.slice(e)}`;
}

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function generatedInstallDoc(): { current: string; generated: string; rows: ValueRow[] } {
  const chart = join(root, 'charts/signet');
  const rows = valueRows(readFileSync(join(chart, 'values.yaml'), 'utf8'), JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8')) as Schema);
  const current = readFileSync(join(root, 'docs/install.md'), 'utf8');
  return { current, generated: withValuesTable(current, valuesTable(rows)), rows };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { current, generated } = generatedInstallDoc();
  if (process.argv.includes('--check')) {
    if (current !== generated) {
      process.stderr.write('docs/install.md is out of date with charts/signet/values.yaml: run `make docs`\n');
      process.exit(1);
    }
  } else if (current !== generated) {
    writeFileSync(join(root, 'docs/install.md'), generated);
    process.stdout.write('docs/install.md: values table regenerated\n');
  }
}
