// A watch's events arrive as JSON lines cut anywhere by the network: inside an event, inside a
// UTF-8 character, several in one chunk, the last without its newline.
import { KubeConfig } from '@kubernetes/client-node';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ACCEPT_JSON, watchStream, type WatchEvent } from '../../../src/kube/stream.js';

let chunks: Buffer[] = [];
const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json' });
  // A pause between writes, so that each arrives as a chunk of its own.
  const write = (i: number): void => {
    if (i === chunks.length) return void res.end();
    res.write(chunks[i]);
    setTimeout(() => write(i + 1), 5);
  };
  write(0);
});
const kc = new KubeConfig();

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
});
afterAll(() => new Promise((r) => server.close(r)));

async function events(parts: Buffer[]): Promise<WatchEvent<{ metadata: { name: string } }>[]> {
  chunks = parts;
  const seen: WatchEvent<{ metadata: { name: string } }>[] = [];
  await watchStream<{ metadata: { name: string } }>(kc, '/api/v1/secrets?watch=1', ACCEPT_JSON, new AbortController().signal, (e) => seen.push(e));
  return seen;
}

const line = (type: string, name: string): string => `${JSON.stringify({ type, object: { metadata: { name } } })}\n`;

it('gives every event once, in order, however the bytes are cut', async () => {
  const text = line('ADDED', 'a') + line('MODIFIED', 'ключ-é') + '\n' + line('DELETED', 'c') + line('ADDED', 'last').trimEnd();
  const bytes = Buffer.from(text, 'utf8');
  const expected = [['ADDED', 'a'], ['MODIFIED', 'ключ-é'], ['DELETED', 'c'], ['ADDED', 'last']];
  // Cut into pieces of 1, 7 and 40 bytes: inside events, inside the two-byte characters, across newlines.
  for (const size of [1, 7, 40, bytes.length]) {
    const parts: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) parts.push(bytes.subarray(i, i + size));
    expect((await events(parts)).map((e) => [e.type, e.object.metadata.name])).toEqual(expected);
  }
});
