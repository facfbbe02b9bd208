// One real node for the e2e tests (docs/architecture.md#tests-on-a-real-node), beside the control plane of test/controlplane/:
// containerd (Debian's, with runc and the CNI plugins) in its own cgroup, a kubelet (cgroup v1,
// cgroupfs), kube-proxy (iptables) and kube-scheduler, built by build.sh at the control plane's
// Kubernetes version. Pods sit on the bridge `signet0` (10.244.0.0/24) in network namespaces made by
// the CNI bridge plugin; they have routes to the pod and Service ranges only, and a FORWARD rule drops
// anything from them that would leave through another interface: no traffic leaves the machine.
// teardown.sh stops everything; a reaper runs it when the owning process dies.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type ControlPlane } from '../controlplane/controlplane.js';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');

export const BRIDGE = 'signet0';
export const POD_CIDR = '10.244.0.0/24';
/** The bridge's own address: the pods' gateway, and where the API server listens for them. */
export const GATEWAY = '10.244.0.1';
export const SERVICE_CIDR = '10.0.0.0/24';
export const NODE_NAME = 'signet-node';
/**
 * containerd's image store, kept between runs (each image is imported once); state is per run. Outside
 * the repository, so that the unpacked images' files are never taken for the project's own.
 */
const CONTAINERD_ROOT = '/var/lib/signet-test-node/containerd';

export interface TestNode {
  name: string;
  dataDir: string;
  /** containerd's socket, for `ctr --address`. */
  containerdSocket: string;
  /** Process groups of containerd, kubelet, kube-proxy and kube-scheduler. */
  pgids: number[];
}

export interface NodeOptions {
  dataDir?: string;
  detached?: boolean;
  log?: (line: string) => void;
  /** docker-archive files to import into containerd's k8s.io namespace when their image is missing. */
  images?: { name: string; archive: string }[];
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Builds (once per pinned version) or finds kubelet, kube-scheduler and kube-proxy; returns their folder. */
export function nodeBinaries(): string {
  const out = execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return out.toString().trim().split('\n').pop() ?? '';
}

/** Checks what this machine must offer, and says what is missing and how to get it. */
export function checkHost(): void {
  const missing = ['containerd', 'runc', 'ctr', 'iptables', 'conntrack', 'ip'].filter((c) => {
    try { sh('bash', ['-c', `command -v ${c}`]); return false; } catch { return true; }
  });
  if (!existsSync('/usr/lib/cni/bridge')) missing.push('/usr/lib/cni/bridge');
  if (missing.length) throw new Error(`test node: missing ${missing.join(', ')}: run \`bash scripts/node-packages.sh\` (make e2e does)`);
  if (process.getuid?.() !== 0) throw new Error('test node: containerd, the kubelet and kube-proxy need root');
  if (!existsSync('/sys/fs/cgroup/memory') && !existsSync('/sys/fs/cgroup/cgroup.controllers')) {
    throw new Error('test node: no memory cgroup controller is mounted; the kubelet cannot enforce limits');
  }
  // Without br_netfilter, replies between pods on one bridge skip the Service NAT (modprobe is absent here).
  if (!existsSync('/proc/sys/net/bridge/bridge-nf-call-iptables')) {
    throw new Error('test node: /proc/sys/net/bridge is missing (br_netfilter is not loaded and modprobe is absent): Services between pods on one bridge cannot work');
  }
}

/** The bridge with the gateway address, forwarding on, bridged traffic through iptables, and the fence. */
export function prepareNetwork(): void {
  const links = sh('ip', ['-br', 'link', 'show']);
  if (!links.split('\n').some((l) => l.split(/\s+/)[0] === BRIDGE)) sh('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  const addrs = sh('ip', ['-br', 'addr', 'show', 'dev', BRIDGE]);
  if (!addrs.includes(`${GATEWAY}/`)) sh('ip', ['addr', 'add', `${GATEWAY}/24`, 'dev', BRIDGE]);
  sh('ip', ['link', 'set', BRIDGE, 'up']);
  // The host's own requests to ClusterIPs (tests poll Services) leave from the bridge address, never eth0.
  sh('ip', ['route', 'replace', SERVICE_CIDR, 'dev', BRIDGE, 'src', GATEWAY]);
  writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
  writeFileSync('/proc/sys/net/bridge/bridge-nf-call-iptables', '1');
  // Nothing from the pods goes anywhere but the bridge (the host's own addresses are local, not forwarded).
  const fence = ['FORWARD', '-s', POD_CIDR, '!', '-o', BRIDGE, '-j', 'DROP', '-m', 'comment', '--comment', 'signet test node: pods stay on the machine'];
  try { sh('iptables', ['-C', ...fence]); } catch { sh('iptables', ['-I', ...fence]); }
}

function cniConfig(dataDir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'signet-test',
    plugins: [{
      type: 'bridge', bridge: BRIDGE, isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: 'host-local', dataDir: join(dataDir, 'cni/ipam'),
        ranges: [[{ subnet: POD_CIDR, gateway: GATEWAY }]],
        // No default route: a pod can reach the pod and Service ranges and nothing else.
        routes: [{ dst: SERVICE_CIDR }],
      },
    }, { type: 'portmap', capabilities: { portMappings: true } }],
  }, null, 2);
}

