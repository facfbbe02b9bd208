// Every request to the API server has a deadline, whatever hangs (connecting, the headers, the
// body), and a client that writes asks canWrite when each write is sent. The "API server" here is
// a loopback socket that never answers, or answers half-way: what a frozen kube-apiserver does.
import { CoreV1Api, KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { DeadlineExceededError, NotLeaderError, makeApiClient } from '../../../src/kube/client.js';
import { Informer } from '../../../src/controller/informer.js';
import { apiErrorMessage, isConflict } from '../../../src/kube/errors.js';
import { requestJson } from '../../../src/kube/stream.js';
import { silentLogger } from '../../support/logger.js';

type Mode = 'silent' | 'headers-only' | 'ok';
let mode: Mode = 'silent';
const seen: string[] = [];
const authorizations: Array<string | undefined> = [];
const sockets = new Set<Socket>();
const server = http.createServer((req, res) => {
  seen.push(`${req.method} ${req.url}`);
  authorizations.push(req.headers.authorization);
  if (mode === 'silent') return;
  if (req.url === '/conflict') {
    res.writeHead(409, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409, message: 'the object has been modified; please apply your changes to the latest version and try again' }));
    return;
  }
  res.writeHead(200, { 'Content-Type': 'application/json' });
  if (mode === 'headers-only') {
    res.write('{"kind":"Namespace",');
    return;
  }
  res.end(JSON.stringify({ kind: 'Namespace', apiVersion: 'v1', metadata: { name: 'x', resourceVersion: '1' }, items: [] }));
});
server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
let kc: KubeConfig;

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen.length = 0;
  authorizations.length = 0;
});

async function elapsed<T>(p: Promise<T>): Promise<{ ms: number; error: unknown }> {
  const t0 = Date.now();
  try {
    await p;
    return { ms: Date.now() - t0, error: undefined };
  } catch (error) {
    return { ms: Date.now() - t0, error };
  }
}

it('gives up on a request that gets no answer at its deadline, with an error that says so', async () => {
  mode = 'silent';
  const core = makeApiClient(kc, CoreV1Api, { timeoutMs: 300 });
  const { ms, error } = await elapsed(core.readNamespace({ name: 'x' }));
  expect(error).toBeInstanceOf(DeadlineExceededError);
  expect((error as Error).message).toBe('GET /api/v1/namespaces/x: no answer from the API server within 300 ms');
  expect(ms).toBeGreaterThanOrEqual(290);
  expect(ms).toBeLessThan(2000);
});

it('gives up on a response whose body stops half-way', async () => {
  mode = 'headers-only';
  const core = makeApiClient(kc, CoreV1Api, { timeoutMs: 300 });
  const { ms, error } = await elapsed(core.readNamespace({ name: 'x' }));
  expect(error).toBeInstanceOf(DeadlineExceededError);
  expect(ms).toBeLessThan(2000);
});

it('answers normally within the deadline', async () => {
  mode = 'ok';
  const core = makeApiClient(kc, CoreV1Api, { timeoutMs: 300 });
  expect((await core.readNamespace({ name: 'x' })).metadata?.name).toBe('x');
});

it('refuses a write when canWrite says no at the moment of sending, and lets reads through', async () => {
  mode = 'ok';
  let leader = true;
  const core = makeApiClient(kc, CoreV1Api, { timeoutMs: 300, canWrite: () => leader });
  await core.createNamespace({ body: { metadata: { name: 'x' } } });
  leader = false;
  await expect(core.createNamespace({ body: { metadata: { name: 'x' } } })).rejects.toThrow(NotLeaderError);
  await expect(core.deleteNamespace({ name: 'x' })).rejects.toThrow('DELETE /api/v1/namespaces/x: not sent, this replica is not the leader');
  await core.readNamespace({ name: 'x' });
  expect(seen).toEqual(['POST /api/v1/namespaces', 'GET /api/v1/namespaces/x']);
});

it('gives the informer\'s list a deadline and retries it', async () => {
  mode = 'silent';
  const restarts: string[] = [];
  const warnings: string[] = [];
  const informer = new Informer<KubernetesObject>({
    kc, name: 'namespaces', path: '/api/v1/namespaces', listTimeoutMs: 200, backoff: { baseMs: 10, maxMs: 20 },
    log: { ...silentLogger, warn: (_m: string, meta: { error?: string }) => { warnings.push(meta.error ?? ''); return silentLogger; } } as unknown as typeof silentLogger,
    onChange: () => undefined,
    onRestart: (reason) => restarts.push(reason),
  });
  const t0 = Date.now();
  informer.start();
  try {
    while (restarts.length < 2 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 20));
  } finally {
    await informer.stop();
  }
  expect(restarts.slice(0, 2)).toEqual(['error', 'error']);
  expect(warnings[0]).toBe('listing /api/v1/namespaces: no complete answer within 200 ms');
  expect(seen.filter((s) => s.startsWith('GET /api/v1/namespaces?')).length).toBeGreaterThanOrEqual(2);
});

