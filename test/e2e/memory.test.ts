// Memory under the pod's real cgroup limit (docs/architecture.md#tests-on-a-real-node): the chart's default install holding 0, 100 and
// 1,000 AuthServers with 3 user-provided RSA-2048 keys each (their own 3 Secrets), read from the
// container's memory cgroup on the node (the kubelet's cgroupfs layout, cgroup v1): the limit the
// kubelet set, the usage, the working set (usage minus inactive file pages, what the kubelet evicts and
// `kubectl top` reports by) and the peak. The container must never be OOM-killed and the working set
// must keep a quarter of the limit free.
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import { eventually } from '../support/eventually.js';
import { run, tool } from '../support/helm.js';
import { c, helmInstall, readyPods } from './support/cluster.js';

const NS = 'e2e-memory';
const RELEASE = 'memory';
const NAMESPACES = Array.from({ length: 10 }, (_, i) => `e2e-mem-${i}`);
const KEYS_PER_AUTHSERVER = 3;
const KEY_POOL = 24;
const CONCURRENCY = 24;
const HEADROOM = 0.75;
const MIB = 2 ** 20;
const log = (l: string): void => void process.stderr.write(`  e2e memory: ${l}\n`);
const api = { group: GROUP, version: VERSION, plural: PLURAL };
const generateKeyPairAsync = promisify(generateKeyPair);

interface Reading { limit: number; usage: number; workingSet: number; peak: number; rss: number; oomKills: number }

/** The container's memory cgroup on this node: kubepods/<qos>/pod<uid>/<container id>. */
function cgroupDir(pod: V1Pod): string {
  const id = pod.status!.containerStatuses![0]!.containerID!.replace(/^containerd:\/\//, '');
  const qos = pod.status!.qosClass!.toLowerCase();
  const base = '/sys/fs/cgroup/memory/kubepods';
  return `${qos === 'guaranteed' ? base : `${base}/${qos}`}/pod${pod.metadata!.uid}/${id}`;
}

function read(pod: V1Pod): Reading {
  const dir = cgroupDir(pod);
  const n = (f: string): number => Number(readFileSync(`${dir}/${f}`, 'utf8').trim());
  const stat = new Map(readFileSync(`${dir}/memory.stat`, 'utf8').trim().split('\n').map((l) => l.split(' ')).map(([k, v]) => [k ?? '', Number(v)]));
  const oom = /oom_kill (\d+)/.exec(readFileSync(`${dir}/memory.oom_control`, 'utf8'))?.[1];
  const usage = n('memory.usage_in_bytes');
  return {
    limit: n('memory.limit_in_bytes'), usage, workingSet: usage - (stat.get('total_inactive_file') ?? 0), peak: n('memory.max_usage_in_bytes'),
    rss: stat.get('total_rss') ?? 0, oomKills: Number(oom ?? 0),
  };
}

async function mapLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function createIgnoringConflict(create: () => Promise<unknown>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await create();
      return;
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code === 409) return;
      if (attempt >= 5 || (code !== undefined && code !== 429 && code < 500)) throw err;
      await new Promise((r) => setTimeout(r, 200 * attempt));
    }
  }
}

let pool: string[] = [];

async function grow(from: number, to: number): Promise<number> {
  const t0 = Date.now();
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  await mapLimit(indexes, CONCURRENCY, async (i) => {
    const namespace = NAMESPACES[i % NAMESPACES.length]!;
    const secrets = Array.from({ length: KEYS_PER_AUTHSERVER }, (_, k) => `issuer-${i}-key-${k}`);
    for (const [k, name] of secrets.entries()) {
      await createIgnoringConflict(() => c.core.createNamespacedSecret({ namespace, body: { metadata: { name }, type: 'Opaque', stringData: { 'key.pem': pool[(i * KEYS_PER_AUTHSERVER + k) % pool.length]! } } }));
    }
    const body = {
      apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name: `issuer-${i}` },
      spec: {
        issuerURI: `https://issuer-${i}.memory.e2e/`,
        tokenSignature: { signAndVerifyKeyRef: { name: secrets[0] }, extraVerifyKeyRefs: secrets.slice(1).map((name) => ({ name })), keyGeneration: { mode: 'Never' } },
      },
    };
    await createIgnoringConflict(() => c.custom.createNamespacedCustomObject({ ...api, namespace, body }));
  });
  await eventually(async () => {
    let ready = 0;
    for (const namespace of NAMESPACES) {
      const list = (await c.custom.listNamespacedCustomObject({ ...api, namespace })) as { items: AuthServer[] };
      ready += list.items.filter((as) => as.status?.observedGeneration === as.metadata.generation && as.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')).length;
    }
    return ready === to;
  }, { what: `${to} AuthServers Ready`, timeoutMs: 240_000, intervalMs: 1000 });
  return Date.now() - t0;
}

/** Five readings a second apart once the pod is Ready: the last one, and the highest peak. */
async function settled(): Promise<Reading> {
  const [pod] = await readyPods(NS, RELEASE, 1);
  let last = read(pod!);
  for (let i = 0; i < 4; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    last = read(pod!);
  }
  return last;
}

beforeAll(async () => {
  for (const name of NAMESPACES) await c.core.createNamespace({ body: { metadata: { name } } });
  pool = await Promise.all(Array.from({ length: KEY_POOL }, async () => {
    const { privateKey } = await generateKeyPairAsync('rsa', { modulusLength: 2048 });
    return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  }));
  await helmInstall(RELEASE, NS);
});

afterAll(async () => {
  await run(tool('helm'), ['uninstall', RELEASE, '--namespace', NS, '--wait']);
  for (const name of NAMESPACES) await c.core.deleteNamespace({ name }).catch(() => undefined);
});

test('0, 100 and 1,000 AuthServers (3 keys each) fit the chart\'s default memory limit with headroom, never OOM-killed', async () => {
  const rows: Array<{ authServers: number; readyMs: number } & Reading> = [];
  rows.push({ authServers: 0, readyMs: 0, ...(await settled()) });
  rows.push({ authServers: 100, readyMs: await grow(0, 100), ...(await settled()) });
  rows.push({ authServers: 1000, readyMs: await grow(100, 1000), ...(await settled()) });
  const mib = (b: number): string => (b / MIB).toFixed(1);
  log('AuthServers | limit MiB | usage MiB | working set MiB | peak MiB | rss MiB | oom kills | all Ready after');
  for (const r of rows) log(`${r.authServers} | ${mib(r.limit)} | ${mib(r.usage)} | ${mib(r.workingSet)} | ${mib(r.peak)} | ${mib(r.rss)} | ${r.oomKills} | ${r.readyMs} ms`);

  const [pod] = await readyPods(NS, RELEASE, 1);
  const status = pod!.status!.containerStatuses![0]!;
  expect({ restarts: status.restartCount, lastState: status.lastState?.terminated?.reason ?? 'none' }).toEqual({ restarts: 0, lastState: 'none' });
  const limit = Number(/^(\d+)Mi$/.exec(String(pod!.spec!.containers[0]!.resources!.limits!.memory))![1]) * MIB;
  for (const r of rows) {
    // The kubelet set the chart's limit on the container's cgroup: the readings are under the real limit.
    expect(r.limit).toBe(limit);
    expect(r.oomKills).toBe(0);
    expect(r.workingSet).toBeLessThan(limit * HEADROOM);
  }
});
