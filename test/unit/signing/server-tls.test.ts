// The signing listener speaks HTTPS (TLS 1.2+) with the --signing-tls-* files, and picks up a
// renewed certificate for new connections without a restart (http/tls.ts TlsFiles, shared with
// the JWKS listener).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TlsFiles } from '../../../src/http/tls.js';
import { close, listen } from '../../../src/http/listen.js';
import { silentLogger } from '../../support/logger.js';
import { createSigningServer } from '../../../src/signing/server.js';
import { SigningKeyStore } from '../../../src/signing/key-store.js';
import { eventually } from '../../support/eventually.js';
import { makeKeyMaterial, makeSelfSignedCert } from '../../support/keys.js';

function get(port: number): Promise<{ status: number; cn: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/authservers/a/b/sign', method: 'POST', rejectUnauthorized: false, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, cn: String((res.socket as TLSSocket).getPeerCertificate().subject?.CN), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

it('answers over HTTPS and uses a renewed certificate for new connections', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signing-tls-'));
  const key = makeKeyMaterial('p256').pkcs8;
  const certFile = join(dir, 'tls.crt');
  const keyFile = join(dir, 'tls.key');
  writeFileSync(keyFile, key);
  writeFileSync(certFile, makeSelfSignedCert(key, 'first'));
  const tls = await TlsFiles.load({ certFile, keyFile }, { log: silentLogger, pollIntervalMs: 200 });
  const access = { authenticate: () => Promise.resolve({ authenticated: false as const }), authorize: () => Promise.resolve(false) };
  const server = createSigningServer({ keys: new SigningKeyStore(), access, log: silentLogger }, { tls });
  try {
    const { port } = await listen(server, '127.0.0.1:0');
    const first = await get(port);
    expect(first).toMatchObject({ status: 401, cn: 'first' });
    expect(JSON.parse(first.body)).toMatchObject({ error: 'unauthorized' });
    writeFileSync(certFile, makeSelfSignedCert(key, 'renewed'));
    await eventually(async () => (await get(port)).cn === 'renewed', { what: 'renewed certificate', timeoutMs: 10_000 });
  } finally {
    tls.close();
    await close(server, 1000);
    rmSync(dir, { recursive: true, force: true });
  }
});
