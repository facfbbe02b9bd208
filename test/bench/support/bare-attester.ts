// The bare reference for serving while every signing Secret is touched (test/bench/scale.ts): only
// the work a leader cannot avoid, with no operator around it. It serves one fixed JWKS body with
// node:http, watches the AuthServers and Secrets' metadata, and for each watched signing Secret that changes it GETs the
// Secret and writes its AuthServer's status with the new version in status.attestedSecrets (what
// Signet writes then, without parsing, sealing or deciding anything), 16 at a time as Signet's
// default --concurrency. It exposes the three figures the benchmark reads from Signet's /metrics
// under Signet's names: writes done, queue depth, event-loop delay.
// Run as a child process: BARE_JWKS_FILE=body.json node --import tsx bare-attester.ts; it prints
// {"jwksPort":…,"metricsPort":…} on stdout once it has listed the AuthServers and started watching.
import { KubeConfig } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../../../src/api/types.js';

const CONCURRENCY = 16;
const kc = new KubeConfig();
kc.loadFromDefault();
const server = new URL(kc.getCurrentCluster()?.server ?? '');
const tlsOptions: https.RequestOptions = {};
await kc.applyToHTTPSOptions(tlsOptions);
const agent = new https.Agent({ ...tlsOptions, keepAlive: true } as https.AgentOptions);

function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request({
      host: server.hostname, port: server.port, path, method, agent,
      headers: { ...tlsOptions.headers, Accept: 'application/json', ...(payload !== undefined && { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) }) },
    }, (res) => {
      if (path.includes('watch=1')) return resolve({ status: res.statusCode ?? 0, text: '', res });
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8'), res }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const authServers = new Map<string, AuthServer>();
const bySigningSecret = new Map<string, string>();
const asPath = (ns: string, name: string): string => `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}/${name}`;
let cont: string | undefined;
let asSince = '';
do {
  const page = JSON.parse((await call('GET', `/apis/${GROUP}/${VERSION}/${PLURAL}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`)).text) as { items: AuthServer[]; metadata: { continue?: string; resourceVersion: string } };
  asSince ||= page.metadata.resourceVersion;
  for (const as of page.items) {
    const key = `${as.metadata.namespace}/${as.metadata.name}`;
    authServers.set(key, as);
    bySigningSecret.set(`${as.metadata.namespace}/${as.spec.tokenSignature.signAndVerifyKeyRef.name}`, key);
  }
  cont = page.metadata.continue || undefined;
} while (cont);
const since = (JSON.parse((await call('GET', '/api/v1/secrets?limit=1')).text) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;

let done = 0;
const queue: Array<{ key: string; secret: string }> = [];
let running = 0;

async function attest(job: { key: string; secret: string }): Promise<void> {
  const [ns, name] = job.secret.split('/') as [string, string];
  const secret = JSON.parse((await call('GET', `/api/v1/namespaces/${ns}/secrets/${name}`)).text) as { metadata: { resourceVersion: string } };
  for (let attempt = 0; attempt < 3; attempt++) {
    const as = authServers.get(job.key) as AuthServer;
    const status = { ...as.status, attestedSecrets: (as.status?.attestedSecrets ?? []).map((e) => (e.secretName === name ? { ...e, resourceVersion: secret.metadata.resourceVersion } : e)) };
    const body = { apiVersion: as.apiVersion, kind: as.kind, metadata: { name: as.metadata.name, namespace: as.metadata.namespace, resourceVersion: as.metadata.resourceVersion }, status };
    const r = await call('PUT', `${asPath(ns, as.metadata.name ?? '')}/status`, body);
    if (r.status === 200) {
      authServers.set(job.key, JSON.parse(r.text) as AuthServer);
      return;
    }
    authServers.set(job.key, JSON.parse((await call('GET', asPath(ns, as.metadata.name ?? ''))).text) as AuthServer);
  }
}

function pump(): void {
  while (running < CONCURRENCY && queue.length > 0) {
    const job = queue.shift() as (typeof queue)[number];
    running++;
    void attest(job).catch((err: unknown) => console.error(`bare attester: ${job.secret}: ${(err as Error).message}`)).finally(() => {
      running--;
      done++;
      pump();
    });
  }
}

// A controller watches what it reconciles: every status write comes back as an event to parse.
const asWatch = await call('GET', `/apis/${GROUP}/${VERSION}/${PLURAL}?watch=1&resourceVersion=${asSince}`);
void (async () => {
  for await (const line of createInterface({ input: asWatch.res, crlfDelay: Infinity })) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: string; object: AuthServer };
    const key = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    const known = authServers.get(key);
    if (e.type === 'MODIFIED' && known && Number(e.object.metadata.resourceVersion) > Number(known.metadata.resourceVersion)) authServers.set(key, e.object);
  }
})();

const watch = await call('GET', `/api/v1/secrets?watch=1&resourceVersion=${since}`);
void (async () => {
  for await (const line of createInterface({ input: watch.res, crlfDelay: Infinity })) {
    if (!line) continue;
    const e = JSON.parse(line) as { type: string; object: { metadata: { namespace: string; name: string } } };
    const secret = `${e.object.metadata.namespace}/${e.object.metadata.name}`;
    const key = bySigningSecret.get(secret);
    if (e.type !== 'MODIFIED' || key === undefined) continue;
    queue.push({ key, secret });
    pump();
  }
})();

const body = readFileSync(process.env.BARE_JWKS_FILE ?? '');
const jwks = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  res.end(body);
});
const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
const metrics = http.createServer((_req, res) => {
  const text = `signet_reconcile_duration_seconds_count ${done}\nsignet_workqueue_depth ${queue.length + running}\n` +
    `signet_process_nodejs_eventloop_lag_p99_seconds ${lag.percentile(99) / 1e9}\nsignet_process_nodejs_eventloop_lag_max_seconds ${lag.max / 1e9}\n`;
  lag.reset();
  res.end(text);
});
const listen = (s: http.Server): Promise<number> => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port)));
console.log(JSON.stringify({ jwksPort: await listen(jwks), metricsPort: await listen(metrics) }));