function containerdConfig(dataDir: string, sandboxImage: string): string {
  return `version = 2
root = "${CONTAINERD_ROOT}"
state = "${join(dataDir, 'containerd/state')}"
[grpc]
  address = "${join(dataDir, 'containerd/containerd.sock')}"
[ttrpc]
  address = "${join(dataDir, 'containerd/containerd.sock.ttrpc')}"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "${sandboxImage}"
  # No CAP_SYS_RESOURCE on this machine: an oom_score_adj below containerd's own (the kubelet asks -998
  # for sandboxes, -997 for Guaranteed pods) cannot be set; cap it there instead of failing every pod.
  restrict_oom_score_adj = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "${join(dataDir, 'cni/net.d')}"
`;
}

function kubeletConfig(dataDir: string, sock: string, port: number, healthzPort: number, clientCA: string): string {
  return JSON.stringify({
    apiVersion: 'kubelet.config.k8s.io/v1beta1',
    kind: 'KubeletConfiguration',
    // This machine has cgroup v1 only (cgroup2 at /sys/fs/cgroup/unified holds no controllers).
    failCgroupV1: false,
    cgroupDriver: 'cgroupfs',
    address: GATEWAY, port, readOnlyPort: 0,
    healthzBindAddress: '127.0.0.1', healthzPort,
    // Only the API server (its kubelet client certificate) may call the kubelet: logs, exec, port-forward.
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: clientCA } },
    authorization: { mode: 'AlwaysAllow' },
    containerRuntimeEndpoint: `unix://${sock}`,
    resolvConf: join(dataDir, 'resolv.conf'),
    failSwapOn: false,
    serializeImagePulls: false,
    evictionHard: { 'memory.available': '100Mi', 'nodefs.available': '2%', 'imagefs.available': '2%' },
    nodeStatusUpdateFrequency: '5s',
    syncFrequency: '10s',
    shutdownGracePeriod: '0s',
    rotateCertificates: false,
    kubeAPIQPS: 100, kubeAPIBurst: 200,
  }, null, 2);
}

function kubeProxyConfig(kubeconfig: string, healthz: number, metrics: number): string {
  return JSON.stringify({
    apiVersion: 'kubeproxy.config.k8s.io/v1alpha1',
    kind: 'KubeProxyConfiguration',
    clientConnection: { kubeconfig },
    hostnameOverride: NODE_NAME,
    mode: 'iptables',
    clusterCIDR: POD_CIDR,
    healthzBindAddress: `127.0.0.1:${healthz}`,
    metricsBindAddress: `127.0.0.1:${metrics}`,
    // 0: leave the host's conntrack settings as they are.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: '0s', tcpCloseWaitTimeout: '0s' },
    iptables: { localhostNodePorts: false, syncPeriod: '30s', minSyncPeriod: '0s' },
    oomScoreAdj: 0,
    nodePortAddresses: [`${GATEWAY}/32`],
  }, null, 2);
}

function start(bin: string, args: string[], log: string, detached: boolean): ChildProcess {
  const fd = openSync(log, 'a');
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true });
  if (detached) child.unref();
  return child;
}

