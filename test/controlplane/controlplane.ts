// Starts a real etcd + kube-apiserver + kube-controller-manager on free loopback ports with
// temporary data (docs/architecture.md#tests-against-a-real-control-plane, flags modelled on controller-runtime's envtest), writes an admin
// kubeconfig (static token, RBAC on) and stops everything again, including on crash or signal.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import https from 'node:https';
import forge from 'node-forge';

const here = dirname(fileURLToPath(import.meta.url));

export interface ControlPlane {
  /** https://127.0.0.1:PORT */
  server: string;
  kubeconfigPath: string;
  dataDir: string;
  /** http://127.0.0.1:PORT, for another API server on the same store (test/interop/). */
  etcdURL: string;
  /**
   * Process-group ids of the three processes in start order (etcd, kube-apiserver,
   * kube-controller-manager), for teardown from another process.
   */
  pgids: number[];
  /** Set when started with StartOptions.pods: the address pods reach the API server on. */
  podsAddress?: string;
}

/** Index of kube-apiserver in ControlPlane.pgids. */
const APISERVER = 1;

export interface StartOptions {
  /** Where data, certificates and logs go; a fresh temporary folder when omitted. */
  dataDir?: string;
  /** Keep processes running after this Node process exits (make dev-cluster). */
  detached?: boolean;
  log?: (line: string) => void;
  /**
   * Serve pods on a node (test/node/): the API server binds and advertises on `address` (the pod
   * bridge's gateway, so the `kubernetes` Service's endpoint is reachable from pods), admits
   * ServiceAccounts (token volumes), reaches kubelets with a client certificate, and the controller
   * manager runs the workload controllers and publishes the root CA to every namespace.
   */
  pods?: { address: string };
}

/** What a Deployment, a Service and a PodDisruptionBudget need, beside the default set. */
const POD_CONTROLLERS = [
  'deployment-controller', 'replicaset-controller', 'endpoints-controller', 'endpointslice-controller',
  'disruption-controller', 'root-ca-certificate-publisher-controller', 'pod-garbage-collector-controller',
  // Lifts the not-ready taint the API server puts on a new Node once the kubelet reports Ready.
  'node-lifecycle-controller',
];

/** Builds (once per pinned version) or finds the binaries; returns their folder. */
export function binaries(): string {
  const out = execFileSync('bash', [join(here, 'build.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return out.toString().trim().split('\n').pop() ?? '';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * A self-signed serving certificate for 127.0.0.1/localhost (and, for pods, the bridge address and the
 * `kubernetes` Service's names and ClusterIP), so clients verify the API server.
 */
function servingCert(podsAddress?: string, commonName = 'signet-test-apiserver', extKeyUsage: Record<string, boolean> = { serverAuth: true }): { cert: string; key: string } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 24 * 3600_000);
  const attrs = [{ name: 'commonName', value: commonName }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, keyCertSign: true },
    { name: 'extKeyUsage', ...extKeyUsage },
    { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }, ...(podsAddress ? podSANs(podsAddress) : [])] },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: forge.pki.privateKeyToPem(keys.privateKey) };
}

function podSANs(address: string): { type: number; ip?: string; value?: string }[] {
  const names = ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  return [{ type: 7, ip: address }, { type: 7, ip: KUBERNETES_SERVICE_IP }, ...names.map((value) => ({ type: 2, value }))];
}

/** The first address of --service-cluster-ip-range: the `kubernetes` Service's ClusterIP. */
export const KUBERNETES_SERVICE_IP = '10.0.0.1';

function kubeconfig(server: string, caPem: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: signet-test',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${token}`,
    'contexts:',
    '- name: signet-test',
    '  context: {cluster: signet-test, user: admin, namespace: default}',
    'current-context: signet-test',
    '',
  ].join('\n');
}

const logFiles = new WeakMap<ChildProcess, string>();

/** The last lines of a log file: what a failed start prints, since CI keeps no temporary files. */
function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

function logTail(child: ChildProcess): string {
  const file = logFiles.get(child);
  return file ? tail(file) : '';
}

