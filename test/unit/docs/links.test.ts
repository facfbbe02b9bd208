// Every relative link in README.md and docs/ to a file of this repository points at a file that
// exists. Links that leave the repository (the developers' ../shared/DESIGN.md) are not checked:
// a clone does not have what lies beside it.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { repoRoot } from '../../support/kube.js';

function markdown(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? markdown(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []));
}

it('has no broken relative link in README.md or docs/', () => {
  const broken: string[] = [];
  for (const file of [join(repoRoot, 'README.md'), ...markdown(join(repoRoot, 'docs'))]) {
    for (const m of readFileSync(file, 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = (m[1] ?? '').split('#')[0] ?? '';
      if (target === '' || /^[a-z]+:/.test(target)) continue;
      const path = join(dirname(file), target);
      if (relative(repoRoot, path).startsWith('..')) continue;
      if (!existsSync(path)) broken.push(`${relative(repoRoot, file)} → ${m[1]}`);
    }
  }
  expect(broken).toEqual([]);
});
