// Generated copies stay in step with their source: the chart's CRD with crds/ (`make chart-crds`)
// and manifests/install.yaml with the chart (`make manifests`).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/kube.js';
import { run, tool } from '../../support/helm.js';

const rootCrd = join(repoRoot, 'crds/authservers.signet.dev.yaml');
const chartCrd = join(repoRoot, 'charts/signet/crds/authservers.signet.dev.yaml');

it('charts/signet/crds holds the same bytes as crds/authservers.signet.dev.yaml', () => {
  const same = readFileSync(rootCrd).equals(readFileSync(chartCrd));
  if (!same) throw new Error('charts/signet/crds/authservers.signet.dev.yaml differs from crds/authservers.signet.dev.yaml: run `make chart-crds` (then `make manifests`)');
});

it('manifests/install.yaml is what `make manifests` renders from the chart now', async () => {
  const env = { ...process.env, HELM: tool('helm') };
  const r = await run('bash', [join(repoRoot, 'scripts/render-manifests.sh')], { env });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const committed = readFileSync(join(repoRoot, 'manifests/install.yaml'), 'utf8');
  if (committed !== r.stdout) {
    const a = committed.split('\n');
    const b = r.stdout.split('\n');
    let line = 0;
    while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
    throw new Error(`manifests/install.yaml is stale (first difference at line ${line + 1}: ${JSON.stringify(a[line])} vs ${JSON.stringify(b[line])}): run \`make manifests\``);
  }
});