it('sends the requests of one KubeConfig over one kept-alive connection, from every client made of it', async () => {
  mode = 'ok';
  let connections = 0;
  const count = (): void => { connections++; };
  server.on('connection', count);
  try {
    const a = makeApiClient(kc, CoreV1Api);
    const b = makeApiClient(kc, CoreV1Api, { timeoutMs: 5_000 });
    for (let i = 0; i < 3; i++) {
      await a.readNamespace({ name: 'x' });
      await b.readNamespace({ name: 'x' });
    }
  } finally {
    server.off('connection', count);
  }
  expect(seen).toHaveLength(6);
  expect(connections).toBeLessThanOrEqual(1);
});

describe('the raw JSON requests of a reconcile (a Secret\'s GET, the status write)', () => {
  it('give up at their deadline, whether the headers or the body never come', async () => {
    for (const m of ['silent', 'headers-only'] as const) {
      mode = m;
      const { ms, error } = await elapsed(requestJson(kc, '/api/v1/namespaces/x', { method: 'GET', timeoutMs: 300 }));
      expect(error).toBeInstanceOf(DeadlineExceededError);
      expect((error as Error).message).toBe('GET /api/v1/namespaces/x: no answer from the API server within 300 ms');
      expect(ms).toBeLessThan(2000);
    }
  });

  it('refuse a write when canWrite says no at the moment of sending, and let reads through', async () => {
    mode = 'ok';
    let leader = true;
    const canWrite = (): boolean => leader;
    await requestJson(kc, '/api/v1/namespaces/x', { method: 'PUT', body: { metadata: { name: 'x' } }, canWrite });
    leader = false;
    await expect(requestJson(kc, '/api/v1/namespaces/x', { method: 'PUT', body: {}, canWrite })).rejects.toThrow(new NotLeaderError('PUT /api/v1/namespaces/x: not sent, this replica is not the leader'));
    expect((await requestJson<{ metadata: { name: string } }>(kc, '/api/v1/namespaces/x', { method: 'GET', canWrite })).metadata.name).toBe('x');
    expect(seen).toEqual(['PUT /api/v1/namespaces/x', 'GET /api/v1/namespaces/x']);
  });

  it('report the API server\'s Status message and code on an error answer', async () => {
    mode = 'ok';
    const { error } = await elapsed(requestJson(kc, '/conflict', { method: 'PUT', body: {} }));
    expect(isConflict(error)).toBe(true);
    expect(apiErrorMessage(error)).toBe('the object has been modified; please apply your changes to the latest version and try again');
  });

  it('share the kept-alive connection with the generated clients', async () => {
    mode = 'ok';
    let connections = 0;
    const count = (): void => { connections++; };
    server.on('connection', count);
    try {
      const core = makeApiClient(kc, CoreV1Api);
      for (let i = 0; i < 3; i++) {
        await requestJson(kc, '/api/v1/namespaces/x', { method: 'GET' });
        await core.readNamespace({ name: 'x' });
      }
    } finally {
      server.off('connection', count);
    }
    expect(seen).toHaveLength(6);
    expect(connections).toBeLessThanOrEqual(1);
  });
});

describe('the credentials of the raw requests', () => {
  const kubeconfig = (token: string): Parameters<KubeConfig['loadFromOptions']>[0] => ({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });

  it('are read from the kubeconfig once for a burst of requests, not once each', async () => {
    mode = 'ok';
    const own = new KubeConfig();
    own.loadFromOptions(kubeconfig('burst'));
    let asked = 0;
    const apply = own.applyToHTTPSOptions.bind(own);
    own.applyToHTTPSOptions = async (opts) => { asked++; await apply(opts); };
    await Promise.all(Array.from({ length: 20 }, () => requestJson(own, '/api/v1/namespaces/x', { method: 'GET' })));
    for (let i = 0; i < 20; i++) await requestJson(own, '/api/v1/namespaces/x', { method: 'GET' });
    expect(authorizations).toEqual(Array(40).fill('Bearer burst'));
    // Once for all forty (twice if the machine took over a second for them).
    expect(asked).toBeGreaterThanOrEqual(1);
    expect(asked).toBeLessThanOrEqual(2);
  });

  it('follow a token that changed in the kubeconfig within about a second', async () => {
    mode = 'ok';
    const own = new KubeConfig();
    own.loadFromOptions(kubeconfig('old'));
    await requestJson(own, '/api/v1/namespaces/x', { method: 'GET' });
    own.loadFromOptions(kubeconfig('new'));
    const changed = Date.now();
    while (authorizations.at(-1) !== 'Bearer new' && Date.now() - changed < 3_000) {
      await requestJson(own, '/api/v1/namespaces/x', { method: 'GET' });
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(authorizations[0]).toBe('Bearer old');
    expect(authorizations.at(-1)).toBe('Bearer new');
    expect(Date.now() - changed).toBeLessThan(2_000);
  });
});
