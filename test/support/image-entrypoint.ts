// The Node options the image starts the operator with, read from the Dockerfile's ENTRYPOINT, so
// that tests and benchmarks run dist/main.js as the image does (one place for them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './kube.js';

/** The arguments between `node` and `dist/main.js` in the Dockerfile's ENTRYPOINT. */
export function imageNodeOptions(): string[] {
  const dockerfile = readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(dockerfile);
  if (!line?.[1]) throw new Error('the Dockerfile has no ENTRYPOINT in exec form (["node", …, "dist/main.js"])');
  const words = JSON.parse(line[1]) as unknown;
  if (!Array.isArray(words) || words[0] !== 'node' || words[words.length - 1] !== 'dist/main.js' || !words.every((w) => typeof w === 'string')) {
    throw new Error(`the Dockerfile's ENTRYPOINT ${line[1]} is not ["node", <options>…, "dist/main.js"]`);
  }
  return words.slice(1, -1);
}
