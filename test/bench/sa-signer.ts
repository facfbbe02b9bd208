// Signet as the kube-apiserver's service-account token signer (docs/architecture.md#the-service-account-issuer, issue 18). Two figures:
//
// 1. Sign RPCs per second over the ExternalJWTSigner socket, at 1 and at 16 concurrent callers, for
//    RS256 (2048) and ES256: the operator as built, pinned to core 1, with the AuthServer's own key;
//    this process (the caller, as the kube-apiserver is) on core 0. The reference is raw crypto.sign
//    of the same signing input with the same key in a process pinned to core 1, measured before and
//    after each run (this machine's speed drifts); ratio = RPC rate / mean raw rate, the median of
//    ROUNDS rounds. p50 and p99 per RPC beside it. The gRPC round trip costs more than an ES256
//    signature, so a bare grpc-js server that only signs (same proto, same core, same caller) runs
//    in each round too: Signet's rate against it is the overhead Signet itself adds.
// 2. TokenRequest latency through a kube-apiserver whose signer is Signet's socket, against the same
//    kube-apiserver (same flags, same etcd) with a key file: sequential requests, interleaved in
//    rounds, p50 and p99 of each and the ratio of the p50s.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../src/api/types.js';
import { eventually } from '../support/eventually.js';
import { externalJwtClient, type ExternalJwtClient } from '../support/externaljwt-client.js';
import { startSignerApiServer, type SignerApiServer } from '../support/sa-signer.js';
import { heading, machine, ms, percentile, REPO_ROOT, type Bench } from './support/bench.js';
import { startBenchCluster, startBenchOperator, stopBenchCluster, stopBenchOperator, type BenchCluster } from './support/cluster.js';
import { pinned, runCommand } from './support/tools.js';

const NAMESPACE = 'bench-sa';
const SERVER_CPU = 1;
const CALLER_CPU = 0;
const CONCURRENCY = [1, 16] as const;
const ROUND_S = 2;
const ROUNDS = 3;
const RAW_S = 1;
const TOKEN_REQUESTS = 200;
const TOKEN_ROUNDS = 4;
const ALGS = ['RS256', 'ES256'] as const;
type Alg = (typeof ALGS)[number];

/** What a bound service-account token carries (kubernetes.io claims included), as the kube-apiserver sends it. */
function claims(issuer: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: [issuer], exp: now + 3600, iat: now, nbf: now, iss: issuer, jti: '2f1c6a0e-5d2b-4c59-9d6f-0b1c2d3e4f50',
    sub: `system:serviceaccount:${NAMESPACE}:app`,
    'kubernetes.io': { namespace: NAMESPACE, serviceaccount: { name: 'app', uid: '8d1e4a52-7f1b-4b8e-9a0c-3c9d1e2f3a4b' }, node: { name: 'node-1', uid: '0b9f6c1e-2d3a-4e5f-8a7b-6c5d4e3f2a1b' }, pod: { name: 'app-7d9c8b6f5-x2x4z', uid: '5c4b3a29-1e0d-4f8e-b7a6-958473625140' } },
  };
}

/** Raw crypto.sign operations per second of `input` with the PEM key, in a process pinned to the server's core. */
async function rawSignRate(alg: Alg, pem: string, input: string): Promise<number> {
  const script = `
    import { createPrivateKey, sign } from 'node:crypto';
    const key = createPrivateKey(process.env.KEY);
    const data = Buffer.from(process.env.INPUT);
    const opts = process.env.ALG === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
    const until = performance.now() + ${RAW_S * 1000};
    let n = 0;
    while (performance.now() < until) { sign('sha256', data, opts); n++; }
    process.stdout.write(String(n / ${RAW_S}));`;
  const env = { ...process.env, KEY: pem, INPUT: input, ALG: alg, NODE_OPTIONS: '' };
  const argv = pinned(SERVER_CPU, [process.execPath, '--input-type=module', '-e', script]);
  const [cmd = '', ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Number(out)) : reject(new Error(`raw crypto.sign exited with ${code}`))));
  });
}

/**
 * The bare reference: a grpc-js server on its own socket, pinned to the server's core, that loads the
 * same proto and answers Sign with one crypto.sign and nothing else (no keyring, no issuer check, no
 * metrics): what any Node ExternalJWTSigner must spend per RPC.
 */
