// Which structures hold the heap, from one V8 heap snapshot of the operator (scale.ts writes it
// with SIGNET_BENCH_HEAP_SNAPSHOT=DIR):
//   node --import tsx test/bench/support/heap-retainers.ts SNAPSHOT.heapsnapshot ISSUERS
// prints the collections (Map, Set, Array, Object) that retain the most, by the path of property
// names that reaches them, with their retained size per issuer. Retained = dominated: what would
// be freed with the collection, computed with the Cooper–Harvey–Kennedy dominator algorithm.
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]]; edge_fields: string[]; edge_types: [string[], ...unknown[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

const [file, n] = process.argv.slice(2);
if (!file || !n) throw new Error('usage: heap-retainers.ts SNAPSHOT ISSUERS');
const issuers = Number(n);
const snap = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
const { meta } = snap.snapshot;
const NF = meta.node_fields.length;
const EF = meta.edge_fields.length;
const nodeTypes = meta.node_types[0];
const edgeTypes = meta.edge_types[0];
const [T, NAME, SIZE, EC] = ['type', 'name', 'self_size', 'edge_count'].map((f) => meta.node_fields.indexOf(f)) as [number, number, number, number];
const [ET, EN, ETO] = ['type', 'name_or_index', 'to_node'].map((f) => meta.edge_fields.indexOf(f)) as [number, number, number];
const count = snap.nodes.length / NF;
const weak = edgeTypes.indexOf('weak');
const shortcut = edgeTypes.indexOf('shortcut');

// Edges of each node as a range into the edge array.
const firstEdge = new Uint32Array(count + 1);
for (let i = 0, e = 0; i < count; i++) {
  firstEdge[i] = e;
  e += (snap.nodes[i * NF + EC] as number) * EF;
  firstEdge[i + 1] = e;
}
const strong = (e: number): boolean => snap.edges[e + ET] !== weak && snap.edges[e + ET] !== shortcut;
const target = (e: number): number => (snap.edges[e + ETO] as number) / NF;

// Post-order from the root (node 0), iteratively.
const order = new Int32Array(count).fill(-1); // post-order number
const post: number[] = [];
{
  const stack: number[] = [0];
  const cursor = new Uint32Array(count);
  const seen = new Uint8Array(count);
  seen[0] = 1;
  for (let i = 0; i < count; i++) cursor[i] = firstEdge[i] as number;
  while (stack.length > 0) {
    const v = stack[stack.length - 1] as number;
    let pushed = false;
    while ((cursor[v] as number) < (firstEdge[v + 1] as number)) {
      const e = cursor[v] as number;
      cursor[v] = e + EF;
      if (!strong(e)) continue;
      const w = target(e);
      if (seen[w]) continue;
      seen[w] = 1;
      stack.push(w);
      pushed = true;
      break;
    }
    if (!pushed) {
      stack.pop();
      order[v] = post.length;
      post.push(v);
    }
  }
}

// Predecessors among reachable nodes.
const predCount = new Uint32Array(count + 1);
for (let v = 0; v < count; v++) {
  if (order[v] === -1) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF) if (strong(e)) predCount[target(e) + 1] = (predCount[target(e) + 1] as number) + 1;
}
for (let i = 0; i < count; i++) predCount[i + 1] = (predCount[i + 1] as number) + (predCount[i] as number);
const preds = new Uint32Array(predCount[count] as number);
{
  const fill = predCount.slice();
  for (let v = 0; v < count; v++) {
    if (order[v] === -1) continue;
    for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF) {
      if (!strong(e)) continue;
      const at = fill[target(e)] as number;
      preds[at] = v;
      fill[target(e)] = at + 1;
    }
  }
}

// Dominators (Cooper, Harvey, Kennedy: "A Simple, Fast Dominance Algorithm").
const idom = new Int32Array(count).fill(-1);
idom[0] = 0;
const intersect = (a: number, b: number): number => {
  while (a !== b) {
    while ((order[a] as number) < (order[b] as number)) a = idom[a] as number;
    while ((order[b] as number) < (order[a] as number)) b = idom[b] as number;
  }
  return a;
};
for (let changed = true; changed;) {
  changed = false;
  for (let i = post.length - 2; i >= 0; i--) {
    const v = post[i] as number;
    let d = -1;
    for (let p = predCount[v] as number; p < (predCount[v + 1] as number); p++) {
      const u = preds[p] as number;
      if (idom[u] === -1) continue;
      d = d === -1 ? u : intersect(u, d);
    }
    if (d !== -1 && idom[v] !== d) {
      idom[v] = d;
      changed = true;
    }
  }
}

// Retained sizes: children before their dominator (post-order).
const retained = new Float64Array(count);
for (const v of post) retained[v] = (retained[v] as number) + (snap.nodes[v * NF + SIZE] as number);
for (const v of post) if (v !== 0) retained[idom[v] as number] = (retained[idom[v] as number] as number) + (retained[v] as number);

