// Key fixtures for every test that needs key material: keys in every format Signet reads, made with
// node:crypto, and X.509 certificates, whose DER is assembled with node-forge's ASN.1 encoder (Node
// can parse certificates but not build them) and signed with node:crypto (so EC and Ed25519
// certificates work too, which forge's own X.509 code cannot do). Keys are made once per process.
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import forge from 'node-forge';
import type { Algorithm, KeyIdFormat } from '../../src/api/types.js';
import type { SecretKeyInput } from '../../src/keys/types.js';

export type KeyKind = 'rsa2048' | 'rsa3072' | 'rsa4096' | 'p256' | 'p384' | 'p521' | 'ed25519';
export const KEY_KINDS: readonly KeyKind[] = ['rsa2048', 'rsa3072', 'rsa4096', 'p256', 'p384', 'p521', 'ed25519'];

export interface KeyMaterial {
  kind: KeyKind;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** PEM `PRIVATE KEY`. */
  pkcs8: string;
  /** PEM `PUBLIC KEY`. */
  spki: string;
  /** RSA only: PEM `RSA PRIVATE KEY`. */
  pkcs1?: string;
  /** RSA only: PEM `RSA PUBLIC KEY`. */
  pkcs1Public?: string;
  /** EC only: PEM `EC PRIVATE KEY`. */
  sec1?: string;
  /** JSON text of the private and the public JWK (no kid, no alg). */
  privateJwk: string;
  publicJwk: string;
  /** Algorithms that fit the key, the default first. */
  algorithms: readonly Algorithm[];
  keySize: number;
}

const RSA_ALGS: readonly Algorithm[] = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];

const cache = new Map<string, KeyMaterial>();

function generate(kind: KeyKind): { privateKey: KeyObject; publicKey: KeyObject } {
  switch (kind) {
    case 'rsa2048': return generateKeyPairSync('rsa', { modulusLength: 2048 });
    case 'rsa3072': return generateKeyPairSync('rsa', { modulusLength: 3072 });
    case 'rsa4096': return generateKeyPairSync('rsa', { modulusLength: 4096 });
    case 'p256': return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'p384': return generateKeyPairSync('ec', { namedCurve: 'P-384' });
    case 'p521': return generateKeyPairSync('ec', { namedCurve: 'P-521' });
    case 'ed25519': return generateKeyPairSync('ed25519');
  }
}

function shapeOf(kind: KeyKind): Pick<KeyMaterial, 'algorithms' | 'keySize'> {
  switch (kind) {
    case 'rsa2048': return { algorithms: RSA_ALGS, keySize: 2048 };
    case 'rsa3072': return { algorithms: RSA_ALGS, keySize: 3072 };
    case 'rsa4096': return { algorithms: RSA_ALGS, keySize: 4096 };
    case 'p256': return { algorithms: ['ES256'], keySize: 256 };
    case 'p384': return { algorithms: ['ES384'], keySize: 384 };
    case 'p521': return { algorithms: ['ES512'], keySize: 521 };
    case 'ed25519': return { algorithms: ['EdDSA'], keySize: 256 };
  }
}

export function materialFromKeyObjects(kind: KeyKind, privateKey: KeyObject): KeyMaterial {
  const publicKey = createPublicKey(privateKey);
  const pem = (k: KeyObject, type: 'pkcs8' | 'spki' | 'pkcs1' | 'sec1'): string => k.export({ type, format: 'pem' }).toString();
  const isRsa = kind.startsWith('rsa');
  const isEc = kind.startsWith('p');
  return {
    kind,
    privateKey,
    publicKey,
    pkcs8: pem(privateKey, 'pkcs8'),
    spki: pem(publicKey, 'spki'),
    ...(isRsa && { pkcs1: pem(privateKey, 'pkcs1'), pkcs1Public: pem(publicKey, 'pkcs1') }),
    ...(isEc && { sec1: pem(privateKey, 'sec1') }),
    privateJwk: JSON.stringify(privateKey.export({ format: 'jwk' })),
    publicJwk: JSON.stringify(publicKey.export({ format: 'jwk' })),
    ...shapeOf(kind),
  };
}

/** The key of a kind, made once per process; `variant` gives further distinct keys of the same kind. */
export function makeKeyMaterial(kind: KeyKind, variant = 0): KeyMaterial {
  const id = `${kind}#${variant}`;
  let m = cache.get(id);
  if (m === undefined) {
    m = materialFromKeyObjects(kind, generate(kind).privateKey);
    cache.set(id, m);
  }
  return m;
}

const rsaBySize = new Map<number, KeyObject>();

/** A PKCS#1 `RSA PRIVATE KEY` PEM of any size (1024 for a too-weak key), made once per size. */
export function rsaPkcs1Pem(bits: number): string {
  let key = rsaBySize.get(bits);
  if (key === undefined) {
    key = generateKeyPairSync('rsa', { modulusLength: bits }).privateKey;
    rsaBySize.set(bits, key);
  }
  return key.export({ type: 'pkcs1', format: 'pem' }).toString();
}

