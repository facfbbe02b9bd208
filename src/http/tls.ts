// A listener's TLS certificate and key files (docs/architecture.md#serving, TLS), kept current: a renewed pair (a
// cert-manager Secret mounted into the pod) is picked up without a restart and used for new
// connections; connections already open keep the certificate they began with.
//
// Kubernetes updates a mounted Secret by writing a new directory and swapping a `..data` symlink,
// so the directories holding the files are watched (fs.watch on the file itself would follow the
// old inode), and the files are also read every `pollIntervalMs` because fs.watch is not reliable
// on every volume type. A pair is only put in use when the key belongs to the certificate, OpenSSL
// accepts both and the certificate is valid now (not expired, not yet to come); otherwise the error is
// logged once and the previous pair stays in use.
//
// Protocols (issue 20, point 7): TLS 1.3, and TLS 1.2 with forward-secret (ECDHE) AEAD suites only:
// no CBC, no SHA-1 MAC, no static-RSA key exchange (AES128-SHA and its kind are refused).
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import type { Logger } from '../observability/logger.js';
import { SignetError } from '../api/errors.js';

/** TLS 1.2 or newer (docs/architecture.md#serving). */
export const MIN_TLS_VERSION: tls.SecureVersion = 'TLSv1.2';
/** TLS 1.3's suites (all AEAD), then TLS 1.2's ECDHE + AEAD ones, in the server's order of preference. */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');
/** How often the files are read whatever fs.watch reports: a renewal is in use within a minute. */
export const DEFAULT_TLS_POLL_INTERVAL_MS = 10_000;
/** cert-manager writes the certificate and the key in one swap; a hand-written pair needs a moment. */
const SETTLE_MS = 100;

export interface TlsFilePaths {
  certFile: string;
  keyFile: string;
}

/** What `tls.createServer`/`server.setSecureContext` take. */
export type TlsServerOptions = Pick<tls.SecureContextOptions, 'cert' | 'key' | 'minVersion' | 'ciphers' | 'honorCipherOrder'>;

export class TlsFilesError extends SignetError {
  override readonly code = 'ERR_SIGNET_TLS_FILES';
  /** `recheck`: the same files may be good later (a certificate not valid yet), so read them again. */
  constructor(message: string, readonly recheck = false) {
    super(message);
  }
}

interface Pair {
  cert: Buffer;
  key: Buffer;
}

async function readPair(paths: TlsFilePaths): Promise<Pair> {
  const read = async (file: string, what: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new TlsFilesError(`cannot read the TLS ${what} file ${file}: ${(err as Error).message}`);
    }
  };
  const [cert, key] = await Promise.all([read(paths.certFile, 'certificate'), read(paths.keyFile, 'key')]);
  return { cert, key };
}

/** Checks a pair as a server would use it; returns the leaf certificate or throws saying what is wrong. */
function checkPair(pair: Pair, paths: TlsFilePaths): X509Certificate {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pair.cert);
  } catch (err) {
    throw new TlsFilesError(`${paths.certFile} does not hold a PEM certificate: ${(err as Error).message}`);
  }
  let key;
  try {
    key = createPrivateKey(pair.key);
  } catch (err) {
    throw new TlsFilesError(`${paths.keyFile} does not hold a PEM private key: ${(err as Error).message}`);
  }
  if (!cert.checkPrivateKey(key)) throw new TlsFilesError(`the key in ${paths.keyFile} does not belong to the certificate in ${paths.certFile}`);
  try {
    tls.createSecureContext(serverOptions(pair));
  } catch (err) {
    throw new TlsFilesError(`the TLS pair ${paths.certFile}, ${paths.keyFile} cannot be used: ${(err as Error).message}`);
  }
  return cert;
}

function serverOptions(pair: Pair): TlsServerOptions {
  return { cert: pair.cert, key: pair.key, minVersion: MIN_TLS_VERSION, ciphers: TLS_CIPHERS, honorCipherOrder: true };
}

/** Why a certificate cannot be served at `nowMs` (expired, or not valid yet), or undefined. */
export function validityProblem(cert: Pick<X509Certificate, 'validFrom' | 'validTo'>, nowMs: number): string | undefined {
  if (nowMs < Date.parse(cert.validFrom)) return `the certificate is not valid before ${cert.validFrom}`;
  if (nowMs > Date.parse(cert.validTo)) return `the certificate expired at ${cert.validTo}`;
  return undefined;
}

function describe(cert: X509Certificate): Record<string, string> {
  return { subject: cert.subject.replace(/\n/g, ', '), validTo: cert.validTo, fingerprint256: cert.fingerprint256 };
}

export interface TlsFilesOptions {
  log: Logger;
  pollIntervalMs?: number;
  /** Milliseconds since the epoch, for the certificate's validity. */
  now?: () => number;
}

/**
 * A certificate and key file pair, loaded and then watched. `options` is what a TLS server is
 * created with; serve() keeps a server's certificate current as the files change.
 */
export class TlsFiles {
  private pair: Pair;
  private cert: X509Certificate;
  /** The last pair (or read error) refused, so that it is logged once and not checked again. */
  private rejected: { pair: Pair | undefined; message: string; recheck: boolean } | undefined;
  private readonly listeners: ((options: TlsServerOptions) => void)[] = [];
  private readonly watchers: FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private settle: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private checkAgain = false;
  private closed = false;

