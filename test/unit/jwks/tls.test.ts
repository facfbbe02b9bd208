// HTTPS on the JWKS listener (docs/architecture.md#serving, TLS): TLS 1.2 or newer, and a certificate renewed the way
// Kubernetes updates a mounted Secret (a new directory behind a swapped `..data` symlink) is used
// for new connections without a restart and without a failed request, for real on 127.0.0.1.
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { JwksStore } from '../../../src/jwks/store.js';
import { createJwksServer, type JwksServer } from '../../../src/jwks/server.js';
import { close, listen } from '../../../src/http/listen.js';
import { TlsFiles, TlsFilesError } from '../../../src/http/tls.js';
import type { Logger } from '../../../src/observability/logger.js';
import { eventually } from '../../support/eventually.js';
import { makeSelfSignedCert } from '../../support/keys.js';
import { doc } from './helpers.js';

const JWKS = '/team-a/oauth2/jwks';

interface Pair {
  cert: string;
  key: string;
  fingerprint: string;
}

function newPair(cn: string): Pair {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = makeSelfSignedCert(privateKey, cn);
  return { cert, key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), fingerprint: new X509Certificate(cert).fingerprint256 };
}

/** A directory laid out as kubelet mounts a Secret: tls.crt → ..data/tls.crt, ..data → ..<version>. */
class SecretVolume {
  readonly dir = mkdtempSync(path.join(tmpdir(), 'signet-tls-'));
  readonly certFile = path.join(this.dir, 'tls.crt');
  readonly keyFile = path.join(this.dir, 'tls.key');
  private version = 0;

  constructor(pair: Pair) {
    this.write(pair);
    symlinkSync('..data/tls.crt', this.certFile);
    symlinkSync('..data/tls.key', this.keyFile);
  }