export type OtherKeyKind = 'dsa' | 'x25519' | 'x448' | 'ed448' | 'secp256k1' | 'brainpoolP256r1' | 'rsa-pss' | 'rsa1024';
const others = new Map<OtherKeyKind, KeyObject>();

/** Keys Signet refuses, as PKCS#8 private key objects. */
export function makeOtherKey(kind: OtherKeyKind): KeyObject {
  let key = others.get(kind);
  if (key === undefined) {
    switch (kind) {
      case 'dsa': key = generateKeyPairSync('dsa', { modulusLength: 1024, divisorLength: 160 }).privateKey; break;
      case 'x25519': key = generateKeyPairSync('x25519').privateKey; break;
      case 'x448': key = generateKeyPairSync('x448').privateKey; break;
      case 'ed448': key = generateKeyPairSync('ed448').privateKey; break;
      case 'secp256k1': key = generateKeyPairSync('ec', { namedCurve: 'secp256k1' }).privateKey; break;
      case 'brainpoolP256r1': key = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' }).privateKey; break;
      case 'rsa-pss': key = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey; break;
      case 'rsa1024': key = createPrivateKey(rsaPkcs1Pem(1024)); break;
    }
    others.set(kind, key);
  }
  return key;
}

// ---- certificates -------------------------------------------------------------------------

const { asn1 } = forge;
const U = asn1.Class.UNIVERSAL;
const T = asn1.Type;

const seq = (items: forge.asn1.Asn1[]) => asn1.create(U, T.SEQUENCE, true, items);
const oid = (dotted: string) => asn1.create(U, T.OID, false, asn1.oidToDer(dotted).getBytes());
const bin = (buf: Buffer) => buf.toString('binary');

function name(cn: string): forge.asn1.Asn1 {
  const atv = seq([oid('2.5.4.3'), asn1.create(U, T.UTF8, false, forge.util.encodeUtf8(cn))]);
  return seq([asn1.create(U, T.SET, true, [atv])]);
}

/** The signature algorithm an issuer key signs certificates with, and the hash for crypto.sign. */
function signatureAlgorithm(issuer: KeyObject): { id: forge.asn1.Asn1; hash: string | null } {
  switch (issuer.asymmetricKeyType) {
    case 'rsa': return { id: seq([oid('1.2.840.113549.1.1.11'), asn1.create(U, T.NULL, false, '')]), hash: 'sha256' };
    case 'ed25519': return { id: seq([oid('1.3.101.112')]), hash: null };
    case 'ec': {
      const curve = issuer.asymmetricKeyDetails?.namedCurve;
      if (curve === 'secp384r1') return { id: seq([oid('1.2.840.10045.4.3.3')]), hash: 'sha384' };
      if (curve === 'secp521r1') return { id: seq([oid('1.2.840.10045.4.3.4')]), hash: 'sha512' };
      return { id: seq([oid('1.2.840.10045.4.3.2')]), hash: 'sha256' };
    }
    default: throw new Error(`cannot sign a certificate with a ${String(issuer.asymmetricKeyType)} key`);
  }
}

function toKeyObject(key: KeyObject | string, kind: 'private' | 'public'): KeyObject {
  if (typeof key !== 'string') return kind === 'public' && key.type === 'private' ? createPublicKey(key) : key;
  return kind === 'private' ? createPrivateKey(key) : createPublicKey(key);
}

export interface CertOptions {
  /** The key the certificate is for (a private key is reduced to its public half). */
  subjectKey: KeyObject | string;
  subjectCN?: string;
  /** The key that signs; the subject's own for a self-signed certificate. */
  issuerKey: KeyObject | string;
  issuerCN?: string;
  ca?: boolean;
  days?: number;
  /** Start of validity (default a minute ago); `days` after it, the certificate expires. */
  notBefore?: Date;
}

export function derToPem(der: Buffer, label = 'CERTIFICATE'): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** A v3 X.509 certificate as PEM. */
export function makeCert(opts: CertOptions): string {
  const subject = toKeyObject(opts.subjectKey, 'public');
  const issuer = toKeyObject(opts.issuerKey, 'private');
  const alg = signatureAlgorithm(issuer);
  const serial = randomBytes(12);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01; // positive, no leading zero
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = new Date(notBefore.getTime() + (opts.days ?? 365) * 86_400_000);
  const extensions = opts.ca === true
    ? [asn1.create(asn1.Class.CONTEXT_SPECIFIC, 3, true, [seq([
      // basicConstraints, critical, cA TRUE
      seq([oid('2.5.29.19'), asn1.create(U, T.BOOLEAN, false, '\xff'),
        asn1.create(U, T.OCTETSTRING, false, asn1.toDer(seq([asn1.create(U, T.BOOLEAN, false, '\xff')])).getBytes())]),
    ])])]
    : [];
  const tbs = seq([
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [asn1.create(U, T.INTEGER, false, '\x02')]),
    asn1.create(U, T.INTEGER, false, bin(serial)),
    alg.id,
    name(opts.issuerCN ?? opts.subjectCN ?? 'signet-test'),
    seq([asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(notBefore)), asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(notAfter))]),
    name(opts.subjectCN ?? 'signet-test'),
    asn1.fromDer(bin(subject.export({ type: 'spki', format: 'der' }))),
    ...extensions,
  ]);
  const tbsDer = Buffer.from(asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign(alg.hash, tbsDer, issuer);
  const cert = seq([tbs, alg.id, asn1.create(U, T.BITSTRING, false, '\x00' + bin(signature))]);
  return derToPem(Buffer.from(asn1.toDer(cert).getBytes(), 'binary'));
}

