// What the e2e tests do to the cluster of global-setup.mjs, the way a user would: helm and kubectl
// (from .tools/bin), and plain HTTP to Services' ClusterIPs from the host (kube-proxy's rules route
// them to the pods over the bridge).
import type { V1Pod, V1Service } from '@kubernetes/client-node';
import http from 'node:http';
import { chartDir, run, tool } from '../../support/helm.js';
import { clients } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';

export const c = clients();

/** The image global-setup.mjs built and imported, as chart values. */
export function imageValues(): { repository: string; tag: string; pullPolicy: 'Never' } {
  const image = process.env.SIGNET_E2E_IMAGE;
  if (!image) throw new Error('SIGNET_E2E_IMAGE is not set: e2e tests run under the jest project "e2e" (make e2e)');
  const at = image.lastIndexOf(':');
  return { repository: image.slice(0, at), tag: image.slice(at + 1), pullPolicy: 'Never' };
}

async function must(cmd: string, args: string[], input?: string): Promise<string> {
  const r = await run(cmd, args, { ...(input !== undefined ? { input } : {}) });
  if (r.code !== 0) throw new Error(`${cmd.split('/').pop()} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  return r.stdout;
}

export const kubectl = (args: string[], input?: string): Promise<string> => must(tool('kubectl'), args, input);
export const helm = (args: string[]): Promise<string> => must(tool('helm'), args);

/** `helm upgrade --install` of charts/signet with the e2e image and `values` (as --set-json), waiting for the rollout. */
export async function helmInstall(release: string, namespace: string, values: Record<string, unknown> = {}): Promise<void> {
  const sets = Object.entries({ image: imageValues(), ...values }).flatMap(([k, v]) => ['--set-json', `${k}=${JSON.stringify(v)}`]);
  await helm(['upgrade', '--install', release, chartDir, '--namespace', namespace, '--create-namespace', ...sets, '--wait', '--timeout', '3m']);
}

export const selector = (release: string): string => `app.kubernetes.io/instance=${release},app.kubernetes.io/name=signet`;

export function podReady(p: V1Pod): boolean {
  return p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True');
}

/** Waits until exactly `count` pods of the release exist, every one Running and Ready. */
export async function readyPods(namespace: string, release: string, count: number, timeoutMs = 120_000): Promise<V1Pod[]> {
  return eventually(async () => {
    const pods = (await c.core.listNamespacedPod({ namespace, labelSelector: selector(release) })).items;
    return pods.length === count && pods.every(podReady) ? pods : undefined;
  }, { what: `${count} Ready pod(s) of ${namespace}/${release}`, timeoutMs, intervalMs: 250 });
}

/** The Service of the release that exposes a port with this name (found by port name, not by object name). */
export async function serviceWithPort(namespace: string, portName: string): Promise<{ svc: V1Service; port: number }> {
  const list = (await c.core.listNamespacedService({ namespace })).items;
  const svc = list.find((s) => s.spec?.ports?.some((p) => p.name === portName));
  const port = svc?.spec?.ports?.find((p) => p.name === portName)?.port;
  if (!svc || !port) throw new Error(`no Service in ${namespace} exposes a port named ${portName}: ${list.map((s) => s.metadata?.name).join(', ')}`);
  return { svc, port };
}

/** GET through the API server's service proxy: /api/v1/namespaces/NS/services/NAME:PORT/proxy/PATH. */
export async function viaServiceProxy(namespace: string, service: string, port: string, path: string): Promise<string> {
  return kubectl(['get', '--raw', `/api/v1/namespaces/${namespace}/services/${service}:${port}/proxy/${path.replace(/^\//, '')}`]);
}

/** GET through the API server's pod proxy (one replica's own listener). */
export async function viaPodProxy(namespace: string, pod: string, port: number, path: string): Promise<string> {
  return kubectl(['get', '--raw', `/api/v1/namespaces/${namespace}/pods/${pod}:${port}/proxy/${path.replace(/^\//, '')}`]);
}

export interface HttpAnswer { status: number; body: string }

/** One GET on a fresh connection (what a verifier that does not keep connections does). */
export function get(url: string, timeoutMs = 2000): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

export interface PollFailure { at: number; url: string; message: string }
/** `failures`: the first 20, as log lines; `details`: the same, as data. */
export interface PollResult { sent: number; failed: number; failures: string[]; details: PollFailure[] }

/**
 * Polls JWKS URLs through a Service's ClusterIP until stopped, one request at a time per URL, each
 * on a fresh connection; a request fails unless it answers 200 with a JWK set that `ok` accepts.
 */
export function pollJwks(urls: string[], ok: (keys: Array<{ kid?: string }>, url: string) => boolean = () => true): { stop: () => Promise<PollResult> } {
  const result: PollResult = { sent: 0, failed: 0, failures: [], details: [] };
  let running = true;
  const loop = async (url: string): Promise<void> => {
    while (running) {
      result.sent++;
      const at = Date.now();
      const t = new Date(at).toISOString();
      try {
        const a = await get(url);
        const keys = a.status === 200 ? (JSON.parse(a.body) as { keys?: Array<{ kid?: string }> }).keys : undefined;
        if (!keys || !ok(keys, url)) throw new Error(`HTTP ${a.status}: ${a.body.slice(0, 120)}`);
      } catch (err) {
        result.failed++;
        if (result.failures.length < 20) {
          result.failures.push(`${t} ${url}: ${(err as Error).message}`);
          result.details.push({ at, url, message: (err as Error).message });
        }
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const loops = urls.map(loop);
  return {
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** A metric's value summed over its series whose labels include `labels`. */
export function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  return text.split('\n')
    .filter((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

/** Applies manifests/samples/ (their issuers are http://localhost:8080, allowed by their annotation). */
export async function applyYaml(yaml: string, namespace?: string): Promise<void> {
  await kubectl(['apply', ...(namespace ? ['-n', namespace] : []), '-f', '-'], yaml);
}
