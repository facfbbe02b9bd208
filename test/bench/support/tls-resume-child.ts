// The load generator for resumed TLS handshakes (jwks-tls.ts): `concurrency` loops, each opening a
// new connection per request and offering the session of its previous one (a TLS 1.2 ticket or a
// TLS 1.3 PSK ticket), as a verifier that refetches a JWKS on a new connection would. wrk cannot
// resume, so this is the client here. Prints one JSON line: connections, resumed, errors, seconds.
// Run as `node --import tsx test/bench/support/tls-resume-child.ts PORT HOST PATH SECONDS CONCURRENCY`.
import tls from 'node:tls';

const [port, host, path, seconds, concurrency] = process.argv.slice(2);
const end = Date.now() + Number(seconds) * 1000;
let connections = 0;
let resumed = 0;
let errors = 0;

function once(session: Buffer | undefined, keep: (s: Buffer) => void): Promise<void> {
  return new Promise((resolve) => {
    let reused = false;
    const socket = tls.connect({ host: '127.0.0.1', port: Number(port), rejectUnauthorized: false, ...(session && { session }) }, () => {
      // Read now: once the connection is closed, isSessionReused() says false.
      reused = socket.isSessionReused();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    });
    socket.on('session', keep);
    socket.on('data', () => undefined);
    socket.once('error', () => { errors++; });
    socket.once('close', (hadError) => {
      if (!hadError) {
        connections++;
        if (reused) resumed++;
      }
      resolve();
    });
  });
}

async function loop(): Promise<void> {
  let session: Buffer | undefined;
  while (Date.now() < end) await once(session, (s) => { session = s; });
}

const started = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, loop));
console.log(JSON.stringify({ connections, resumed, errors, seconds: (Date.now() - started) / 1000 }));