/** A self-signed certificate for the key, as PEM. */
export function makeSelfSignedCert(privateKeyPem: string | KeyObject, cn = 'signet-test'): string {
  return makeCert({ subjectKey: privateKeyPem, issuerKey: privateKeyPem, subjectCN: cn, issuerCN: cn });
}

export interface CertChain {
  leafPem: string;
  intermediatePem: string;
  rootPem: string;
  /** What tls.crt holds: leaf, then intermediate. */
  chainPem: string;
}

/** leaf (for the given key) ← intermediate ← root, the CA keys being fresh P-256 keys. */
export function makeCertChain(leafPrivateKey: string | KeyObject, cn = 'signet-test-leaf'): CertChain {
  const rootKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const intermediateKey = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey;
  const rootPem = makeCert({ subjectKey: rootKey, issuerKey: rootKey, subjectCN: 'signet-test-root', issuerCN: 'signet-test-root', ca: true });
  const intermediatePem = makeCert({ subjectKey: intermediateKey, issuerKey: rootKey, subjectCN: 'signet-test-intermediate', issuerCN: 'signet-test-root', ca: true });
  const leafPem = makeCert({ subjectKey: leafPrivateKey, issuerKey: intermediateKey, subjectCN: cn, issuerCN: 'signet-test-intermediate' });
  return { leafPem, intermediatePem, rootPem, chainPem: leafPem + intermediatePem };
}

/** DER of each CERTIFICATE block of a PEM text, in order. */
export function pemCertsToDer(pem: string): Buffer[] {
  return [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) => Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
}

/** x5t#S256 of a DER certificate. */
export function certThumbprintS256(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

// ---- OpenSSH ------------------------------------------------------------------------------

function sshString(b: Buffer | string): Buffer {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(buf.length);
  return Buffer.concat([len, buf]);
}

/** An unencrypted Ed25519 key in OpenSSH's own format (`-----BEGIN OPENSSH PRIVATE KEY-----`), as ssh-keygen writes it. */
export function openSshPrivateKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const pk = Buffer.from(jwk.x ?? '', 'base64url');
  const sk = Buffer.from(jwk.d ?? '', 'base64url');
  const pubBlob = Buffer.concat([sshString('ssh-ed25519'), sshString(pk)]);
  const check = randomBytes(4);
  let priv = Buffer.concat([check, check, sshString('ssh-ed25519'), sshString(pk), sshString(Buffer.concat([sk, pk])), sshString('test@signet')]);
  const pad: number[] = [];
  for (let i = 1; (priv.length + pad.length) % 8 !== 0; i++) pad.push(i);
  priv = Buffer.concat([priv, Buffer.from(pad)]);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(1);
  const body = Buffer.concat([Buffer.from('openssh-key-v1\0'), sshString('none'), sshString('none'), sshString(''), count, sshString(pubBlob), sshString(priv)]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** The one-line OpenSSH public key of an Ed25519 key (`ssh-ed25519 AAAA... comment`). */
export function openSshPublicKey(): string {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const blob = Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(jwk.x ?? '', 'base64url'))]);
  return `ssh-ed25519 ${blob.toString('base64')} test@signet\n`;
}

// ---- Secrets --------------------------------------------------------------------------------

/** Secret data from strings (as under stringData) or bytes. */
export function secretData(entries: Record<string, string | Buffer>): Record<string, Buffer> {
  return Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]));
}

export interface KeyInputOptions {
  secretName?: string;
  annotations?: Record<string, string>;
  requirePrivate?: boolean;
  keyIdFormat?: KeyIdFormat;
}

/** A SecretKeyInput for loadKey, defaulting to a signing ref with Thumbprint kids. */
export function keyInput(data: Record<string, string | Buffer>, opts: KeyInputOptions = {}): SecretKeyInput {
  return {
    secretName: opts.secretName ?? 'test-key',
    data: secretData(data),
    annotations: opts.annotations ?? {},
    requirePrivate: opts.requirePrivate ?? true,
    keyIdFormat: opts.keyIdFormat ?? 'Thumbprint',
  };
}

/** The signet.dev/algorithm annotation. */
export function algorithmAnnotation(alg: string): Record<string, string> {
  return { 'signet.dev/algorithm': alg };
}