  /** Reads and checks the pair (TlsFilesError says what is wrong), then starts watching. */
  static async load(paths: TlsFilePaths, opts: TlsFilesOptions): Promise<TlsFiles> {
    const pair = await readPair(paths);
    const cert = checkPair(pair, paths);
    opts.log.info('TLS certificate loaded', { certFile: paths.certFile, ...describe(cert) });
    // At startup an expired pair is still served (refusing it would stop every listener); the
    // expiry metric and its alert say so, and a renewal is picked up as soon as it is written.
    const problem = validityProblem(cert, (opts.now ?? Date.now)());
    if (problem) opts.log.error('the TLS certificate is not valid now; serving it until a valid one is written', { certFile: paths.certFile, error: problem });
    return new TlsFiles(paths, pair, cert, opts);
  }

  private constructor(
    readonly paths: TlsFilePaths,
    pair: Pair,
    cert: X509Certificate,
    private readonly opts: TlsFilesOptions,
  ) {
    this.pair = pair;
    this.cert = cert;
    for (const dir of new Set([path.dirname(paths.certFile), path.dirname(paths.keyFile)])) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.changed());
        watcher.on('error', (err) => {
          opts.log.debug('cannot watch the TLS files any more; reading them periodically', { dir, error: err.message });
          watcher.close();
        });
        this.watchers.push(watcher);
      } catch (err) {
        opts.log.debug('cannot watch the TLS files; reading them periodically', { dir, error: (err as Error).message });
      }
    }
    this.poll = setInterval(() => void this.check(), opts.pollIntervalMs ?? DEFAULT_TLS_POLL_INTERVAL_MS);
    this.poll.unref();
  }

  /** The current pair, as TLS server options (TLS 1.2 or newer). */
  get options(): TlsServerOptions {
    return serverOptions(this.pair);
  }

  /** When the certificate in use expires (ms since the epoch). */
  get notAfterMs(): number {
    return Date.parse(this.cert.validTo);
  }

  /** Call `report` with the certificate's expiry now and each time a renewed pair is put in use (the expiry metric). */
  reportExpiry(report: (notAfterMs: number) => void): void {
    report(this.notAfterMs);
    this.onChange(() => report(this.notAfterMs));
  }

  /** Call `listener` with the new options each time a renewed pair is put in use. */
  onChange(listener: (options: TlsServerOptions) => void): void {
    this.listeners.push(listener);
  }

  /** Keep `server` on the current pair: new connections get a renewed certificate. */
  serve(server: tls.Server): void {
    this.onChange((options) => server.setSecureContext(options));
  }

  close(): void {
    this.closed = true;
    clearInterval(this.poll);
    clearTimeout(this.settle);
    for (const w of this.watchers) w.close();
  }

  private changed(): void {
    clearTimeout(this.settle);
    this.settle = setTimeout(() => void this.check(), SETTLE_MS);
    this.settle.unref();
  }

  /** Read the files; put a changed, valid pair in use. One read at a time. */
  private check(): Promise<void> {
    if (this.checking) {
      this.checkAgain = true;
      return this.checking;
    }
    this.checking = (async () => {
      do {
        this.checkAgain = false;
        await this.reload();
      } while (this.checkAgain && !this.closed);
      this.checking = undefined;
    })();
    return this.checking;
  }

  private async reload(): Promise<void> {
    let pair: Pair;
    try {
      pair = await readPair(this.paths);
    } catch (err) {
      this.reject(undefined, err as Error);
      return;
    }
    if (this.closed) return;
    if (samePair(pair, this.pair)) {
      this.rejected = undefined;
      return;
    }
    if (this.rejected?.pair && !this.rejected.recheck && samePair(pair, this.rejected.pair)) return;
    let cert: X509Certificate;
    try {
      cert = checkPair(pair, this.paths);
      const problem = validityProblem(cert, (this.opts.now ?? Date.now)());
      if (problem) throw new TlsFilesError(`${this.paths.certFile}: ${problem}`, (this.opts.now ?? Date.now)() < Date.parse(cert.validFrom));
    } catch (err) {
      this.reject(pair, err as Error);
      return;
    }
    this.pair = pair;
    this.cert = cert;
    this.rejected = undefined;
    this.opts.log.info('TLS certificate renewed; new connections use it', { certFile: this.paths.certFile, ...describe(cert) });
    for (const listener of this.listeners) {
      try {
        listener(this.options);
      } catch (e) {
        this.opts.log.error('cannot use the renewed TLS certificate; still serving the previous one', { certFile: this.paths.certFile, error: (e as Error).message });
      }
    }
  }

  /** Log a bad pair or read error once (not at every poll) and keep serving the current pair. */
  private reject(pair: Pair | undefined, err: Error): void {
    const last = this.rejected;
    const repeat = last !== undefined && last.message === err.message && (pair === undefined ? last.pair === undefined : last.pair !== undefined && samePair(pair, last.pair));
    this.rejected = { pair, message: err.message, recheck: err instanceof TlsFilesError && err.recheck };
    if (!repeat) this.opts.log.error('the renewed TLS certificate cannot be used; still serving the previous one', { error: err.message });
  }
}

function samePair(a: Pair, b: Pair): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key);
}
