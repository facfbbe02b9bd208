// The connection-flood attack of issue 9 point 10 at full size, on loopback: one client opens
// 10,000 connections to the JWKS listener (its default maxConnections is 10,000), sends one
// request on each and keeps them idle; meanwhile other clients send requests on new connections.
// Counts their failures (target: none) and how many connections the attacker still holds. The
// in-process version with a lowered cap is test/unit/jwks/connection-flood.test.ts.
import net from 'node:net';
import { heading, machine, verdict, type Bench } from './support/bench.js';
import { startJwksProcess } from './support/jwks-process.js';
import { BENCH_HOST, BENCH_PATH, benchDocuments, rsaPublicJwk } from './support/keys.js';

const ATTACK_CONNECTIONS = 10_000;
const PARALLEL = 200;
const LEGIT_ROUNDS = 10;
const LEGIT_PER_ROUND = 20;
const REQUEST = `GET ${BENCH_PATH} HTTP/1.1\r\nHost: ${BENCH_HOST}\r\n\r\n`;

/** One request on a new connection; resolves with the status, or 0 when the connection failed. */
function exchange(port: number, keepOpen: net.Socket[] | undefined): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let settled = false;
    const done = (status: number): void => {
      if (settled) return;
      settled = true;
      if (keepOpen && status !== 0) keepOpen.push(socket);
      else socket.destroy();
      resolve(status);
    };
    socket.setTimeout(10_000, () => done(0));
    socket.on('error', () => done(0));
    socket.on('close', () => done(0));
    socket.once('data', (chunk: Buffer) => done(Number(/^HTTP\/1\.1 (\d{3})/.exec(chunk.toString('latin1'))?.[1] ?? 0)));
    socket.write(REQUEST);
  });
}

async function run(): Promise<void> {
  heading('JWKS listener under a connection flood (10,000 idle keep-alive connections from one client)');
  console.log(`machine: ${machine()}`);
  const signet = await startJwksProcess();
  const held: net.Socket[] = [];
  try {
    await signet.request({ type: 'set', docs: benchDocuments([await rsaPublicJwk(2048)]) }, 'set-done');
    let legitFailures = 0;
    let legitTotal = 0;
    const legitRound = async (): Promise<void> => {
      const statuses = await Promise.all(Array.from({ length: LEGIT_PER_ROUND }, () => exchange(signet.port, undefined)));
      legitTotal += statuses.length;
      legitFailures += statuses.filter((s) => s !== 200).length;
    };
    const started = Date.now();
    let attackerAnswered = 0;
    for (let i = 0; i < ATTACK_CONNECTIONS; i += PARALLEL) {
      const statuses = await Promise.all(Array.from({ length: PARALLEL }, () => exchange(signet.port, held)));
      attackerAnswered += statuses.filter((s) => s === 200).length;
      // Everyone else, while the attack is under way.
      if ((i / PARALLEL) % Math.ceil(ATTACK_CONNECTIONS / PARALLEL / LEGIT_ROUNDS) === 0) await legitRound();
    }
    const attackMs = Date.now() - started;
    // And with every attacking connection opened and left idle.
    for (let r = 0; r < LEGIT_ROUNDS; r++) await legitRound();
    const stillHeld = held.filter((s) => !s.destroyed && !s.readableEnded).length;
    console.log(`  attacker: ${ATTACK_CONNECTIONS.toLocaleString('en-US')} connections in ${(attackMs / 1000).toFixed(1)} s, ${attackerAnswered.toLocaleString('en-US')} answered; still open at the end: ${stillHeld.toLocaleString('en-US')}`);
    console.log(`  legitimate requests on new connections: ${legitTotal}, failed: ${legitFailures}  ${verdict(legitFailures === 0, '0 failures')}`);
  } finally {
    for (const s of held) s.destroy();
    await signet.stop();
  }
}

const bench: Bench = {
  name: 'jwks-flood',
  description: 'legitimate requests that fail while one client holds 10,000 idle connections to the JWKS listener (target 0)',
  run,
};
export default bench;
