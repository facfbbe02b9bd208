// The Node options and environment the image starts the operator with, read from the Dockerfile's
// ENTRYPOINT and its runtime stage's ENV lines, so that tests and benchmarks run dist/main.js as the
// image does (one place for them).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './kube.js';

/** The arguments between `node` and `dist/main.js` in the Dockerfile's ENTRYPOINT. */
export function imageNodeOptions(): string[] {
  const line = /^ENTRYPOINT\s+(\[.*\])\s*$/m.exec(readDockerfile());
  if (!line?.[1]) throw new Error('the Dockerfile has no ENTRYPOINT in exec form (["node", …, "dist/main.js"])');
  const words = JSON.parse(line[1]) as unknown;
  if (!Array.isArray(words) || words[0] !== 'node' || words[words.length - 1] !== 'dist/main.js' || !words.every((w) => typeof w === 'string')) {
    throw new Error(`the Dockerfile's ENTRYPOINT ${line[1]} is not ["node", <options>…, "dist/main.js"]`);
  }
  return words.slice(1, -1);
}

/** The variables the runtime stage sets with `ENV NAME=value` (one per line, no quotes). */
export function imageEnv(): Record<string, string> {
  const runtime = readDockerfile().split(/^FROM\s.*\sAS\s+runtime\s*$/m)[1];
  if (runtime === undefined) throw new Error('the Dockerfile has no `FROM … AS runtime` stage');
  return Object.fromEntries([...runtime.matchAll(/^ENV\s+([A-Z_][A-Z0-9_]*)=(\S+)\s*$/gm)].map((m) => [m[1] as string, m[2] as string]));
}

let dockerfile: string | undefined;

/** The Dockerfile, read once per process (every operator start asks for its options and its ENV). */
function readDockerfile(): string {
  dockerfile ??= readFileSync(join(repoRoot, 'Dockerfile'), 'utf8');
  return dockerfile;
}
