#!/usr/bin/env node
// Repairs package-lock.json so that `npm ci` passes its "in sync" check in a clean folder.
//
// The registry this project's machines reach lacks the newest versions of some platform-specific
// optional packages (@swc/core-darwin-arm64@1.16.22, @unrs/resolver-binding-*@1.13.0, ...), so
// `npm install` leaves them out of the lockfile; `npm ci` then computes them into its ideal tree
// and refuses ("Missing: @swc/core-darwin-arm64@ from lock file"), here and on the full registry
// alike (docker build included). This adds the missing entries with the os/cpu/libc that their
// names state, marked optional (and dev when their parent is), so npm skips them on other platforms
// and fetches them only where they belong.
//
//   node scripts/complete-lockfile.mjs [package-lock.json]     (prints what it added)
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.argv[2] ?? 'package-lock.json';
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;

const OSES = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPUS = ['arm64', 'x64', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'arm', 'wasm32'];

function platform(name) {
  const base = name.split('/').pop();
  const parts = base.split('-');
  const os = OSES.find((o) => parts.includes(o));
  const cpu = CPUS.find((c) => parts.includes(c));
  const libc = /musl/.test(base) ? ['musl'] : os === 'linux' && /gnu/.test(base) ? ['glibc'] : undefined;
  return { ...(os ? { os: [os] } : {}), ...(cpu ? { cpu: [cpu] } : {}), ...(libc ? { libc } : {}) };
}

const added = [];
for (const [path, meta] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(meta.optionalDependencies ?? {})) {
    const nested = `${path ? `${path}/` : ''}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (packages[nested] || packages[hoisted]) continue;
    if (!/^\d+\.\d+\.\d+/.test(spec)) throw new Error(`${dep}@${spec} (optional dependency of ${path}) is not an exact version: run npm install on a machine whose registry has it`);
    packages[hoisted] = { version: spec, ...(meta.dev ? { dev: true } : {}), optional: true, ...platform(dep) };
    added.push(`${dep}@${spec} ${JSON.stringify(platform(dep))}`);
  }
}
const sorted = Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en')));
lock.packages = Object.fromEntries(sorted);
writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(added.length ? `added to ${file}:\n${added.join('\n')}\n` : `${file}: nothing missing\n`);
