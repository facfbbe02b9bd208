// `make dev-node` / `make dev-node-down`: a control plane that serves pods and one test node
// (node.ts), kept running in the background; data under .dev-node/, CRDs installed,
// kubeconfig at .dev-node/controlplane/kubeconfig. One node at a time per machine (they share the bridge).
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readControlPlane, startControlPlane, stopControlPlane } from '../controlplane/controlplane.js';
import { GATEWAY, prepareNetwork, readNode, repoRoot, startNode, stopNode } from './node.js';

const dataDir = join(repoRoot, '.dev-node');
const cpDir = join(dataDir, 'controlplane');
const nodeDir = join(dataDir, 'node');

async function up(): Promise<void> {
  if (readNode(nodeDir)) {
    console.log(`dev node already started (data in ${dataDir}); make dev-node-down first to restart it`);
    return;
  }
  mkdirSync(cpDir, { recursive: true });
  const t0 = Date.now();
  prepareNetwork();
  const cp = await startControlPlane({ dataDir: cpDir, detached: true, pods: { address: GATEWAY }, log: (l) => console.log(`  ${l}`) });
  await startNode(cp, { dataDir: nodeDir, detached: true, log: (l) => console.log(`  ${l}`) });
  const kubeconfig = cp.kubeconfigPath;
  const kubectl = join(repoRoot, '.tools/bin/kubectl');
  execFileSync(kubectl, ['--kubeconfig', kubeconfig, 'apply', '--server-side', '-f', join(repoRoot, 'crds')], { stdio: 'inherit' });
  console.log(`dev node up in ${Date.now() - t0} ms\n  export KUBECONFIG=${kubeconfig}\n  kubectl get nodes`);
}

async function down(): Promise<void> {
  stopNode({ dataDir: nodeDir }, { removeData: true });
  const cp = readControlPlane(cpDir);
  if (cp) await stopControlPlane(cp, { removeData: true });
  console.log('dev node stopped and its data removed');
}

const cmd = process.argv[2];
if (cmd === 'up') await up();
else if (cmd === 'down') await down();
else {
  console.error('usage: dev-node.ts up|down');
  process.exit(2);
}
