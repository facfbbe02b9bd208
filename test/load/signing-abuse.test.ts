// One caller must not take the signing service down for the others (issue 20, points 1 and 3), with
// the operator as built, a real API server, real TokenRequest tokens and real RBAC:
// - 20 concurrent 64 KiB sign-fields requests naming 4,544 members each: the operator's peak RSS
//   stays far under the chart's 256 Mi limit (it was 479 MB).
// - a flood of made-up tokens from one address: real callers from another address, each with a new
//   token (so each needs a TokenReview), are still served.
// Sources are told apart by address: the flood comes from 127.0.0.2, real callers from 127.0.0.3.
// In its own jest project (load), run after the integration files: the flood would take the CPU
// the parallel integration files need, and their load would make this one's figures noise.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { freePort } from '../controlplane/controlplane.js';
import { createAuthServer, isReady, waitForStatus } from '../support/authservers.js';
import { useNamespace } from '../support/kube.js';
import { useOperator } from '../support/operator.js';
import { grant, serviceAccountToken } from '../integration/signing/helpers.js';

const ns = useNamespace('signing-abuse');
const signingPort = await freePort();
const op = useOperator(ns, ['--signing-bind-address', `127.0.0.1:${signingPort}`, '--signing-insecure', '--log-level', 'info']);
const path = (): string => `/authservers/${ns.name}/rs/`;

beforeAll(async () => {
  await createAuthServer(ns.name, 'rs', {
    issuerURI: `https://issuer.test/${ns.name}/rs`,
    tokenSignature: { signAndVerifyKeyRef: { name: 'rs-key' } },
    signing: { enabled: true },
  });
  await grant(ns.name, 'gateway', ['rs']);
  await waitForStatus(ns.name, 'rs', isReady, 'Ready');
});

/** `status` 0: no HTTP answer; `error` says why (the client's error code). */
interface Answer { status: number; bytes: number; error?: string }

function post(agent: http.Agent, action: string, token: string, body: string): Promise<Answer> {
  return new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: signingPort, path: path() + action, method: 'POST', agent,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => { bytes += c.length; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, bytes, error: err.code ?? err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: 0, bytes: 0, error: err.code ?? err.message }));
    req.end(body);
  });
}

/** Peak resident memory of a process so far (VmHWM), in MB. */
function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

it('20 concurrent 64 KiB sign-fields requests naming 4,544 members each leave the operator\'s peak RSS under 200 MB', async () => {
  const token = await serviceAccountToken(ns.name, 'gateway');
  const names = Array.from({ length: 4_544 }, (_, i) => i.toString(36));
  const attack = JSON.stringify({ document: Object.fromEntries(names.map((m) => [m, {}])), keysToSign: names });
  expect(attack.length).toBeLessThanOrEqual(64 * 1024);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 20 });
  try {
    const before = peakRssMb(op.process.pid ?? 0);
    const answers: Answer[] = [];
    for (let round = 0; round < 3; round++) answers.push(...await Promise.all(Array.from({ length: 20 }, () => post(agent, 'sign-fields', token, attack))));
    const peak = peakRssMb(op.process.pid ?? 0);
    const statuses = [...new Set(answers.map((a) => a.status))];
    const biggest = Math.max(...answers.map((a) => a.bytes));
    process.stdout.write(`sign-fields attack: statuses ${statuses.join(',')}, largest answer ${biggest} B, peak RSS ${before.toFixed(0)} MB before, ${peak.toFixed(0)} MB after\n`);
    expect(peak).toBeLessThan(200);
    expect(statuses).toEqual([400]);
    // The operator still signs for a well-formed request.
    expect((await post(agent, 'sign-fields', token, JSON.stringify({ document: { access_token: { sub: 'a' } }, keysToSign: ['access_token'] }))).status).toBe(200);
  } finally {
    agent.destroy();
  }
}, 120_000);

it('under a flood of made-up tokens from one address, real callers\' requests with new tokens from another are served', async () => {
  const part = (o: object): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  // Shaped like ServiceAccount tokens (so no cheap check refuses them), signed by no one: each costs a TokenReview.
  const forged = (): string => `${part({ alg: 'RS256', kid: 'x' })}.${part({ iss: 'https://kubernetes.default.svc', sub: `system:serviceaccount:x:${randomBytes(6).toString('hex')}`, exp: Math.floor(Date.now() / 1000) + 3600 })}.${randomBytes(256).toString('base64url')}`;
  const fresh = await Promise.all(Array.from({ length: 15 }, () => serviceAccountToken(ns.name, 'gateway')));
  const flooder = new http.Agent({ keepAlive: true, maxSockets: 1_200, localAddress: '127.0.0.2' });
  const caller = new http.Agent({ keepAlive: false, localAddress: '127.0.0.3' });
  let flooding = true;
  let floodRequests = 0;
  const loop = async (): Promise<void> => {
    while (flooding) {
      // A closed connection (beyond the source's share) is tried again a second later, as a client would.
      if ((await post(flooder, 'sign', forged(), '{"sub":"x"}')).status === 0) await new Promise((r) => setTimeout(r, 1_000));
      floodRequests++;
    }
  };
  const loops = Array.from({ length: 1_200 }, loop);
  try {
    await new Promise((r) => setTimeout(r, 3_000));
    const started = Date.now();
    const real: Answer[] = [];
    for (let i = 0; i < fresh.length; i += 5) real.push(...await Promise.all(fresh.slice(i, i + 5).map((t) => post(caller, 'sign', t, '{"sub":"real"}'))));
    const served = real.filter((a) => a.status === 200).length;
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`token flood: ${served}/${real.length} real callers served (statuses ${real.map((a) => (a.error ? `${a.status} ${a.error}` : a.status)).join(',')}) while the flood made ${floodRequests} requests in ${(seconds + 3).toFixed(1)} s\n`);
    expect(served).toBe(real.length);
  } finally {
    flooding = false;
    await Promise.all(loops);
    flooder.destroy();
    caller.destroy();
  }
}, 180_000);
