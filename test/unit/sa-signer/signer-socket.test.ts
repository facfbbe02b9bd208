// The ExternalJWTSigner socket (src/sa-signer/grpc-server.ts, service.ts) as the kube-apiserver
// calls it, served from a state file: what Sign returns verifies against what FetchKeys returns;
// a token for another issuer is refused; the socket path is claimed only when that is safe.
import { spawn } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { chownSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify } from 'jose';
import { createMetrics } from '../../../src/observability/metrics.js';
import { claimSocketPath } from '../../../src/sa-signer/grpc-server.js';
import { ServiceAccountSigner } from '../../../src/sa-signer/service.js';
import { encodeState } from '../../../src/sa-signer/state-file.js';
import { signatureMaker } from '../../../src/signing/signature.js';
import { externalJwtClient } from '../../support/externaljwt-client.js';
import { silentLogger } from '../../support/logger.js';

const dir = mkdtempSync(join(tmpdir(), 'signet-socket-'));
const issuer = 'https://kubernetes.default.svc';

function stateWith(alg: 'RS256' | 'ES256'): string {
  const { privateKey, publicKey } = alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return encodeState('kube-system/issuer', {
    issuerURI: issuer,
    keys: [{ kid: 'k1', alg, der: publicKey.export({ type: 'spki', format: 'der' }), excludeFromDiscovery: false }],
    signer: { kid: 'k1', alg, privateKey, publishedSinceMs: 0 },
    maxTokenExpirationSeconds: 3600, refreshHintSeconds: 7, publishAheadMs: 600_000, dataTimestampMs: 1_700_000_000_123,
  });
}

async function serve(name: string, state: string | undefined) {
  const socket = join(dir, `${name}.sock`);
  const stateFile = join(dir, `${name}.json`);
  if (state !== undefined) writeFileSync(stateFile, state, { mode: 0o600 });
  const signer = new ServiceAccountSigner({
    authServer: 'kube-system/issuer', socketPath: socket, stateFile, makeSignature: signatureMaker(), log: silentLogger, metrics: createMetrics({ defaultMetrics: false }),
    onObservedIssuer: () => undefined,
  });
  await signer.start();
  return { socket, signer, client: externalJwtClient(socket, 3000) };
}

it.each(['RS256', 'ES256'] as const)('%s: Sign answers a header and signature that verify with the key FetchKeys returns', async (alg) => {
  const { socket, signer, client } = await serve(`ok-${alg}`, stateWith(alg));
  try {
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(await client.metadata()).toEqual({ maxTokenExpirationSeconds: 3600 });
    const keys = await client.fetchKeys();
    expect(keys.refreshHintSeconds).toBe(7);
    expect(keys.dataTimestamp.seconds).toBe(1_700_000_000);
    expect(keys.keys.map((k) => [k.keyId, k.excludeFromOidcDiscovery])).toEqual([['k1', false]]);
    const claims = { iss: issuer, sub: 'system:serviceaccount:default:app', exp: 2_000_000_000 };
    const { header, signature } = await client.sign(claims);
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg, kid: 'k1', typ: 'JWT' });
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    const key = createPublicKey({ key: keys.keys[0]!.key, format: 'der', type: 'spki' });
    const verified = await compactVerify(`${header}.${payload}.${signature}`, key);
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(claims);
  } finally {
    client.close();
    await signer.stop();
  }
});

it('refuses to sign for another issuer, naming both', async () => {
  const { signer, client } = await serve('mismatch', stateWith('ES256'));
  try {
    await expect(client.sign({ iss: 'https://other.example', sub: 'x' })).rejects.toMatchObject({
      code: 9, // FAILED_PRECONDITION
      details: expect.stringContaining('the token\'s issuer "https://other.example" (the kube-apiserver\'s --service-account-issuer) is not AuthServer kube-system/issuer\'s issuerURI "https://kubernetes.default.svc"'),
    });
  } finally {
    client.close();
    await signer.stop();
  }
});

it('without a state file or a reconcile, answers UNAVAILABLE with why once the call\'s deadline nears', async () => {
  const { signer, client } = await serve('empty', undefined);
  try {
    await expect(client.fetchKeys()).rejects.toMatchObject({ code: 14, details: expect.stringContaining('Signet has no keys yet for AuthServer kube-system/issuer') });
  } finally {
    client.close();
    await signer.stop();
  }
});

describe('claimSocketPath', () => {
  it('refuses a path that is not a socket and leaves it as it is', async () => {
    const path = join(dir, 'file');
    writeFileSync(path, 'keep me');
    await expect(claimSocketPath(path)).rejects.toThrow(`--service-account-signer-socket ${path} exists and is not a socket: Signet does not remove it`);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
  });

  it('refuses a socket another process serves, and reclaims one a dead process left', async () => {
    const path = join(dir, 'live.sock');
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(path, resolve));
    await expect(claimSocketPath(path)).rejects.toThrow('is being served by another process');
    await new Promise<void>((resolve) => other.close(() => resolve()));
    // A process killed with SIGKILL leaves its socket file behind.
    const stale = join(dir, 'stale.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((resolve) => child.on('exit', resolve));
    expect(statSync(stale).isSocket()).toBe(true);
    await expect(claimSocketPath(stale)).resolves.toBeUndefined();
    expect(() => statSync(stale)).toThrow('ENOENT');
  });

  it('leaves a dead socket of another user as it is', async () => {
    const path = join(dir, 'foreign.sock');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    await new Promise((resolve) => child.on('exit', resolve));
    const other = (process.getuid?.() ?? 0) + 1;
    chownSync(path, other, other);
    await expect(claimSocketPath(path)).rejects.toThrow(`is a socket of uid ${other}, not of Signet's uid`);
    expect(statSync(path).isSocket()).toBe(true);
  });
});
