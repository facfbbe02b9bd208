// What each issuer retains, from two V8 heap snapshots of the operator (scale.ts writes them with
// SIGNET_BENCH_HEAP_SNAPSHOT=DIR: one at 0 issuers, one after the last step):
//   node --import tsx test/bench/support/heap-diff.ts BEFORE.heapsnapshot AFTER.heapsnapshot ISSUERS
// prints the self size added per issuer by node type and constructor or string, largest first.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Self size and count by "type name" (strings grouped by their first 40 characters). */
function bySelfSize(file: string): Map<string, { size: number; count: number }> {
  const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snap.snapshot.meta.node_fields;
  const types = snap.snapshot.meta.node_types[0];
  const [typeAt, nameAt, sizeAt] = ['type', 'name', 'self_size'].map((f) => fields.indexOf(f)) as [number, number, number];
  const out = new Map<string, { size: number; count: number }>();
  for (let i = 0; i < snap.nodes.length; i += fields.length) {
    const type = types[snap.nodes[i + typeAt] as number] ?? '?';
    let name = snap.strings[snap.nodes[i + nameAt] as number] ?? '';
    if (type === 'string' || type === 'concatenated string' || type === 'sliced string') name = name.slice(0, 40).replace(/\s+/g, ' ');
    const key = `${type} ${name}`;
    const e = out.get(key) ?? { size: 0, count: 0 };
    e.size += snap.nodes[i + sizeAt] as number;
    e.count++;
    out.set(key, e);
  }
  return out;
}

/** Strings are many and small: also total them by type alone. */
function byType(m: Map<string, { size: number; count: number }>): Map<string, { size: number; count: number }> {
  const out = new Map<string, { size: number; count: number }>();
  for (const [k, v] of m) {
    const type = k.startsWith('concatenated string') ? 'concatenated string' : k.startsWith('sliced string') ? 'sliced string' : k.split(' ')[0] ?? '';
    const e = out.get(type) ?? { size: 0, count: 0 };
    e.size += v.size;
    e.count += v.count;
    out.set(type, e);
  }
  return out;
}

function diff(a: Map<string, { size: number; count: number }>, b: Map<string, { size: number; count: number }>, issuers: number, top: number): void {
  const rows = [...b].map(([k, v]) => ({ k, size: v.size - (a.get(k)?.size ?? 0), count: v.count - (a.get(k)?.count ?? 0) }));
  rows.sort((x, y) => y.size - x.size);
  const total = rows.reduce((s, r) => s + r.size, 0);
  console.log(`  total self size added: ${(total / issuers).toFixed(0)} B/issuer`);
  for (const r of rows.slice(0, top)) console.log(`  ${(r.size / issuers).toFixed(0).padStart(7)} B/issuer  ${(r.count / issuers).toFixed(2).padStart(7)} objects/issuer  ${r.k}`);
}

const [before, after, n] = process.argv.slice(2);
if (before && after && n) {
  const a = bySelfSize(before);
  const b = bySelfSize(after);
  console.log('by node type:');
  diff(byType(a), byType(b), Number(n), 15);
  console.log('by type and constructor (or string prefix):');
  diff(a, b, Number(n), 40);
}
