// The state file (src/sa-signer/state-file.ts): what a cold start serves from. A file that is too
// open or damaged is refused with what to fix, and left as it is.
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Keyring } from '../../../src/sa-signer/keyring.js';
import { decodeState, encodeState, readState, writeState, StateFileError } from '../../../src/sa-signer/state-file.js';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyring: Keyring = {
  issuerURI: 'https://kubernetes.default.svc',
  keys: [
    { kid: 'a', alg: 'ES256', der: publicKey.export({ type: 'spki', format: 'der' }), excludeFromDiscovery: false },
    { kid: 'legacy', alg: 'ES256', der: publicKey.export({ type: 'spki', format: 'der' }), excludeFromDiscovery: true },
  ],
  signer: { kid: 'a', alg: 'ES256', privateKey, publishedSinceMs: Date.parse('2026-12-01T00:00:00Z') },
  maxTokenExpirationSeconds: 3600, refreshHintSeconds: 60, publishAheadMs: 600_000, dataTimestampMs: Date.parse('2026-12-01T00:00:01Z'),
};
// The private key's PEM with its DER body damaged (not the public keys' base64, which could also contain the same letters).
function withBrokenPrivateKey(text: string): string {
  const doc = JSON.parse(text) as { signer: { privateKeyPem: string } };
  doc.signer.privateKeyPem = doc.signer.privateKeyPem.replace(/^MI[A-Za-z0-9+/]{10}/m, 'MIxxxxxxxxxx');
  return JSON.stringify(doc);
}
const dir = mkdtempSync(join(tmpdir(), 'signet-state-'));

it('round-trips the keyring through an atomic 0600 write', async () => {
  const path = join(dir, 'state.json');
  await writeState(path, encodeState('kube-system/issuer', keyring));
  expect(statSync(path).mode & 0o777).toBe(0o600);
  const back = await readState(path, 'kube-system/issuer');
  expect({ ...back, signer: undefined }).toEqual({ ...keyring, signer: undefined });
  expect(back?.signer?.privateKey.export({ format: 'jwk' })).toEqual(privateKey.export({ format: 'jwk' }));
  expect(await readState(join(dir, 'absent.json'), 'kube-system/issuer')).toBeUndefined();
});

it('refuses a file others may read, says how to fix it, and leaves it as it is', async () => {
  const path = join(dir, 'open.json');
  writeFileSync(path, encodeState('kube-system/issuer', keyring));
  chmodSync(path, 0o644);
  const before = readFileSync(path);
  await expect(readState(path, 'kube-system/issuer')).rejects.toThrow(`state file ${path} has mode 0644, but it holds a private key: run chmod 600 ${path}`);
  expect(readFileSync(path).equals(before)).toBe(true);
});

it.each([
  ['not JSON', '{"format": ', 'not JSON'],
  ['another format', '{"format": "x"}', '"format" is not'],
  ['no keys', JSON.stringify({ ...JSON.parse(encodeState('kube-system/issuer', keyring)), keys: [] }), 'no issuerURI or no keys'],
  ['a broken private key', withBrokenPrivateKey(encodeState('kube-system/issuer', keyring)), 'private key does not parse'],
])('refuses %s, with what to do', (_what, text, detail) => {
  expect(() => decodeState(text, '/var/lib/signet/state.json', 'kube-system/issuer')).toThrow(StateFileError);
  expect(() => decodeState(text, '/var/lib/signet/state.json', 'kube-system/issuer')).toThrow(detail);
  expect(() => decodeState(text, '/var/lib/signet/state.json', 'kube-system/issuer')).toThrow('move it aside');
});

it('refuses the state of another AuthServer', () => {
  expect(() => decodeState(encodeState('team-a/login', keyring), '/s.json', 'kube-system/issuer')).toThrow('belongs to AuthServer team-a/login, not kube-system/issuer');
});

it('never writes the key material into an error message', () => {
  const text = encodeState('kube-system/issuer', keyring).replace('"maxTokenExpirationSeconds": 3600', '"maxTokenExpirationSeconds": -1');
  let message = '';
  try { decodeState(text, '/s.json', 'kube-system/issuer'); } catch (err) { message = (err as Error).message; }
  expect(message).toContain('maxTokenExpirationSeconds');
  expect(message).not.toContain('PRIVATE KEY');
});
