// One control plane that serves pods and one test node (test/node/) per e2e run, with Signet's image
// (scripts/image.sh, built from the Dockerfile by buildah) imported into its containerd. Shared by every
// e2e file through KUBECONFIG and SIGNET_E2E_IMAGE; stopped by global-teardown.mjs, or by the reapers
// when jest dies first. The image and binaries are built by `make e2e` before jest starts; here they
// are only found (each script prints its cached result at once).
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');

export default async function globalSetup() {
  const cpMod = await tsImport('../controlplane/controlplane.ts', import.meta.url);
  const nodeMod = await tsImport('../node/node.ts', import.meta.url);
  const log = (l) => process.stderr.write(`  e2e: ${l}\n`);
  const t0 = Date.now();
  execFileSync('bash', [join(root, 'scripts/tools.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
  const [image, archive] = execFileSync('bash', [join(root, 'scripts/image.sh')], { stdio: ['ignore', 'pipe', 'inherit'] }).toString().trim().split(' ');
  nodeMod.checkHost();
  nodeMod.prepareNetwork();
  const cp = await cpMod.startControlPlane({ pods: { address: nodeMod.GATEWAY }, log: (l) => log(`control plane: ${l}`) });
  cpMod.spawnReaper(cp, process.pid);
  globalThis.signetControlPlane = cp;
  const onSignal = (sig) => {
    cpMod.killGroups(cp.pgids, 'SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let node;
  try {
    node = await nodeMod.startNode(cp, { images: [{ name: image, archive }], log });
  } catch (err) {
    await cpMod.stopControlPlane(cp, { removeData: false });
    throw err;
  }
  nodeMod.spawnNodeReaper(node, process.pid);
  globalThis.signetNode = node;
  log(`control plane and node ready in ${Date.now() - t0} ms; image ${image}`);
  process.env.KUBECONFIG = cp.kubeconfigPath;
  process.env.SIGNET_E2E_IMAGE = image;
}
