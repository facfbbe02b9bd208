// Runs the compiled operator (`node dist/main.js`, as the image does) from a given folder, with the
// listeners on free loopback ports, for the packaging tests.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startOperator, type RunningOperator } from '../../support/operator.js';
import { clients, repoRoot } from '../../support/kube.js';

export type DistProcess = RunningOperator;

/** Fails with the fix when dist/ has not been built. */
export function requireDist(dir = repoRoot): string {
  const main = join(dir, 'dist/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run \`npm run build\` (or \`make build\`; \`make integration\` builds first)`);
  return main;
}

/** The environment of the container: the test runner's NODE_OPTIONS (jest's ESM flags) left out. */
function runtimeEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'production' };
  delete env.NODE_OPTIONS;
  delete env.KUBECONFIG;
  return env;
}

/** Starts `node dist/main.js <args>` in `dir`, as the image does, and waits for /readyz. */
export async function startDist(dir: string, args: string[]): Promise<DistProcess> {
  requireDist(dir);
  return startOperator(args, { entry: 'dist/main.js', cwd: dir, env: runtimeEnv() });
}

/** Drops each `--flag value` pair of the given flags (startDist chooses the bind addresses). */
export function withoutFlags(args: string[], flags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (flags.includes(args[i] ?? '')) i++;
    else out.push(args[i] ?? '');
  }
  return out;
}

/**
 * A kubeconfig file in `dir` for the test API server that authenticates as the ServiceAccount
 * namespace/name, with a real token from the TokenRequest API (what the kubelet mounts in the pod).
 */
export async function serviceAccountKubeconfig(namespace: string, name: string, dir: string): Promise<string> {
  const c = clients();
  const cluster = c.kc.getCurrentCluster();
  if (!cluster) throw new Error('the test kubeconfig has no current cluster');
  const tr = await c.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
  const token = tr.status?.token;
  if (!token) throw new Error(`the TokenRequest for ServiceAccount ${namespace}/${name} returned no token`);
  const path = join(dir, `kubeconfig-${namespace}-${name}`);
  writeFileSync(path, [
    'apiVersion: v1', 'kind: Config',
    'clusters:', '- name: c', '  cluster:', `    server: ${cluster.server}`, `    certificate-authority-data: ${cluster.caData ?? ''}`,
    'users:', '- name: sa', '  user:', `    token: ${token}`,
    'contexts:', '- name: c', '  context: {cluster: c, user: sa}',
    'current-context: c', '',
  ].join('\n'), { mode: 0o600 });
  return path;
}
