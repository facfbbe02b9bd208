// The JWKS throughput comparison of jwks-throughput.ts over HTTPS (issue 12 point 4): Signet with
// --jwks-tls-* files (TlsFiles) and nginx with the same certificate and key, each pinned to one
// core (and the bare node:https reference), on keep-alive connections; then the rate of new
// connections, each a full TLS handshake, and of new connections that resume the previous session.
// The certificate is what the chart's cert-manager Certificate asks for: ECDSA P-256.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeSelfSignedCert } from '../support/keys.js';
import type { Bench } from './support/bench.js';
import { compareWithNginx } from './jwks-throughput.js';

async function run(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'signet-bench-tls-'));
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const certFile = path.join(dir, 'tls.crt');
    const keyFile = path.join(dir, 'tls.key');
    writeFileSync(certFile, makeSelfSignedCert(privateKey, 'localhost'));
    writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await compareWithNginx({
      title: 'JWKS over HTTPS: Signet vs nginx, one core each',
      tls: { certFile, keyFile, describe: 'self-signed ECDSA P-256 certificate, TLS 1.2 and 1.3 offered; wrk does not resume sessions, the resumed round uses a Node client' },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: Bench = {
  name: 'jwks-tls',
  description: 'JWKS req/s over HTTPS on one core, ratio to nginx HTTPS (target ≥ 0.5), and new-connection (handshake) rate',
  run,
};
export default bench;
