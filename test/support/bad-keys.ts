// Secrets that Signet must refuse, each with the reason it must give. The unit tests run them through
// loadKey; an integration test can apply them as real Secrets and expect the same conditions.
import { createPrivateKey, createPublicKey, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import type { KeyProblemReason } from '../../src/keys/types.js';
import {
  algorithmAnnotation, derToPem, makeCert, makeKeyMaterial, makeOtherKey, makeSelfSignedCert, openSshPrivateKey, openSshPublicKey, rsaPkcs1Pem,
  secretData,
} from './keys.js';

export interface BadKeyCase {
  name: string;
  data: Record<string, Buffer>;
  annotations?: Record<string, string>;
  requirePrivate: boolean;
  reason: KeyProblemReason;
  /** The data key the message must name. */
  dataKey: string;
  /** Something that helps the user fix it, which the message must match. */
  hint: RegExp;
}

const SUPPORTED = /RSA.*P-256.*Ed25519/;

function pkcs8(key: ReturnType<typeof makeOtherKey>): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * A PKCS#8 DSA key with random (not even prime) parameters of the given size: OpenSSL would spend
 * most of a second computing its public key, so Signet must refuse it by its algorithm OID first.
 */
export function craftedDsaPkcs8(bits: number): string {
  const { asn1 } = forge;
  const U = asn1.Class.UNIVERSAL;
  const int = (b: Buffer) => asn1.create(U, asn1.Type.INTEGER, false, Buffer.concat([Buffer.from([0]), b]).toString('binary'));
  const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, asn1.Type.SEQUENCE, true, items);
  const big = (n: number) => randomBytes(n / 8);
  const info = seq([
    asn1.create(U, asn1.Type.INTEGER, false, '\x00'),
    seq([asn1.create(U, asn1.Type.OID, false, asn1.oidToDer('1.2.840.10040.4.1').getBytes()), seq([int(big(bits)), int(big(256)), int(big(bits - 8))])]),
    asn1.create(U, asn1.Type.OCTETSTRING, false, asn1.toDer(int(big(bits - 8))).getBytes()),
  ]);
  return derToPem(Buffer.from(asn1.toDer(info).getBytes(), 'binary'), 'PRIVATE KEY');
}

function jwkText(jwk: object): string {
  return JSON.stringify(jwk);
}

/** Flip bytes in the middle of a PEM body, keeping it valid base64, so that the DER inside is wrong. */
function corruptPemBody(pem: string): string {
  const lines = pem.split('\n');
  const mid = Math.floor(lines.length / 2);
  lines[mid] = (lines[mid] ?? '').replace(/[A-Za-z0-9]/g, (c) => (c === 'A' ? 'B' : 'A'));
  return lines.join('\n');
}