// A label for each node: its dominator's label plus the name of the edge from it.
const nodeName = (v: number): string => `${nodeTypes[snap.nodes[v * NF + T] as number]}:${snap.strings[snap.nodes[v * NF + NAME] as number]?.slice(0, 30)}`;
const edgeFrom = new Map<number, string>();
for (let v = 0; v < count; v++) {
  if (order[v] === -1) continue;
  for (let e = firstEdge[v] as number; e < (firstEdge[v + 1] as number); e += EF) {
    if (!strong(e)) continue;
    const w = target(e);
    if (idom[w] !== v || edgeFrom.has(w)) continue;
    const name = snap.edges[e + EN] as number;
    edgeFrom.set(w, edgeTypes[snap.edges[e + ET] as number] === 'element' ? '[]' : (snap.strings[name] ?? `${name}`));
  }
}
const path = (v: number): string => {
  const parts: string[] = [];
  for (let x = v, depth = 0; x !== 0 && depth < 6; x = idom[x] as number, depth++) parts.unshift(`${edgeFrom.get(x) ?? '?'}(${nodeName(x)})`);
  return parts.join(' > ');
};

// The collections that retain at least 1 % of the heap per issuer count, largest first, without
// listing a collection inside one already listed.
const threshold = 200 * issuers;
const rows = post.filter((v) => (retained[v] as number) >= threshold && /^(object:(Map|Set|Array|Object|system \/ Context)|array:)/.test(nodeName(v)));
rows.sort((a, b) => (retained[b] as number) - (retained[a] as number));
const total = retained[0] as number;
console.log(`heap ${(total / 1048576).toFixed(1)} MiB; ${(total / issuers).toFixed(0)} B per issuer if all were theirs`);
const listed: number[] = [];
for (const v of rows) {
  let inside = false;
  for (let x = idom[v] as number; x !== 0; x = idom[x] as number) if (listed.includes(x)) inside = true;
  listed.push(v);
  if (listed.length > 60) break;
  console.log(`${((retained[v] as number) / issuers).toFixed(0).padStart(7)} B/issuer ${inside ? '  (inside)' : ''} ${path(v)}`);
}

// What one entry of each of the largest collections holds: the biggest entry's dominated tree,
// by edge name, two levels down.
const children = new Map<number, number[]>();
for (const v of post) if (v !== 0) (children.get(idom[v] as number) ?? children.set(idom[v] as number, []).get(idom[v] as number))?.push(v);
const show = (v: number, depth: number, indent: string): void => {
  const kids = (children.get(v) ?? []).sort((a, b) => (retained[b] as number) - (retained[a] as number)).slice(0, 8);
  for (const k of kids) {
    console.log(`${indent}${String(retained[k]).padStart(6)} B  ${edgeFrom.get(k) ?? '?'} (${nodeName(k)})`);
    if (depth > 0) show(k, depth - 1, `${indent}    `);
  }
};
for (const v of listed.slice(0, 12)) {
  const table = (children.get(v) ?? []).find((k) => edgeFrom.get(k) === 'table') ?? v;
  const entries = (children.get(table) ?? []).filter((k) => nodeName(k).startsWith("object:")).sort((a, b) => (retained[b] as number) - (retained[a] as number));
  const entry = entries[Math.floor(entries.length / 2)];
  if (entry === undefined) continue;
  console.log(`\na median entry of ${path(v)} (${entries.length} entries): ${retained[entry]} B, ${nodeName(entry)}`);
  show(entry, 2, '  ');
}

// Who refers to the listed collections that have no named owner (closure contexts, mostly).
for (const v of listed.slice(0, 20)) {
  if (edgeFrom.has(v) && edgeFrom.get(v) !== '?') continue;
  const refs: string[] = [];
  for (let p = predCount[v] as number; p < (predCount[v + 1] as number) && refs.length < 6; p++) {
    const u = preds[p] as number;
    for (let e = firstEdge[u] as number; e < (firstEdge[u + 1] as number); e += EF) {
      if (target(e) !== v) continue;
      const name = snap.edges[e + EN] as number;
      refs.push(`${nodeName(u)} .${edgeTypes[snap.edges[e + ET] as number] === 'element' ? `[${name}]` : snap.strings[name]}`);
    }
  }
  console.log(`\n${path(v)} is referred to by: ${refs.join('; ')}`);
}

// The operator's own owners, whole: what each would free.
const owners = new Map<string, number>();
for (const v of post) {
  const name = nodeName(v);
  if (/^object:(Informer|ReconcileMemory|JwksStore|Controller|SecretIndex|IssuerIndex|Gauge\d*|Registry|WorkQueue|Queue)$/.test(name)) owners.set(name, (owners.get(name) ?? 0) + (retained[v] as number));
}
console.log('\nretained by owner type (all instances):');
for (const [name, size] of [...owners].sort((a, b) => b[1] - a[1])) console.log(`${(size / issuers).toFixed(0).padStart(7)} B/issuer  ${name}`);

// One level into each owner (the largest instance).
const largest = new Map<string, number>();
for (const v of post) {
  const name = nodeName(v);
  if (owners.has(name) && (retained[v] as number) > (retained[largest.get(name) ?? v] as number)) largest.set(name, v);
  else if (owners.has(name) && !largest.has(name)) largest.set(name, v);
}
for (const [name, v] of largest) {
  if ((retained[v] as number) < threshold) continue;
  console.log(`\n${name}: ${((retained[v] as number) / issuers).toFixed(0)} B/issuer`);
  for (const k of (children.get(v) ?? []).sort((a, b) => (retained[b] as number) - (retained[a] as number)).slice(0, 10)) console.log(`  ${((retained[k] as number) / issuers).toFixed(0).padStart(7)} B/issuer  ${edgeFrom.get(k)} (${nodeName(k)})`);
}
