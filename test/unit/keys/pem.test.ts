// scanPem: what a PEM data key holds, before OpenSSL looks at it.
import { scanPem } from '../../../src/keys/pem.js';
import { makeKeyMaterial } from '../../support/keys.js';

const text = (s: string) => Buffer.from(s);

describe('scanPem', () => {
  const { pkcs8, spki, pkcs1 } = makeKeyMaterial('rsa2048');

  it('lists the blocks in order with their labels', () => {
    const scan = scanPem(text(`leading text\n${pkcs8}between\n${spki}`));
    expect(scan.kind === 'pem' && scan.blocks.map((b) => b.label)).toEqual(['PRIVATE KEY', 'PUBLIC KEY']);
    expect(scan.kind === 'pem' && scan.blocks[0]?.text.startsWith('-----BEGIN PRIVATE KEY-----')).toBe(true);
    expect(scan.kind === 'pem' && scan.blocks[0]?.text.trimEnd().endsWith('-----END PRIVATE KEY-----')).toBe(true);
  });

  it('marks encrypted blocks, PKCS#8 and legacy', () => {
    const legacy = (pkcs1 ?? '').replace('-----\n', '-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n');
    for (const pem of [legacy, '-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n']) {
      const scan = scanPem(text(pem));
      expect(scan.kind === 'pem' && scan.blocks[0]?.encrypted).toBe(true);
    }
    const plain = scanPem(text(pkcs8));
    expect(plain.kind === 'pem' && plain.blocks[0]?.encrypted).toBe(false);
  });

  it.each([
    ['empty', ''],
    ['empty', ' \r\n\t'],
    ['truncated', pkcs8.slice(0, 100)],
    ['double-base64', Buffer.from(pkcs8).toString('base64')],
    ['json', '{"kty":"EC"}'],
    ['json', '[]'],
    ['openssh-public', 'ssh-rsa AAAAB3NzaC1yc2E= me@host'],
    ['openssh-public', 'ecdsa-sha2-nistp256 AAAA me@host'],
    ['no-pem', 'hello world'],
  ])('recognises %s', (kind, value) => {
    expect(scanPem(text(value)).kind).toBe(kind);
  });

  it('tells DER from other binary data', () => {
    expect(scanPem(Buffer.from([0x30, 0x82, 0x01, 0x00, 0xff]))).toEqual({ kind: 'binary', der: true });
    expect(scanPem(Buffer.from([0x00, 0x01, 0x02]))).toEqual({ kind: 'binary', der: false });
    expect(scanPem(Buffer.from('caf\u00e9'))).toEqual({ kind: 'binary', der: false });
  });

  it('skips a UTF-8 byte order mark', () => {
    expect(scanPem(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(spki)])).kind).toBe('pem');
  });

  it('stays linear on pathological input', () => {
    const started = performance.now();
    scanPem(text('-----BEGIN A-----'.repeat(1000)));
    scanPem(text('-----BEGIN '.repeat(1500)));
    expect(performance.now() - started).toBeLessThan(200);
  });
});
