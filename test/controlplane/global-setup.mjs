// One control plane per jest run: started here, shared by every integration test file through
// KUBECONFIG, stopped by global-teardown.mjs, or by the reaper when jest dies before that.
// Plain ESM so jest imports it natively; tsx loads the TypeScript harness.
import { tsImport } from 'tsx/esm/api';

export default async function globalSetup() {
  const { startControlPlane, spawnReaper, killGroups } = await tsImport('./controlplane.ts', import.meta.url);
  const t0 = Date.now();
  const cp = await startControlPlane({ log: (l) => process.stderr.write(`  control plane: ${l}\n`) });
  process.stderr.write(`  control plane: ready in ${Date.now() - t0} ms at ${cp.server}\n`);
  globalThis.signetControlPlane = cp;
  spawnReaper(cp, process.pid);
  const onSignal = (sig) => {
    killGroups(cp.pgids, 'SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => killGroups(cp.pgids, 'SIGKILL'));
  process.env.KUBECONFIG = cp.kubeconfigPath;
}