export function badKeyCorpus(): BadKeyCase[] {
  const rsa = makeKeyMaterial('rsa2048');
  const rsaOther = makeKeyMaterial('rsa2048', 1);
  const p256 = makeKeyMaterial('p256');
  const p256Other = makeKeyMaterial('p256', 1);
  const ed = makeKeyMaterial('ed25519');
  const edOther = makeKeyMaterial('ed25519', 1);
  const rsaPrivateJwk = JSON.parse(rsa.privateJwk) as Record<string, string>;
  const rsaPublicJwk = JSON.parse(rsa.publicJwk) as Record<string, string>;
  const p256PrivateJwk = JSON.parse(p256.privateJwk) as Record<string, string>;
  const p256OtherJwk = JSON.parse(p256Other.publicJwk) as Record<string, string>;
  const edPrivateJwk = JSON.parse(ed.privateJwk) as Record<string, string>;
  const edOtherJwk = JSON.parse(edOther.publicJwk) as Record<string, string>;
  const weakRsa = rsaPkcs1Pem(1024);
  const pkcs8Der = rsa.privateKey.export({ type: 'pkcs8', format: 'der' });

  const c = (name: string, data: Record<string, string | Buffer>, rest: Omit<BadKeyCase, 'name' | 'data'>): BadKeyCase => ({ name, data: secretData(data), ...rest });
  const signing = { requirePrivate: true } as const;
  const verifyOnly = { requirePrivate: false } as const;

  return [
    // --- nothing to read ---
    c('no data at all', {}, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'key.pem', hint: /key\.pem.*pub\.pem.*tls\.key.*tls\.crt.*jwk\.json/ }),
    c('only unrelated data keys', { id_rsa: 'x', 'private.key': 'y' }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'jwk.json', hint: /"id_rsa".*Put the key in one of/ }),
    c('empty key.pem', { 'key.pem': '' }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'key.pem', hint: /is empty.*PEM private key/ }),
    c('whitespace-only jwk.json', { 'jwk.json': ' \n' }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'jwk.json', hint: /one JWK/ }),
    c('pub.pem alone as the signing key', { 'pub.pem': rsa.spki }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'pub.pem', hint: /needs the private half.*key\.pem.*tls\.key.*jwk\.json/ }),
    c('public jwk.json as the signing key', { 'jwk.json': p256.publicJwk }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'jwk.json', hint: /private half.*"d"/ }),
    c('tls.crt without tls.key as the signing key', { 'tls.crt': makeSelfSignedCert(p256.pkcs8) }, { ...signing, reason: 'KeyMaterialMissing', dataKey: 'tls.crt', hint: /private half.*tls\.key/ }),

    // --- not a PEM key ---
    c('plain text in key.pem', { 'key.pem': 'my secret signing key\n' }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /no PEM block.*PRIVATE KEY/ }),
    c('random binary in key.pem', { 'key.pem': Buffer.concat([Buffer.from([0xff, 0x00]), randomBytes(600)]) }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /binary data, not PEM/ }),
    c('DER instead of PEM in key.pem', { 'key.pem': pkcs8Der }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /openssl pkey -inform DER -in key\.der -out key\.pem/ }),
    c('PEM base64-encoded twice', { 'key.pem': Buffer.from(rsa.pkcs8).toString('base64') }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /base64-encoded twice.*stringData/ }),
    c('truncated PEM', { 'key.pem': rsa.pkcs8.slice(0, Math.floor(rsa.pkcs8.length / 2)) }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /truncated.*whole PEM file/ }),
    c('PEM body corrupted', { 'key.pem': corruptPemBody(rsa.pkcs1 ?? '') }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /could not be decoded.*openssl pkey/ }),
    c('JWK pasted into key.pem', { 'key.pem': rsa.privateJwk }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /JSON.*jwk\.json/ }),
    c('encrypted PKCS#8', { 'key.pem': rsa.privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' }).toString() },
      { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /unencrypted.*openssl pkey -in enc\.pem -out key\.pem/ }),
    c('encrypted legacy PKCS#1 (Proc-Type)', { 'tls.key': rsa.privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' }).toString(), 'tls.crt': makeSelfSignedCert(rsa.pkcs8) },
      { ...signing, reason: 'KeyParseError', dataKey: 'tls.key', hint: /encrypted.*openssl pkey -in enc\.pem -out key\.pem/ }),
    c('OpenSSH private key', { 'key.pem': openSshPrivateKey() }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /ssh-keygen -p -m PEM -f <file>/ }),
    c('OpenSSH public key line in pub.pem', { 'pub.pem': openSshPublicKey() }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'pub.pem', hint: /ssh-keygen -e -m PKCS8/ }),
    c('certificate where a key was expected', { 'key.pem': makeSelfSignedCert(rsa.pkcs8) }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /certificate.*tls\.crt.*tls\.key/ }),
    c('certificate in pub.pem', { 'pub.pem': makeSelfSignedCert(p256.pkcs8) }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'pub.pem', hint: /openssl x509 -in cert\.pem -pubkey -noout/ }),
    c('public key in key.pem', { 'key.pem': rsa.spki }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /public key.*pub\.pem/ }),
    c('private key in pub.pem', { 'pub.pem': p256.pkcs8 }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'pub.pem', hint: /openssl pkey -in key\.pem -pubout/ }),
    c('two private keys in key.pem', { 'key.pem': rsa.pkcs8 + p256.pkcs8 }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /exactly one private key/ }),
    c('garbage tls.crt beside a good tls.key', { 'tls.key': p256.pkcs8, 'tls.crt': '-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n' },
      { ...signing, reason: 'KeyParseError', dataKey: 'tls.crt', hint: /chain.*tls\.crt/ }),
    c('private key inside tls.crt', { 'tls.key': p256.pkcs8, 'tls.crt': makeSelfSignedCert(p256.pkcs8) + p256.pkcs8 },
      { ...signing, reason: 'KeyParseError', dataKey: 'tls.crt', hint: /belongs in data key "tls\.key"/ }),

    // --- sizes ---
    c('key.pem over 16 KiB', { 'key.pem': rsa.pkcs8 + '\n'.repeat(17 * 1024) }, { ...signing, reason: 'KeyParseError', dataKey: 'key.pem', hint: /at most 16384 bytes \(16 KiB\)/ }),
    c('jwk.json over 16 KiB', { 'jwk.json': JSON.stringify({ ...p256PrivateJwk, pad: 'x'.repeat(17 * 1024) }) }, { ...signing, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /16 KiB/ }),
    c('tls.crt over 256 KiB', { 'tls.key': p256.pkcs8, 'tls.crt': makeSelfSignedCert(p256.pkcs8).repeat(1000) }, { ...signing, reason: 'KeyParseError', dataKey: 'tls.crt', hint: /256 KiB/ }),

    // --- key types ---
    c('DSA key (PKCS#8)', { 'key.pem': pkcs8(makeOtherKey('dsa')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
    c('DSA key (legacy DSA PRIVATE KEY)', { 'key.pem': '-----BEGIN DSA PRIVATE KEY-----\nMIIBuwIBAAKBgQ==\n-----END DSA PRIVATE KEY-----\n' }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
    c('X25519 key', { 'key.pem': pkcs8(makeOtherKey('x25519')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
    c('X448 public key', { 'pub.pem': createPublicKey(makeOtherKey('x448')).export({ type: 'spki', format: 'pem' }).toString() }, { ...verifyOnly, reason: 'UnsupportedKeyType', dataKey: 'pub.pem', hint: SUPPORTED }),
    c('Ed448 key', { 'key.pem': pkcs8(makeOtherKey('ed448')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
    c('secp256k1 key', { 'key.pem': pkcs8(makeOtherKey('secp256k1')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: /P-256.*genpkey/ }),
    c('secp256k1 JWK', { 'jwk.json': JSON.stringify(makeOtherKey('secp256k1').export({ format: 'jwk' })) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'jwk.json', hint: /P-256, P-384 or P-521/ }),
    c('brainpoolP256r1 key', { 'key.pem': pkcs8(makeOtherKey('brainpoolP256r1')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
    c('Ed448 JWK', { 'jwk.json': JSON.stringify(makeOtherKey('ed448').export({ format: 'jwk' })) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'jwk.json', hint: /Ed25519/ }),
    c('RSA-PSS-restricted key', { 'key.pem': pkcs8(makeOtherKey('rsa-pss')) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: /RSA-PSS-restricted.*genpkey -algorithm RSA/ }),
    c('symmetric JWK (kty oct)', { 'jwk.json': jwkText({ kty: 'oct', k: randomBytes(32).toString('base64url'), alg: 'HS256' }) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'jwk.json', hint: /symmetric.*never published/ }),
    c('RSA 1024-bit key', { 'key.pem': weakRsa }, { ...signing, reason: 'KeyTooWeak', dataKey: 'key.pem', hint: /1024-bit.*at least 2048.*rsa_keygen_bits:2048/ }),
    c('RSA 1024-bit public key, verify-only', { 'pub.pem': createPublicKey(weakRsa).export({ type: 'spki', format: 'pem' }).toString() }, { ...verifyOnly, reason: 'KeyTooWeak', dataKey: 'pub.pem', hint: /at least 2048/ }),
    c('RSA public exponent 1', { 'jwk.json': jwkText({ ...rsaPublicJwk, e: 'AQ' }) }, { ...verifyOnly, reason: 'KeyTooWeak', dataKey: 'jwk.json', hint: /65537/ }),

    // --- halves that do not match ---
    c('pub.pem of another key', { 'key.pem': rsa.pkcs8, 'pub.pem': rsaOther.spki }, { ...signing, reason: 'KeyMismatch', dataKey: 'pub.pem', hint: /openssl pkey -in key\.pem -pubout/ }),
    c('pub.pem of another key type', { 'key.pem': p256.sec1 ?? '', 'pub.pem': ed.spki }, { ...verifyOnly, reason: 'KeyMismatch', dataKey: 'pub.pem', hint: /public half/ }),
    c('tls.crt for another key', { 'tls.key': rsa.pkcs8, 'tls.crt': makeSelfSignedCert(rsaOther.pkcs8) }, { ...signing, reason: 'KeyMismatch', dataKey: 'tls.crt', hint: /issued for the key in tls\.key/ }),
    c('EC JWK with the x/y of another key', { 'jwk.json': jwkText({ ...p256PrivateJwk, x: p256OtherJwk.x, y: p256OtherJwk.y }) }, { ...signing, reason: 'KeyMismatch', dataKey: 'jwk.json', hint: /do not verify.*Export the key pair again/ }),
    c('Ed25519 JWK with the x of another key', { 'jwk.json': jwkText({ ...edPrivateJwk, x: edOtherJwk.x }) }, { ...signing, reason: 'KeyMismatch', dataKey: 'jwk.json', hint: /Export the key pair again/ }),
    c('RSA JWK with a d from another key', { 'jwk.json': jwkText({ ...rsaPrivateJwk, d: (JSON.parse(rsaOther.privateJwk) as Record<string, string>).d }) },
      { ...signing, reason: 'KeyMismatch', dataKey: 'jwk.json', hint: /do not belong together.*Export the key pair again/ }),

    // --- jwk.json ---
    c('invalid JSON in jwk.json', { 'jwk.json': '{"kty":"EC",' }, { ...signing, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /not valid JSON/ }),
    c('JWK Set in jwk.json', { 'jwk.json': JSON.stringify({ keys: [p256PrivateJwk] }) }, { ...signing, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /exactly one key/ }),
    c('JSON array in jwk.json', { 'jwk.json': JSON.stringify([p256PrivateJwk]) }, { ...signing, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /one JWK|one key/ }),
    c('JWK without kty', { 'jwk.json': jwkText({ n: rsaPublicJwk.n, e: rsaPublicJwk.e }) }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /"kty"/ }),
    c('RSA JWK without e', { 'jwk.json': jwkText({ kty: 'RSA', n: rsaPublicJwk.n }) }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /member\(s\) e / }),
    c('private RSA JWK with d only', { 'jwk.json': jwkText({ ...rsaPublicJwk, d: rsaPrivateJwk.d }) }, { ...signing, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /needs d, p, q, dp, dq and qi/ }),
    c('EC JWK whose point is not on the curve', { 'jwk.json': jwkText({ ...p256OtherJwk, y: p256OtherJwk.x }) }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'jwk.json', hint: /not on the curve|Export the key again/ }),
    c('JWK with use enc', { 'jwk.json': jwkText({ ...p256PrivateJwk, use: 'enc' }) }, { ...signing, reason: 'AlgorithmMismatch', dataKey: 'jwk.json', hint: /"use" to "sig"/ }),

    // --- algorithms ---
    c('JWK alg HS256', { 'jwk.json': jwkText({ ...p256PrivateJwk, alg: 'HS256' }) }, { ...signing, reason: 'AlgorithmMismatch', dataKey: 'jwk.json', hint: /"alg" in jwk\.json.*ES256/ }),
    c('JWK alg RSA-OAEP', { 'jwk.json': jwkText({ ...rsaPrivateJwk, alg: 'RSA-OAEP' }) }, { ...signing, reason: 'AlgorithmMismatch', dataKey: 'jwk.json', hint: /RS256.*EdDSA/ }),
    c('annotation none', { 'key.pem': rsa.pkcs8 }, { ...signing, annotations: algorithmAnnotation('none'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /never used.*RS256, RS384/ }),
    c('annotation HS256', { 'key.pem': rsa.pkcs8 }, { ...signing, annotations: algorithmAnnotation('HS256'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /HS256, which does not fit an RSA key.*RS256, RS384/ }),
    c('annotation in the wrong case', { 'key.pem': rsa.pkcs8 }, { ...signing, annotations: algorithmAnnotation('rs256'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /Did you mean RS256\?/ }),
    c('annotation unknown', { 'key.pem': p256.pkcs8 }, { ...signing, annotations: algorithmAnnotation('ES256K'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /for a P-256 key that is ES256/ }),
    c('annotation ES256 on an RSA key', { 'key.pem': rsa.pkcs8 }, { ...signing, annotations: algorithmAnnotation('ES256'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /RS256, RS384, RS512, PS256/ }),
    c('annotation ES384 on a P-256 key', { 'key.pem': p256.sec1 ?? '' }, { ...signing, annotations: algorithmAnnotation('ES384'), reason: 'AlgorithmMismatch', dataKey: 'key.pem', hint: /to ES256/ }),
    c('annotation RS256 on an Ed25519 key', { 'pub.pem': ed.spki }, { ...verifyOnly, annotations: algorithmAnnotation('RS256'), reason: 'AlgorithmMismatch', dataKey: 'pub.pem', hint: /to EdDSA/ }),
    c('annotation PS256 on an EC certificate', { 'tls.key': p256.pkcs8, 'tls.crt': makeCert({ subjectKey: p256.privateKey, issuerKey: createPrivateKey(rsa.pkcs8) }) },
      { ...signing, annotations: algorithmAnnotation('PS256'), reason: 'AlgorithmMismatch', dataKey: 'tls.key', hint: /ES256/ }),
    c('PEM wrapping an unreadable blob', { 'pub.pem': derToPem(randomBytes(64), 'PUBLIC KEY') }, { ...verifyOnly, reason: 'KeyParseError', dataKey: 'pub.pem', hint: /corrupted or truncated.*-pubout/ }),
    c('crafted DSA PKCS#8 with a 10000-bit modulus', { 'key.pem': craftedDsaPkcs8(10000) }, { ...signing, reason: 'UnsupportedKeyType', dataKey: 'key.pem', hint: SUPPORTED }),
  ];
}
