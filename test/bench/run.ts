// `npm run bench`: the benchmark modules, one after the other. Each prints its figures; none fails
// on a missed target. Add a module with one line in BENCHES. `npm run bench -- NAME...` runs the
// modules whose name contains one of the given words.
import type { Bench } from './support/bench.js';

const BENCHES: (() => Promise<{ default: Bench }>)[] = [
  () => import('./jwks-throughput.js'),
  () => import('./jwks-tls.js'),
  () => import('./jwks-flood.js'),
  () => import('./jwks-under-keygen.js'),
  () => import('./rotation-latency.js'),
  () => import('./rotation-schedule.js'),
  () => import('./scale.js'),
  () => import('./readiness.js'),
  () => import('./signing.js'),
  () => import('./sa-signer.js'),
];

async function main(): Promise<void> {
  const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  let failed = 0;
  for (const load of BENCHES) {
    const bench = (await load()).default;
    if (filters.length > 0 && !filters.some((f) => bench.name.includes(f))) continue;
    const started = Date.now();
    try {
      await bench.run();
      console.log(`(${bench.name}: ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    } catch (err) {
      failed++;
      console.error(`${bench.name} could not run: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    }
  }
  process.exitCode = failed > 0 ? 1 : 0;
}

await main();
