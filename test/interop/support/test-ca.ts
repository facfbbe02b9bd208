// A throw-away certificate authority and a serving certificate for localhost/127.0.0.1 signed by
// it: Signet's JWKS listener serves the certificate, and every verifier trusts only the CA, as in
// a cluster where cert-manager issues the certificate and consumers are given the CA bundle.
import { generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import forge from 'node-forge';

export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  certFile: string;
  keyFile: string;
}

async function rsaKey(): Promise<forge.pki.rsa.KeyPair> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const priv = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString());
  return { privateKey: priv, publicKey: forge.pki.setRsaPublicKey(priv.n, priv.e) };
}

function certificate(subject: string, publicKey: forge.pki.PublicKey, issuer: { name: string; key: forge.pki.rsa.PrivateKey }, extensions: object[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  cert.serialNumber = '01' + randomBytes(8).toString('hex');
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 3600_000);
  cert.setSubject([{ name: 'commonName', value: subject }]);
  cert.setIssuer([{ name: 'commonName', value: issuer.name }]);
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return cert;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'signet-interop-pki-'));
  const [ca, leaf] = await Promise.all([rsaKey(), rsaKey()]);
  const caName = 'signet-interop-test-ca';
  const caCert = certificate(caName, ca.publicKey, { name: caName, key: ca.privateKey }, [
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  const serving = certificate('localhost', leaf.publicKey, { name: caName, key: ca.privateKey }, [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] },
  ]);
  const caPem = forge.pki.certificateToPem(caCert);
  const pki: TestPki = { dir, caFile: join(dir, 'ca.crt'), caPem, certFile: join(dir, 'tls.crt'), keyFile: join(dir, 'tls.key') };
  writeFileSync(pki.caFile, caPem);
  writeFileSync(pki.certFile, forge.pki.certificateToPem(serving));
  writeFileSync(pki.keyFile, forge.pki.privateKeyToPem(leaf.privateKey), { mode: 0o600 });
  return pki;
}