async function startBareSigner(alg: Alg, pem: string, kid: string, socket: string): Promise<{ stop: () => void }> {
  const script = `
    import * as grpc from '@grpc/grpc-js';
    import * as protoLoader from '@grpc/proto-loader';
    import { createPrivateKey, sign } from 'node:crypto';
    const key = createPrivateKey(process.env.KEY);
    const opts = process.env.ALG === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key;
    const header = Buffer.from(JSON.stringify({ alg: process.env.ALG, kid: process.env.KID, typ: 'JWT' })).toString('base64url');
    const pkg = protoLoader.loadSync(process.env.PROTO, { keepCase: false, longs: Number, defaults: true });
    const server = new grpc.Server();
    server.addService(grpc.loadPackageDefinition(pkg).v1.ExternalJWTSigner.service, {
      Sign: (call, cb) => cb(null, { header, signature: sign('sha256', Buffer.from(header + '.' + call.request.claims), opts).toString('base64url') }),
      FetchKeys: (_c, cb) => cb(null, { keys: [] }),
      Metadata: (_c, cb) => cb(null, { maxTokenExpirationSeconds: 3600 }),
    });
    server.bindAsync('unix:' + process.env.SOCKET, grpc.ServerCredentials.createInsecure(), (err) => { if (err) throw err; process.stdout.write('ready'); });`;
  const env = { ...process.env, KEY: pem, KID: kid, ALG: alg, SOCKET: socket, PROTO: path.join(REPO_ROOT, 'src/sa-signer/api.proto'), NODE_OPTIONS: '' };
  const [cmd = '', ...args] = pinned(SERVER_CPU, [process.execPath, '--input-type=module', '-e', script]);
  const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the bare grpc-js signer exited with ${code}`)));
  });
  return { stop: () => child.kill('SIGKILL') };
}

/** `concurrency` callers each issuing Sign one after the other for `seconds`: rate and latencies. */
async function signLoad(client: ExternalJwtClient, body: Record<string, unknown>, concurrency: number, seconds: number): Promise<{ rate: number; latencies: number[] }> {
  const latencies: number[] = [];
  const until = performance.now() + seconds * 1000;
  const caller = async (): Promise<void> => {
    while (performance.now() < until) {
      const t = performance.now();
      await client.sign(body);
      latencies.push(performance.now() - t);
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, caller));
  return { rate: latencies.length / ((performance.now() - t0) / 1000), latencies };
}

const median = (xs: number[]): number => percentile(xs, 50);

/** Creates the issuer AuthServer, waits for Ready and reads the key Signet generated for it. */
async function readyAuthServer(cluster: BenchCluster, name: string, alg: Alg, issuer: string): Promise<{ pem: string; kid: string }> {
  const { custom, core } = cluster.clients;
  const api = { group: GROUP, version: VERSION, plural: PLURAL, namespace: NAMESPACE };
  await custom.createNamespacedCustomObject({
    ...api, body: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AuthServer', metadata: { name }, spec: { issuerURI: issuer, tokenSignature: { signAndVerifyKeyRef: { name: `${name}-key` }, keyGeneration: { algorithm: alg } } } },
  });
  // test/support/authservers.ts reads KUBECONFIG when imported, before this benchmark's cluster exists.
  const as = await eventually(async () => {
    const got = await custom.getNamespacedCustomObject({ ...api, name }) as AuthServer;
    return got.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') && got.status.signingKeyID ? got : undefined;
  }, { what: `AuthServer ${name} Ready`, timeoutMs: 60_000, intervalMs: 200 });
  const secret = await core.readNamespacedSecret({ namespace: NAMESPACE, name: `${name}-key` });
  return { pem: Buffer.from(secret.data?.['key.pem'] ?? '', 'base64').toString(), kid: as.status?.signingKeyID ?? '' };
}

/** Every thread of pid onto `cpus` (a taskset list), when taskset exists. */
async function pinProcess(pid: number | undefined, cpus: string): Promise<void> {
  const [cmd] = pinned(0, ['true']);
  if (pid === undefined || !cmd?.endsWith('taskset')) return;
  await runCommand([cmd, '-a', '-p', '-c', cpus, String(pid)], 10_000);
}

async function benchSign(cluster: BenchCluster, dir: string, alg: Alg, tokenRequests?: (issuer: string, socket: string) => Promise<void>): Promise<void> {
  const name = `cluster-issuer-${alg.toLowerCase()}`;
  const issuer = `https://sa-issuer.signet.bench/${alg.toLowerCase()}`;
  const socket = path.join(dir, `${alg}.sock`);
  const op = await startBenchOperator(['--namespace', NAMESPACE, '--log-level', 'warn', '--service-account-signer-socket', socket,
    '--service-account-issuer', `${NAMESPACE}/${name}`, '--service-account-signer-state-file', path.join(dir, `${alg}.state.json`)]);
  let client: ExternalJwtClient | undefined;
  try {
    const { pem, kid } = await readyAuthServer(cluster, name, alg, issuer);
    await pinProcess(op.process.pid, String(SERVER_CPU));
    // The caller on the other core while it loads the socket; unpinned again for the API servers it starts.
    await pinProcess(process.pid, String(CALLER_CPU));
    client = externalJwtClient(socket);
    const body = claims(issuer);
    // The signing input as Signet makes it: the header it returns, then the claims.
    const first = await client.sign(body);
    const input = `${first.header}.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;
    const bare = await startBareSigner(alg, pem, kid, path.join(dir, `${alg}.bare.sock`));
    const bareClient = externalJwtClient(path.join(dir, `${alg}.bare.sock`));
    try {
      await signLoad(client, body, 16, 1); // warm-up
      await signLoad(bareClient, body, 16, 1);
      for (const concurrency of CONCURRENCY) {
        const toRaw: number[] = [];
        const toBare: number[] = [];
        const rates: number[] = [];
        const bareRates: number[] = [];
        const raws: number[] = [];
        const latencies: number[] = [];
        for (let r = 0; r < ROUNDS; r++) {
          const rawBefore = await rawSignRate(alg, pem, input);
          const got = await signLoad(client, body, concurrency, ROUND_S);
          const ref = await signLoad(bareClient, body, concurrency, ROUND_S);
          const rawAfter = await rawSignRate(alg, pem, input);
          const raw = (rawBefore + rawAfter) / 2;
          raws.push(raw);
          rates.push(got.rate);
          bareRates.push(ref.rate);
          toRaw.push(got.rate / raw);
          toBare.push(got.rate / ref.rate);
          latencies.push(...got.latencies);
        }
        const n = (x: number): string => Math.round(x).toLocaleString('en-US');
        console.log(`${alg} Sign, ${String(concurrency).padStart(2)} caller(s): Signet ${n(median(rates))} RPC/s (p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}); ` +
          `bare grpc-js signer ${n(median(bareRates))} RPC/s → ${median(toBare).toFixed(2)} of it (rounds ${toBare.map((x) => x.toFixed(2)).join(', ')}); ` +
          `raw crypto.sign ${n(median(raws))}/s on the same core → ${median(toRaw).toFixed(2)} of it`);
      }
    } finally {
      bareClient.close();
      bare.stop();
    }
    client.close();
    client = undefined;
    await pinProcess(process.pid, `0-${availableParallelism() - 1}`);
    await pinProcess(op.process.pid, `0-${availableParallelism() - 1}`);
    await tokenRequests?.(issuer, socket);
  } finally {
    client?.close();
    await stopBenchOperator(op);
  }
}

async function latencies(api: SignerApiServer, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const got = await api.tokenRequest(NAMESPACE, 'app', 3600);
    if (got.status !== 201) throw new Error(`TokenRequest answered ${got.status}: ${got.message}`);
    out.push(performance.now() - t);
  }
  return out;
}

/** TokenRequest through Signet's socket against the same API server with a key file (RS256 both). */
async function benchTokenRequest(dir: string, issuer: string, socket: string): Promise<void> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = path.join(dir, 'sa.key');
  const pubFile = path.join(dir, 'sa.pub');
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }));
  const withSignet = await startSignerApiServer({ issuer, mode: { socket } });
  const withFile = await startSignerApiServer({ issuer, mode: { keyFile, pubFile } });
  try {
    await latencies(withSignet, 20);
    await latencies(withFile, 20);
    const signet: number[] = [];
    const file: number[] = [];
    const per = TOKEN_REQUESTS / TOKEN_ROUNDS;
    for (let r = 0; r < TOKEN_ROUNDS; r++) {
      signet.push(...await latencies(withSignet, per));
      file.push(...await latencies(withFile, per));
    }
    const ratio = median(signet) / median(file);
    console.log(`TokenRequest (RS256, ${TOKEN_REQUESTS} sequential each, interleaved): Signet's socket p50 ${ms(median(signet))} p99 ${ms(percentile(signet, 99))}; key file p50 ${ms(median(file))} p99 ${ms(percentile(file, 99))} → p50 ratio ${ratio.toFixed(2)} (+${ms(median(signet) - median(file))} per token)`);
  } finally {
    await withSignet.stop();
    await withFile.stop();
  }
}

const bench: Bench = {
  name: 'sa-signer',
  description: 'ExternalJWTSigner Sign RPC/s (1 and 16 callers, RS256 and ES256) against raw crypto.sign on the same core; TokenRequest latency with Signet against a key file',
  async run() {
    heading('service-account signer (ExternalJWTSigner over a Unix socket)');
    console.log(machine());
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-bench-sa-'));
    let cluster: BenchCluster | undefined;
    try {
      cluster = await startBenchCluster();
      await cluster.clients.core.createNamespace({ body: { metadata: { name: NAMESPACE } } });
      await cluster.clients.core.createNamespacedServiceAccount({ namespace: NAMESPACE, body: { metadata: { name: 'app' } } });
      const c = cluster;
      for (const alg of ALGS) {
        await benchSign(c, dir, alg, alg === 'RS256' ? (issuer, socket) => benchTokenRequest(dir, issuer, socket) : undefined);
      }
    } finally {
      await stopBenchCluster(cluster);
    }
  },
};

export default bench;