async function until(what: string, ms: number, check: () => boolean | Promise<boolean>, children: ChildProcess[], logs: string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}); logs in ${logs}`);
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not after ${ms} ms; logs in ${logs}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function kubectl(kubeconfig: string, args: string[]): string {
  return sh(join(repoRoot, '.tools/bin/kubectl'), ['--kubeconfig', kubeconfig, ...args]);
}

/** Imports each archive whose image containerd does not hold yet. */
export function importImages(sock: string, images: { name: string; archive: string }[], log: (l: string) => void): void {
  const ctr = ['--address', sock, '-n', 'k8s.io'];
  const have = sh('ctr', [...ctr, 'images', 'ls', '-q']).split('\n');
  for (const { name, archive } of images) {
    if (have.includes(name)) continue;
    const t0 = Date.now();
    sh('ctr', [...ctr, 'images', 'import', '--no-unpack=false', archive]);
    log(`imported ${name} into containerd in ${Date.now() - t0} ms`);
  }
}

/** Starts the node against a control plane started with `pods: { address: GATEWAY }`; resolves once the node is Ready. */
export async function startNode(cp: ControlPlane, opts: NodeOptions = {}): Promise<TestNode> {
  const log = opts.log ?? (() => undefined);
  if (cp.podsAddress !== GATEWAY) throw new Error(`test node: start the control plane with pods: {address: '${GATEWAY}'} (it listens on ${cp.server})`);
  checkHost();
  const bin = nodeBinaries();
  const [sandboxImage, sandboxArchive] = sh('bash', [join(here, 'pause-image.sh')]).trim().split(' ') as [string, string];
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'signet-node-'));
  for (const d of ['containerd/state', 'cni/net.d', 'cni/ipam', 'kubelet', 'pki']) mkdirSync(join(dataDir, d), { recursive: true });
  mkdirSync(CONTAINERD_ROOT, { recursive: true });
  writeFileSync(join(dataDir, 'node-bin'), bin);
  const sock = join(dataDir, 'containerd/containerd.sock');
  const pki = join(cp.dataDir, 'pki');
  writeFileSync(join(dataDir, 'containerd/config.toml'), containerdConfig(dataDir, sandboxImage));
  writeFileSync(join(dataDir, 'cni/net.d/10-signet.conflist'), cniConfig(dataDir));
  // No cluster DNS here: pods reach the API server by KUBERNETES_SERVICE_HOST, and have no route out.
  writeFileSync(join(dataDir, 'resolv.conf'), '# signet test node: no DNS\n');
  const [kubeletPort, kubeletHealthz, proxyHealthz, proxyMetrics, schedPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
  writeFileSync(join(dataDir, 'kubelet/config.json'), kubeletConfig(dataDir, sock, kubeletPort, kubeletHealthz, join(pki, 'kubelet-client.crt')));
  writeFileSync(join(dataDir, 'kube-proxy.json'), kubeProxyConfig(cp.kubeconfigPath, proxyHealthz, proxyMetrics));

  prepareNetwork();
  // containerd's shims are its children: in their own cgroup, teardown.sh finds and stops every one.
  const cgroup = `/sys/fs/cgroup/pids/signet-node-${Date.now()}`;
  mkdirSync(cgroup, { recursive: true });
  writeFileSync(join(dataDir, 'containerd-cgroup'), cgroup);
  const children: ChildProcess[] = [];
  const record = (): void => writeFileSync(join(dataDir, 'node-pgids'), children.map((c) => c.pid ?? 0).filter((p) => p > 0).join(' '));
  const t0 = Date.now();
  try {
    children.push(start('bash', ['-c', `echo $$ >${cgroup}/cgroup.procs && exec containerd --config ${join(dataDir, 'containerd/config.toml')}`], join(dataDir, 'containerd.log'), !!opts.detached));
    record();
    await until('containerd', 30_000, () => { sh('ctr', ['--address', sock, 'version']); return true; }, children, dataDir);
    log(`containerd ready after ${Date.now() - t0} ms`);
    importImages(sock, [{ name: sandboxImage, archive: sandboxArchive }, ...(opts.images ?? [])], log);

    children.push(start(join(bin, 'kubelet'), [
      `--config=${join(dataDir, 'kubelet/config.json')}`, `--kubeconfig=${cp.kubeconfigPath}`,
      `--root-dir=${join(dataDir, 'kubelet')}`, `--cert-dir=${join(dataDir, 'pki')}`,
      `--hostname-override=${NODE_NAME}`, `--node-ip=${GATEWAY}`, '--oom-score-adj=0', '--v=1',
    ], join(dataDir, 'kubelet.log'), !!opts.detached));
    children.push(start(join(bin, 'kube-proxy'), [`--config=${join(dataDir, 'kube-proxy.json')}`], join(dataDir, 'kube-proxy.log'), !!opts.detached));
    children.push(start(join(bin, 'kube-scheduler'), [
      `--kubeconfig=${cp.kubeconfigPath}`, `--authentication-kubeconfig=${cp.kubeconfigPath}`, `--authorization-kubeconfig=${cp.kubeconfigPath}`,
      '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${schedPort}`,
    ], join(dataDir, 'kube-scheduler.log'), !!opts.detached));
    record();
    await until('node Ready', 90_000, () => kubectl(cp.kubeconfigPath, ['get', 'node', NODE_NAME, '-o', 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === 'True', children, dataDir);
    log(`node ${NODE_NAME} Ready after ${Date.now() - t0} ms`);
    const node: TestNode = { name: NODE_NAME, dataDir, containerdSocket: sock, pgids: children.map((c) => c.pid ?? 0) };
    writeFileSync(join(dataDir, 'node.json'), JSON.stringify(node));
    return node;
  } catch (err) {
    stopNode({ dataDir }, { removeData: false });
    throw err;
  }
}

/** Stops everything the node started (teardown.sh). */
export function stopNode(node: Pick<TestNode, 'dataDir'>, opts: { removeData: boolean }): void {
  execFileSync('bash', [join(here, 'teardown.sh'), node.dataDir, ...(opts.removeData ? [] : ['--keep-data'])], { stdio: 'inherit' });
}

/** Runs teardown.sh once `ownerPid` is gone, however it died. */
export function spawnNodeReaper(node: Pick<TestNode, 'dataDir'>, ownerPid: number): void {
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; bash '${join(here, 'teardown.sh')}' '${node.dataDir}'`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

export function readNode(dataDir: string): TestNode | undefined {
  const f = join(dataDir, 'node.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as TestNode) : undefined;
}
