// TLS on both listeners (issue 20, point 7): TLS 1.3, or TLS 1.2 with ECDHE and an AEAD cipher only
// (no AES128-SHA, no CBC, no static-RSA key exchange); a renewed pair that is expired or not yet
// valid is refused and the previous one kept; the expiry of the certificate in use is reported for
// the metric. Real handshakes on 127.0.0.1 with an RSA certificate, which the refused suites need.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { JwksStore } from '../../../src/jwks/store.js';
import { createJwksServer } from '../../../src/jwks/server.js';
import { close, listen } from '../../../src/http/listen.js';
import { TlsFiles, validityProblem } from '../../../src/http/tls.js';
import type { Logger } from '../../../src/observability/logger.js';
import { SigningKeyStore } from '../../../src/signing/key-store.js';
import { createSigningServer } from '../../../src/signing/server.js';
import { eventually } from '../../support/eventually.js';
import { makeCert } from '../../support/keys.js';
import { silentLogger } from '../../support/logger.js';

const rsaKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const KEY_PEM = rsaKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const DAY = 86_400_000;

function cert(cn: string, notBefore = new Date(Date.now() - 60_000), days = 365): string {
  return makeCert({ subjectKey: rsaKey, issuerKey: rsaKey, subjectCN: cn, issuerCN: cn, notBefore, days });
}

interface Handshake { ok: boolean; protocol?: string | null; cipher?: string; cn?: string; error?: string }

function handshake(port: number, opts: tls.ConnectionOptions = {}): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...opts }, () => {
      const result = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().standardName, cn: String(socket.getPeerCertificate().subject?.CN) };
      socket.destroy();
      resolve(result);
    });
    socket.on('error', (err: Error) => resolve({ ok: false, error: err.message }));
  });
}

async function withFiles<T>(certPem: string, fn: (files: TlsFiles, dir: string, log: string[]) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), 'signet-tls-hardening-'));
  writeFileSync(path.join(dir, 'tls.crt'), certPem);
  writeFileSync(path.join(dir, 'tls.key'), KEY_PEM);
  const lines: string[] = [];
  const drop = (): void => undefined;
  const log = { debug: drop, info: drop, warn: drop, error: (m: string, meta?: Record<string, unknown>) => lines.push(`${m} ${JSON.stringify(meta)}`) } as unknown as Logger;
  const files = await TlsFiles.load({ certFile: path.join(dir, 'tls.crt'), keyFile: path.join(dir, 'tls.key') }, { log, pollIntervalMs: 100 });
  try {
    return await fn(files, dir, lines);
  } finally {
    files.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const listeners: Array<[string, (files: TlsFiles) => http.Server]> = [
  ['JWKS', (files) => createJwksServer(new JwksStore(), { tls: files })],
  ['signing', (files) => createSigningServer({ keys: new SigningKeyStore(), access: { authenticate: () => Promise.resolve({ authenticated: false }), authorize: () => Promise.resolve(false) }, log: silentLogger }, { tls: files })],
];

describe.each(listeners)('the %s listener', (_name, create) => {
  it('refuses AES128-SHA, CBC and non-forward-secret TLS 1.2 suites; takes ECDHE with AEAD; prefers TLS 1.3', async () => {
    await withFiles(cert('suites'), async (files) => {
      const server = create(files);
      try {
        const { port } = await listen(server, '127.0.0.1:0');
        for (const ciphers of ['AES128-SHA', 'AES256-SHA', 'AES128-GCM-SHA256', 'ECDHE-RSA-AES128-SHA', 'ECDHE-RSA-AES256-SHA384']) {
          const refused = await handshake(port, { maxVersion: 'TLSv1.2', ciphers });
          expect({ ciphers, ok: refused.ok }).toEqual({ ciphers, ok: false });
        }
        for (const ciphers of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
          expect(await handshake(port, { maxVersion: 'TLSv1.2', ciphers })).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
        }
        expect(await handshake(port)).toMatchObject({ ok: true, protocol: 'TLSv1.3' });
        expect((await handshake(port, { maxVersion: 'TLSv1.1', minVersion: 'TLSv1' })).ok).toBe(false);
      } finally {
        await close(server, 1_000);
      }
    });
  });
});

describe('a renewed pair', () => {
  it.each([
    ['expired', cert('expired', new Date(Date.now() - 10 * DAY), 1), /expired/],
    ['not yet valid', cert('future', new Date(Date.now() + DAY), 30), /not valid before/],
  ])('that is %s is refused: the previous certificate stays in use and an error is logged', async (_what, renewed, message) => {
    await withFiles(cert('current'), async (files, dir, errors) => {
      const server = createJwksServer(new JwksStore(), { tls: files });
      try {
        const { port } = await listen(server, '127.0.0.1:0');
        expect((await handshake(port)).cn).toBe('current');
        writeFileSync(path.join(dir, 'tls.crt'), renewed);
        await eventually(() => errors.some((l) => message.test(l)), { what: 'the refusal logged', timeoutMs: 5_000 });
        expect((await handshake(port)).cn).toBe('current');
        // A valid renewal after it is taken.
        writeFileSync(path.join(dir, 'tls.crt'), cert('renewed'));
        await eventually(async () => (await handshake(port)).cn === 'renewed', { what: 'the valid renewal in use', timeoutMs: 5_000 });
      } finally {
        await close(server, 1_000);
      }
    });
  });

  it('reports the expiry of the certificate in use, at load and on renewal', async () => {
    const first = cert('first', new Date(Date.now() - 60_000), 30);
    await withFiles(first, async (files, dir) => {
      const reported: number[] = [];
      files.reportExpiry((ms) => reported.push(ms));
      expect(reported).toEqual([Date.parse(new X509Certificate(first).validTo)]);
      const second = cert('second', new Date(Date.now() - 60_000), 90);
      writeFileSync(path.join(dir, 'tls.crt'), second);
      await eventually(() => reported.length === 2, { what: 'the renewal reported', timeoutMs: 5_000 });
      expect(reported[1]).toBe(Date.parse(new X509Certificate(second).validTo));
    });
  });
});

it('validityProblem names what is wrong', () => {
  const c = { validFrom: 'Jan  1 00:00:00 2026 GMT', validTo: 'Jan  1 00:00:00 2027 GMT' };
  expect(validityProblem(c, Date.parse('2026-06-01T00:00:00Z'))).toBeUndefined();
  expect(validityProblem(c, Date.parse('2025-12-31T00:00:00Z'))).toMatch(/not valid before Jan {2}1 00:00:00 2026 GMT/);
  expect(validityProblem(c, Date.parse('2027-01-02T00:00:00Z'))).toMatch(/expired at Jan {2}1 00:00:00 2027 GMT/);
});
