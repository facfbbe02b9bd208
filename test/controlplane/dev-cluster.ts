// `make dev-cluster` / `make dev-cluster-down`: the test control plane kept running in the
// background, data under .dev-cluster/, CRDs from crds/ installed, kubeconfig at .dev-cluster/kubeconfig.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readControlPlane, startControlPlane, stopControlPlane } from './controlplane.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dataDir = join(root, '.dev-cluster');

function alive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

async function up(): Promise<void> {
  const existing = readControlPlane(dataDir);
  if (existing && existing.pgids.every(alive)) {
    console.log(`dev cluster already running at ${existing.server}`);
  } else {
    if (existing) await stopControlPlane(existing, { removeData: false });
    mkdirSync(dataDir, { recursive: true });
    const t0 = Date.now();
    const cp = await startControlPlane({ dataDir, detached: true, log: (l) => console.log(`  ${l}`) });
    console.log(`dev cluster started in ${Date.now() - t0} ms at ${cp.server}`);
  }
  const kubeconfig = join(dataDir, 'kubeconfig');
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '--server-side', '--force-conflicts', '-f', join(root, 'crds')], { stdio: 'inherit' });
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', 'crd/authservers.signet.dev'], { stdio: 'inherit' });
  console.log(`\nkubeconfig: ${kubeconfig}\n  export KUBECONFIG=${kubeconfig}\n  kubectl get authservers -A`);
}

async function down(): Promise<void> {
  const cp = readControlPlane(dataDir);
  if (!cp) {
    console.log('no dev cluster running');
    return;
  }
  await stopControlPlane(cp, { removeData: true });
  console.log('dev cluster stopped and its data removed');
}

const cmd = process.argv[2];
if (cmd === 'up') await up();
else if (cmd === 'down') await down();
else {
  console.error('usage: dev-cluster.ts up|down');
  process.exit(2);
}
