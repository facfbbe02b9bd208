// The image ships what the operator runs and nothing else: every runtime dependency in
// package.json is imported by src/ (anything else belongs in devDependencies), every package src/
// imports at runtime is a runtime dependency, and the Dockerfile's runtime stage installs the
// production dependencies only. (test/integration/packaging/runtime-install.test.ts runs the
// result.)
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { repoRoot } from '../../support/kube.js';

interface PackageJson {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|js|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/**
 * Packages imported at runtime by one file: static imports and re-exports (not `import type` /
 * `export type`), side-effect imports, dynamic import() and require().
 */
function runtimeImports(source: string): string[] {
  const specifiers = [
    ...[...source.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^'";]*?\bfrom\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...source.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)].map((m) => m[1]!),
    ...[...source.matchAll(/\b(?:import|require)\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1]!),
  ];
  const builtins = new Set(builtinModules);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:') && !builtins.has(packageName(s)))
    .map(packageName);
}

const imported = new Map<string, string[]>();
for (const file of sourceFiles(join(repoRoot, 'src'))) {
  for (const name of runtimeImports(readFileSync(file, 'utf8'))) imported.set(name, [...(imported.get(name) ?? []), file.slice(repoRoot.length + 1)]);
}

it('reads imports the way the compiler emits them', () => {
  expect(runtimeImports([
    "import { a } from 'pkg-a';",
    "import type { B } from 'pkg-b';",
    "import pLimit from 'p-limit';",
    "import * as x from '@scope/c/sub';",
    "export { d } from 'pkg-d';",
    "import 'side-effect';",
    "const m = await import('dyn');",
    "import { readFileSync } from 'node:fs';",
    "import { join } from 'path';",
    "import { z } from './local.js';",
  ].join('\n')).sort()).toEqual(['@scope/c', 'dyn', 'p-limit', 'pkg-a', 'pkg-d', 'side-effect']);
});

it('ships no runtime dependency that nothing in src/ imports', () => {
  const unused = Object.keys(pkg.dependencies ?? {}).filter((d) => !imported.has(d));
  if (unused.length > 0) throw new Error(`package.json "dependencies" has ${unused.join(', ')}, which nothing in src/ imports: move ${unused.length > 1 ? 'them' : 'it'} to devDependencies (npm install --save-dev) or use ${unused.length > 1 ? 'them' : 'it'}`);
});

it('lists every package that src/ imports at runtime under "dependencies"', () => {
  const missing = [...imported.entries()].filter(([name]) => !(name in (pkg.dependencies ?? {})));
  expect(missing.map(([name, files]) => `${name} (imported by ${files.join(', ')})`)).toEqual([]);
});

it('installs the production dependencies only in the Dockerfile\'s runtime stage', () => {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const stages = dockerfile.split(/^FROM /m).slice(1);
  const runtime = stages[stages.length - 1]!;
  const installs = [...runtime.matchAll(/\bnpm (ci|install|i)\b[^\n]*/g)].map((m) => m[0]);
  expect(installs).toEqual([expect.stringMatching(/^npm ci --omit=dev\b/)]);
  // From the build stage only the compiled output comes across, not its node_modules.
  expect([...runtime.matchAll(/^COPY --from=\S+ (\S+)/gm)].map((m) => m[1])).toEqual(['/app/dist']);
});