  /** What kubelet does on a Secret update: write a new directory, then swap ..data atomically. */
  write(pair: { cert: string; key: string }): void {
    const versionDir = `..v${++this.version}`;
    mkdirSync(path.join(this.dir, versionDir));
    writeFileSync(path.join(this.dir, versionDir, 'tls.crt'), pair.cert);
    writeFileSync(path.join(this.dir, versionDir, 'tls.key'), pair.key);
    symlinkSync(versionDir, path.join(this.dir, '..data_tmp'));
    renameSync(path.join(this.dir, '..data_tmp'), path.join(this.dir, '..data'));
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

interface LogLine {
  level: string;
  message: string;
  meta: Record<string, unknown>;
}

function memoryLogger(lines: LogLine[]): Logger {
  const at = (level: string) => (message: string, meta: Record<string, unknown> = {}) => {
    lines.push({ level, message, meta });
  };
  return { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') } as unknown as Logger;
}

/** GET the JWKS on a new connection; resolves with the status and the certificate the server showed. */
function getOnNewConnection(port: number): Promise<{ status: number; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      { host: '127.0.0.1', port, path: JWKS, headers: { host: 'login.example.com' }, agent: false, rejectUnauthorized: false },
      (res) => {
        const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, fingerprint }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

function getOnAgent(port: number, agent: https.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: JWKS, headers: { host: 'login.example.com' }, agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

describe('JWKS over HTTPS', () => {
  let volume: SecretVolume;
  let files: TlsFiles;
  let server: JwksServer;
  let port: number;
  let first: Pair;
  const logs: LogLine[] = [];

  beforeEach(async () => {
    logs.length = 0;
    first = newPair('first');
    volume = new SecretVolume(first);
    files = await TlsFiles.load({ certFile: volume.certFile, keyFile: volume.keyFile }, { log: memoryLogger(logs), pollIntervalMs: 1_000 });
    const store = new JwksStore();
    store.set(doc());
    server = createJwksServer(store, { tls: files });
    ({ port } = await listen(server, '127.0.0.1:0'));
  });
  afterEach(async () => {
    files.close();
    await close(server, 1_000);
    volume.remove();
  });

  it('serves the JWKS over TLS 1.2 or newer with the certificate from the files', async () => {
    const r = await getOnNewConnection(port);
    expect(r).toEqual({ status: 200, fingerprint: first.fingerprint });
    for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
      const protocol = await new Promise<string | null>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: version, maxVersion: version }, () => {
          resolve(s.getProtocol());
          s.destroy();
        });
        s.on('error', reject);
      });
      expect(protocol).toBe(version);
    }
    // A client that offers TLS 1.1 at most (allowed to by its own settings) is refused.
    await expect(
      new Promise((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }, () => resolve(s.getProtocol()));
        s.on('error', reject);
      }),
    ).rejects.toThrow(/protocol|version/i);
  });

  it('uses a renewed certificate for new connections, under load, without a failed request', async () => {
    const renewed = newPair('renewed');
    const agent = new https.Agent({ keepAlive: true, maxSockets: 2, rejectUnauthorized: false });
    let running = true;
    let ok = 0;
    const failures: string[] = [];
    const seen = new Set<string>();
    const count = (status: number): void => {
      if (status === 200) ok++;
      else failures.push(`status ${status}`);
    };
    // Bounded loopback load: 4 clients opening a connection per request, 2 on keep-alive connections.
    const loops = [
      ...Array.from({ length: 4 }, async () => {
        while (running) {
          await getOnNewConnection(port).then(
            (r) => {
              seen.add(r.fingerprint);
              count(r.status);
            },
            (err: Error) => failures.push(err.message),
          );
        }
      }),
      ...Array.from({ length: 2 }, async () => {
        while (running) await getOnAgent(port, agent).then(count, (err: Error) => failures.push(err.message));
      }),
    ];
    try {
      await eventually(() => ok >= 50, { timeoutMs: 20_000, what: 'load to be under way' });
      const renewedAt = Date.now();
      volume.write(renewed);
      await eventually(() => seen.has(renewed.fingerprint), { timeoutMs: 60_000, what: 'a new connection to see the renewed certificate' });
      const tookMs = Date.now() - renewedAt;
      const okAtSwitch = ok;
      await eventually(() => ok >= okAtSwitch + 50, { timeoutMs: 20_000, what: 'more requests after the renewal' });
      running = false;
      await Promise.all(loops);
      expect(failures).toEqual([]);
      expect(tookMs).toBeLessThan(60_000);
      // Once switched, every new connection gets the renewed certificate.
      expect((await getOnNewConnection(port)).fingerprint).toBe(renewed.fingerprint);
      expect(logs.filter((l) => l.level === 'error')).toEqual([]);
      expect(logs.some((l) => l.message.includes('renewed') && l.meta.fingerprint256 === renewed.fingerprint)).toBe(true);
    } finally {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    }
  });

  it('keeps the previous certificate when the renewed key does not match, and says so once', async () => {
    const renewed = newPair('renewed');
    volume.write({ cert: renewed.cert, key: first.key });
    await eventually(() => logs.some((l) => l.level === 'error'), { timeoutMs: 10_000, what: 'an error log' });
    const errors = logs.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(String(errors[0]?.meta.error)).toContain('does not belong to the certificate');
    expect(await getOnNewConnection(port)).toEqual({ status: 200, fingerprint: first.fingerprint });
    // The poll reads the same bad pair again: no second log line.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(logs.filter((l) => l.level === 'error')).toHaveLength(1);

    // A garbage certificate is refused as well; then a good pair is taken.
    volume.write({ cert: 'not a certificate', key: renewed.key });
    await eventually(() => logs.filter((l) => l.level === 'error').length === 2, { timeoutMs: 10_000, what: 'a second error log' });
    expect(await getOnNewConnection(port)).toEqual({ status: 200, fingerprint: first.fingerprint });
    volume.write(renewed);
    await eventually(async () => (await getOnNewConnection(port)).fingerprint === renewed.fingerprint, { timeoutMs: 10_000, what: 'the renewed certificate' });
  });
});

describe('TlsFiles.load', () => {
  it('says which file is missing or wrong', async () => {
    const log = memoryLogger([]);
    const a = newPair('a');
    const b = newPair('b');
    const dir = mkdtempSync(path.join(tmpdir(), 'signet-tls-'));
    try {
      const file = (name: string, text: string): string => {
        writeFileSync(path.join(dir, name), text);
        return path.join(dir, name);
      };
      const certFile = file('a.crt', a.cert);
      const keyFile = file('a.key', a.key);
      await expect(TlsFiles.load({ certFile: path.join(dir, 'missing.crt'), keyFile }, { log })).rejects.toThrow(new RegExp(`cannot read the TLS certificate file .*missing\\.crt`));
      await expect(TlsFiles.load({ certFile, keyFile: file('b.key', b.key) }, { log })).rejects.toThrow(/the key in .*b\.key does not belong to the certificate in .*a\.crt/);
      await expect(TlsFiles.load({ certFile: file('junk.crt', 'junk'), keyFile }, { log })).rejects.toThrow(/junk\.crt does not hold a PEM certificate/);
      await expect(TlsFiles.load({ certFile, keyFile: file('junk.key', 'junk') }, { log })).rejects.toThrow(TlsFilesError);
      const ok = await TlsFiles.load({ certFile, keyFile }, { log });
      expect(ok.options.minVersion).toBe('TLSv1.2');
      ok.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
