// docs/reasons/ has one page per condition reason of src/api/types.ts (REASONS), each with its
// cause and its fix, and the index lists them all: a reason cannot be added without its page.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REASONS } from '../../../src/api/types.js';
import { repoRoot } from '../../support/kube.js';

const dir = join(repoRoot, 'docs/reasons');
const pages = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md').map((f) => f.replace(/\.md$/, ''));

it('has a page for every reason in REASONS and none for a reason that does not exist', () => {
  expect([...pages].sort()).toEqual([...REASONS].sort());
});

it.each(REASONS.map((r) => [r]))('%s: titled with the reason, with a Cause and a Fix section', (reason) => {
  const text = readFileSync(join(dir, `${reason}.md`), 'utf8');
  expect(text.split('\n')[0]).toBe(`# ${reason}`);
  for (const section of ['## Cause', '## Fix']) {
    const body = text.split(`${section}\n`)[1]?.split('\n## ')[0]?.trim() ?? '';
    expect(body.length).toBeGreaterThan(40);
  }
});

it('lists every reason in the index, in the order of REASONS', () => {
  const index = readFileSync(join(dir, 'README.md'), 'utf8');
  const listed = [...index.matchAll(/^\| \[`([A-Za-z]+)`\]\(\1\.md\) \|/gm)].map((m) => m[1]);
  expect(listed).toEqual([...REASONS]);
});