function startProcess(bin: string, args: string[], logFile: string, detached: boolean): ChildProcess {
  const fd = openSync(logFile, 'a');
  // Own process group: teardown kills the group, so nothing a binary forks is left behind.
  const child = spawn(bin, args, { stdio: ['ignore', fd, fd], detached: true });
  if (detached) child.unref();
  logFiles.set(child, logFile);
  return child;
}

async function waitFor(what: string, deadlineMs: number, check: () => Promise<boolean>, children: ChildProcess[]): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const dead = children.find((c) => c.exitCode !== null || c.signalCode !== null);
    if (dead) throw new Error(`${what}: ${dead.spawnfile} exited (${dead.exitCode ?? dead.signalCode}); its log ends:\n${logTail(dead)}`);
    if (await check().catch(() => false)) return;
    if (Date.now() > until) throw new Error(`${what}: not ready after ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function httpsGetOk(url: string, ca: string, token: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(url, { ca, headers: { Authorization: `Bearer ${token}` }, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

function httpGetOk(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    import('node:http').then(({ default: http }) => {
      const req = http.get(url, { timeout: 2000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
    }, () => resolve(false));
  });
}

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? (() => undefined);
  const bin = binaries();
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'signet-cp-'));
  mkdirSync(dataDir, { recursive: true });
  const pki = join(dataDir, 'pki');
  mkdirSync(pki, { recursive: true });

  const token = randomBytes(24).toString('hex');
  const podsAddress = opts.pods?.address;
  const { cert, key } = servingCert(podsAddress);
  writeFileSync(join(pki, 'serving.crt'), cert);
  writeFileSync(join(pki, 'serving.key'), key, { mode: 0o600 });
  if (podsAddress) {
    // Self-signed, so it is its own CA: the kubelet trusts it (x509 clientCAFile) and nothing else.
    const client = servingCert(undefined, 'kube-apiserver-kubelet-client', { clientAuth: true });
    writeFileSync(join(pki, 'kubelet-client.crt'), client.cert);
    writeFileSync(join(pki, 'kubelet-client.key'), client.key, { mode: 0o600 });
  }
  writeFileSync(join(pki, 'tokens.csv'), `${token},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  const sa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(pki, 'sa.key'), sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(join(pki, 'sa.pub'), sa.publicKey.export({ type: 'spki', format: 'pem' }));

  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const children: ChildProcess[] = [];
  const t0 = Date.now();
  try {
    const etcdUrl = `http://127.0.0.1:${etcdClient}`;
    children.push(startProcess(join(bin, 'etcd'), [
      `--data-dir=${join(dataDir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeer}`, `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeer}`,
      `--initial-cluster=default=http://127.0.0.1:${etcdPeer}`,
      '--unsafe-no-fsync=true', '--log-level=warn', '--quota-backend-bytes=8589934592',
    ], join(dataDir, 'etcd.log'), !!opts.detached));
    await waitFor('etcd', 30_000, () => httpGetOk(`${etcdUrl}/health`), children);
    log(`etcd ready after ${Date.now() - t0} ms`);

    // A port found free can be taken by a parallel test before the API server binds it: try another.
    let server = '';
    for (let attempt = 1; ; attempt++) {
      const port = attempt === 1 ? apiPort : await freePort();
      server = `https://${podsAddress ?? '127.0.0.1'}:${port}`;
      const apiLog = join(dataDir, 'kube-apiserver.log');
      const apiServer = startProcess(join(bin, 'kube-apiserver'), apiServerArgs(etcdUrl, port, pki, podsAddress), apiLog, !!opts.detached);
      try {
        await waitFor('kube-apiserver', 60_000, () => httpsGetOk(`${server}/readyz`, cert, token), [...children, apiServer]);
        children.push(apiServer);
        break;
      } catch (err) {
        if (attempt >= 3 || apiServer.exitCode === null || !/address already in use/.test(tail(apiLog))) {
          children.push(apiServer);
          throw err;
        }
        log(`kube-apiserver: port ${port} was taken, trying another`);
      }
    }
    log(`kube-apiserver ready after ${Date.now() - t0} ms`);

    const kubeconfigPath = join(dataDir, 'kubeconfig');
    writeFileSync(kubeconfigPath, kubeconfig(server, cert, token), { mode: 0o600 });
    const kcmPort = await freePort();
    children.push(startProcess(join(bin, 'kube-controller-manager'), [
      `--kubeconfig=${kubeconfigPath}`, `--authentication-kubeconfig=${kubeconfigPath}`, `--authorization-kubeconfig=${kubeconfigPath}`,
      `--controllers=${['garbage-collector-controller', 'namespace-controller', 'serviceaccount-token-controller', 'serviceaccount-controller', ...(podsAddress ? POD_CONTROLLERS : [])].join(',')}`,
      `--service-account-private-key-file=${join(pki, 'sa.key')}`,
      ...(podsAddress ? [`--root-ca-file=${join(pki, 'serving.crt')}`] : []),
      '--leader-elect=false', '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`,
      '--use-service-account-credentials=false', `--cert-dir=${join(pki, 'kcm')}`,
    ], join(dataDir, 'kube-controller-manager.log'), !!opts.detached));
    await waitFor('kube-controller-manager', 60_000, () => kcmHealthy(kcmPort), children);
    log(`kube-controller-manager healthy after ${Date.now() - t0} ms`);

    const cp: ControlPlane = { server, kubeconfigPath, dataDir, etcdURL: etcdUrl, pgids: children.map((c) => c.pid ?? 0), ...(podsAddress ? { podsAddress } : {}) };
    writeFileSync(join(dataDir, 'controlplane.json'), JSON.stringify(cp));
    return cp;
  } catch (err) {
    killGroups(children.map((c) => c.pid ?? 0));
    throw new Error(`${(err as Error).message}; logs in ${dataDir}`, { cause: err });
  }
}

