// Readiness means serving (issue 9, point 6; docs/architecture.md#serving): a replica that joins, as in a rolling
// update, reports ready only once it serves every AuthServer that exists, so no verifier behind the
// Service ever gets a 404 for an issuer that exists.
import http from 'node:http';
import { useNamespace } from '../../support/kube.js';
import { getJwks, startOperator, useOperator, type RunningOperator } from '../../support/operator.js';
import { createAuthServer, isReady, waitForStatus } from '../../support/authservers.js';

const ns = useNamespace('readiness');
useOperator(ns);
const COUNT = 60;
const names = Array.from({ length: COUNT }, (_, i) => `issuer-${i}`);

const readyz = (port: number): Promise<number> => new Promise((resolve) => {
  http.get({ host: '127.0.0.1', port, path: '/readyz' }, (res) => { res.resume(); resolve(res.statusCode ?? 0); }).on('error', () => resolve(0));
});

it(`a new replica is ready only when all ${COUNT} issuers are served`, async () => {
  await Promise.all(names.map((name) => createAuthServer(ns.name, name, {
    issuerURI: `https://${name}.example.com`,
    tokenSignature: { signAndVerifyKeyRef: { name: `${name}-key` }, keyGeneration: { algorithm: 'ES256' } },
  })));
  for (const name of names) await waitForStatus(ns.name, name, isReady, 'Ready', 60_000);

  // startOperator returns at the first 200 of /readyz (polled every 100 ms); the check below
  // runs right after it, before the replica has had time to catch up on anything.
  const started = Date.now();
  let second: RunningOperator | undefined;
  try {
    second = await startOperator(['--namespace', ns.name, '--concurrency', '1']);
    const readyAfterMs = Date.now() - started;
    const replies = await Promise.all(names.map((name) => getJwks(second!.jwksPort, `/authservers/${ns.name}/${name}/oauth2/jwks`)));
    const missing = names.filter((_, i) => replies[i]?.status !== 200 || replies[i]?.keys.length !== 1);
    expect(missing).toEqual([]);
    expect(await readyz(second.metricsPort)).toBe(200);
    process.stdout.write(`second replica ready ${readyAfterMs} ms after start with ${COUNT} AuthServers\n`);
  } finally {
    if (second) expect(await second.stop()).toBe(0);
  }
}, 120_000);