/**
 * The kube-apiserver's flags (envtest's model); the interop suite's second API server adds to them.
 * With `podsAddress` (StartOptions.pods) it serves pods on a node.
 */
export function apiServerArgs(etcdUrl: string, port: number, pki: string, podsAddress?: string): string[] {
  const address = podsAddress ?? '127.0.0.1';
  const pods = podsAddress
    ? [`--kubelet-client-certificate=${join(pki, 'kubelet-client.crt')}`, `--kubelet-client-key=${join(pki, 'kubelet-client.key')}`,
        '--kubelet-preferred-address-types=InternalIP']
    : ['--disable-admission-plugins=ServiceAccount'];
  return [
    `--etcd-servers=${etcdUrl}`,
    `--bind-address=${address}`, `--secure-port=${port}`, `--advertise-address=${address}`,
    `--tls-cert-file=${join(pki, 'serving.crt')}`, `--tls-private-key-file=${join(pki, 'serving.key')}`,
    `--token-auth-file=${join(pki, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    `--service-account-key-file=${join(pki, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(pki, 'sa.key')}`,
    '--service-account-issuer=https://kubernetes.default.svc',
    '--service-cluster-ip-range=10.0.0.0/24',
    '--allow-privileged=true', ...pods,
    '--enable-priority-and-fairness=false',
    `--cert-dir=${pki}`,
  ];
}

/** Stops the API server's process group (SIGSTOP): connections stay open and nothing answers. */
export function freezeApiServer(cp: ControlPlane): void {
  process.kill(-(cp.pgids[APISERVER] ?? 0), 'SIGSTOP');
}

export function thawApiServer(cp: ControlPlane): void {
  process.kill(-(cp.pgids[APISERVER] ?? 0), 'SIGCONT');
}

/**
 * Stops kube-apiserver (SIGTERM, then SIGKILL after `graceMs`), leaves it down for `downMs`, and
 * starts it again on the same etcd, port and certificates, as an upgrade or a crash would, and
 * waits until it is ready.
 * `cp.pgids` (and the reaper's record) name the new one.
 */
export async function restartApiServer(cp: ControlPlane, opts: { graceMs?: number; downMs?: number; onStopped?: () => void } = {}): Promise<void> {
  const pgid = cp.pgids[APISERVER] ?? 0;
  killGroups([pgid]);
  const until = Date.now() + (opts.graceMs ?? 10_000);
  while (alive(pgid) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  if (alive(pgid)) killGroups([pgid], 'SIGKILL');
  while (alive(pgid) && Date.now() < until + 5000) await new Promise((r) => setTimeout(r, 20));
  opts.onStopped?.();
  if (opts.downMs) await new Promise((r) => setTimeout(r, opts.downMs));
  const pki = join(cp.dataDir, 'pki');
  const port = Number(new URL(cp.server).port);
  const child = startProcess(join(binaries(), 'kube-apiserver'), apiServerArgs(cp.etcdURL, port, pki, cp.podsAddress), join(cp.dataDir, 'kube-apiserver.log'), true);
  cp.pgids[APISERVER] = child.pid ?? 0;
  writeFileSync(join(cp.dataDir, 'controlplane.json'), JSON.stringify(cp));
  if (existsSync(pgidsFile(cp.dataDir))) recordPgids(cp);
  const ca = readFileSync(join(pki, 'serving.crt'), 'utf8');
  const token = readFileSync(join(pki, 'tokens.csv'), 'utf8').split(',')[0] ?? '';
  await waitFor('restarted kube-apiserver', 60_000, () => httpsGetOk(`${cp.server}/readyz`, ca, token), [child]);
}

/** The controller manager serves its own self-signed certificate on loopback; health is what matters. */
function kcmHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = https.get(`https://127.0.0.1:${port}/healthz`, { rejectUnauthorized: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

export function killGroups(pgids: number[], signal: NodeJS.Signals = 'SIGTERM'): void {
  for (const pgid of pgids.filter((p) => p > 0).reverse()) {
    try {
      process.kill(-pgid, signal);
      // A frozen process (freezeApiServer) acts on SIGTERM only once it runs again.
      if (signal === 'SIGTERM') process.kill(-pgid, 'SIGCONT');
    } catch { /* already gone */ }
  }
}

/** Where the reaper finds the process groups to kill, rewritten when one is restarted. */
function pgidsFile(dataDir: string): string {
  return join(dataDir, 'reaper-pgids');
}

function recordPgids(cp: Pick<ControlPlane, 'pgids' | 'dataDir'>): void {
  writeFileSync(pgidsFile(cp.dataDir), cp.pgids.filter((p) => p > 0).map((p) => `-${p}`).join(' '));
}

/**
 * A detached watchdog that tears the control plane down once `ownerPid` is gone, however it died
 * (even SIGKILL), so a crashed test run leaves no processes behind.
 */
export function spawnReaper(cp: Pick<ControlPlane, 'pgids' | 'dataDir'>, ownerPid: number): void {
  recordPgids(cp);
  // The groups are read when the owner is gone, so an API server restarted since is reaped too.
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; groups=$(cat '${pgidsFile(cp.dataDir)}' 2>/dev/null); ` +
    `[ -n "$groups" ] && { kill -TERM $groups 2>/dev/null; kill -CONT $groups 2>/dev/null; sleep 5; kill -KILL $groups 2>/dev/null; }; rm -rf '${cp.dataDir}'`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function alive(pgid: number): boolean {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
}

/** SIGTERM each group, wait up to `graceMs`, then SIGKILL what is left. */
export async function stopControlPlane(cp: Pick<ControlPlane, 'pgids' | 'dataDir'>, opts: { removeData: boolean; graceMs?: number }): Promise<void> {
  killGroups(cp.pgids);
  const until = Date.now() + (opts.graceMs ?? 10_000);
  while (cp.pgids.some((p) => p > 0 && alive(p)) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  killGroups(cp.pgids.filter((p) => p > 0 && alive(p)), 'SIGKILL');
  if (opts.removeData) rmSync(cp.dataDir, { recursive: true, force: true });
}

export function readControlPlane(dataDir: string): ControlPlane | undefined {
  const f = join(dataDir, 'controlplane.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as ControlPlane) : undefined;
}
