// Turns a PEM data key (key.pem, tls.key, pub.pem, tls.crt) into KeyObjects or certificates, or into a
// refusal that says what was found instead and how to fix it.
import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ok } from '../api/result.js';
import { NODE_KEY_TYPES } from '../api/algorithms.js';
import { KEY_TYPE_BY_OID, keyAlgorithmOid, pemBody } from './der.js';
import { scanPem } from './pem.js';
import type { PemBlock, PemScan } from './pem.js';
import { dataKeyRef, errorCode, refuse, SUPPORTED_KEYS } from './problem.js';
import type { Refusal } from './problem.js';
import type { KeyResult } from './types.js';
import { unsupportedType } from './validate.js';

type Want = 'private' | 'public' | 'certificate';

const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);

const EXPECTED: Record<Want, string> = {
  private: 'a PEM private key (PKCS#8 "PRIVATE KEY", PKCS#1 "RSA PRIVATE KEY" or SEC1 "EC PRIVATE KEY")',
  public: 'a PEM public key (SPKI "PUBLIC KEY" or PKCS#1 "RSA PUBLIC KEY")',
  certificate: 'PEM certificates ("CERTIFICATE" blocks, leaf first)',
};

function derFix(want: Want, dataKey: string): string {
  switch (want) {
    case 'private': return `openssl pkey -inform DER -in key.der -out ${dataKey}`;
    case 'public': return `openssl pkey -pubin -inform DER -in pub.der -out ${dataKey}`;
    case 'certificate': return `openssl x509 -inform DER -in cert.der -out ${dataKey}`;
  }
}

/** Everything a scan can say other than "here are PEM blocks". */
function scanRefusal(secret: string, dataKey: string, want: Want, scan: Exclude<PemScan, { kind: 'pem' }>): Refusal {
  const where = dataKeyRef(dataKey);
  const expected = `Put ${EXPECTED[want]} in ${dataKey}`;
  switch (scan.kind) {
    case 'empty':
      return refuse('KeyMaterialMissing', secret, where, 'is empty', `${expected}.`);
    case 'binary':
      return scan.der
        ? refuse('KeyParseError', secret, where, 'holds binary (DER) data, not PEM text', `Convert it to PEM, e.g. \`${derFix(want, dataKey)}\`.`)
        : refuse('KeyParseError', secret, where, 'holds binary data, not PEM text', `${expected}.`);
    case 'double-base64':
      return refuse('KeyParseError', secret, where, 'holds base64 of a PEM file: the value was base64-encoded twice',
        'Encode the PEM file once under data (or put it as-is under stringData), e.g. `kubectl create secret generic NAME --from-file=' + dataKey + '=FILE`.');
    case 'json':
      return refuse('KeyParseError', secret, where, 'holds JSON, not PEM', `A JWK belongs in data key "jwk.json"; otherwise ${expected.charAt(0).toLowerCase()}${expected.slice(1)}.`);
    case 'openssh-public':
      return refuse('KeyParseError', secret, where, 'holds an OpenSSH public key line, not PEM',
        'Convert it with `ssh-keygen -e -m PKCS8 -f key.pub > pub.pem` and put it in data key "pub.pem".');
    case 'truncated':
      return refuse('KeyParseError', secret, where, `has a BEGIN ${scan.label} line without its END line: the value is truncated`, `Copy the whole PEM file into ${dataKey}.`);
    case 'no-pem':
      return refuse('KeyParseError', secret, where, 'holds no PEM block', `${expected}.`);
  }
}

/** Mistakes recognisable from the block labels alone, common to every PEM data key. */
function labelRefusal(secret: string, dataKey: string, want: Want, blocks: PemBlock[]): Refusal | undefined {
  const where = dataKeyRef(dataKey);
  if (blocks.some((b) => b.label === 'OPENSSH PRIVATE KEY')) {
    return refuse('KeyParseError', secret, where, 'holds an OpenSSH-format private key, which Signet does not read',
      'Convert it to PEM with `ssh-keygen -p -m PEM -f <file>` (RSA and ECDSA keys; for Ed25519 create a new key with `openssl genpkey -algorithm ed25519 -out key.pem`).');
  }
  if (blocks.some((b) => b.encrypted)) {
    return refuse('KeyParseError', secret, where, 'holds an encrypted (passphrase-protected) private key',
      `Signet needs it unencrypted: decrypt it with \`openssl pkey -in enc.pem -out key.pem\` and store the result in ${dataKey}.`);
  }
  if (blocks.some((b) => b.label === 'DSA PRIVATE KEY' || b.label === 'DSA PUBLIC KEY')) {
    return refuse('UnsupportedKeyType', secret, where, 'holds a DSA key',
      `${SUPPORTED_KEYS}: create one, e.g. \`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem\`.`);
  }
  if (want !== 'certificate' && blocks.some((b) => b.label.endsWith('PRIVATE KEY') && !PRIVATE_LABELS.has(b.label))) {
    return refuse('UnsupportedKeyType', secret, where, 'holds a kind of PEM private key that Signet does not read',
      `${SUPPORTED_KEYS}, in PKCS#8, PKCS#1 or SEC1 PEM: convert with \`openssl pkey -in original.pem -out key.pem\`.`);
  }
  return undefined;
}

function pickOne(secret: string, dataKey: string, want: 'private' | 'public', blocks: PemBlock[]): KeyResult<PemBlock> {
  const where = dataKeyRef(dataKey);
  const labels = want === 'private' ? PRIVATE_LABELS : PUBLIC_LABELS;
  const found = blocks.filter((b) => labels.has(b.label));
  if (found.length > 1) {
    return refuse('KeyParseError', secret, where, `holds ${found.length} ${want} keys`, `Put exactly one ${want} key in ${dataKey}.`);
  }
  const [one] = found;
  if (one !== undefined) return ok(one);
  const has = (pred: (l: string) => boolean): boolean => blocks.some((b) => pred(b.label));
  if (has((l) => l === 'CERTIFICATE' || l === 'TRUSTED CERTIFICATE')) {
    return want === 'private'
      ? refuse('KeyParseError', secret, where, 'holds a certificate where a private key was expected',
        'Put the certificate in data key "tls.crt" beside its private key in "tls.key" (a kubernetes.io/tls Secret), or put the private key itself in ' + dataKey + '.')
      : refuse('KeyParseError', secret, where, 'holds a certificate where a public key was expected',
        'Put the certificate in data key "tls.crt" beside its private key in "tls.key", or extract the public key with `openssl x509 -in cert.pem -pubkey -noout > pub.pem`.');
  }
  if (want === 'private' && has((l) => PUBLIC_LABELS.has(l))) {
    return refuse('KeyParseError', secret, where, 'holds a public key where a private key was expected',
      `A public key belongs in data key "pub.pem"; put ${EXPECTED.private} in ${dataKey}.`);
  }
  if (want === 'public' && has((l) => PRIVATE_LABELS.has(l))) {
    return refuse('KeyParseError', secret, where, 'holds a private key where a public key was expected',
      `A private key belongs in data key "key.pem"; derive the public key with \`openssl pkey -in key.pem -pubout -out ${dataKey}\`.`);
  }
  return refuse('KeyParseError', secret, where, `holds no ${want} key`, `Put ${EXPECTED[want]} in ${dataKey}.`);
}


/**
 * PKCS#8 and SPKI name their algorithm up front: a type Signet refuses is refused here, before OpenSSL
 * decodes it (see der.ts for why). The label-specific forms (RSA, EC) need no look.
 */
function screenAlgorithm(secret: string, dataKey: string, block: PemBlock): Refusal | undefined {
  const structure = block.label === 'PRIVATE KEY' ? 'pkcs8' : block.label === 'PUBLIC KEY' ? 'spki' : undefined;
  if (structure === undefined) return undefined;
  const oid = keyAlgorithmOid(pemBody(block.text), structure);
  if (oid === undefined) {
    return refuse('KeyParseError', secret, dataKeyRef(dataKey), `its ${block.label} block is not a DER ${structure === 'pkcs8' ? 'PKCS#8' : 'SPKI'} structure: it is corrupted or truncated`,
      `Export the key again, e.g. \`${structure === 'pkcs8' ? `openssl pkey -in original.pem -out ${dataKey}` : `openssl pkey -in key.pem -pubout -out ${dataKey}`}\`, and copy the whole file.`);
  }
  const type = KEY_TYPE_BY_OID[oid] ?? 'unknown';
  return NODE_KEY_TYPES.has(type) ? undefined : unsupportedType(secret, dataKeyRef(dataKey), type);
}

function decodeRefusal(secret: string, dataKey: string, what: string, err: unknown, fix: string): Refusal {
  return refuse('KeyParseError', secret, dataKeyRef(dataKey), `${what} could not be decoded (OpenSSL: ${errorCode(err)}): it is corrupted or truncated`, fix);
}

function blocksOf(secret: string, dataKey: string, want: Want, buf: Buffer): KeyResult<PemBlock[]> {
  const scan = scanPem(buf);
  if (scan.kind !== 'pem') return scanRefusal(secret, dataKey, want, scan);
  return labelRefusal(secret, dataKey, want, scan.blocks) ?? ok(scan.blocks);
}

export function readPrivatePem(secret: string, dataKey: string, buf: Buffer): KeyResult<KeyObject> {
  const blocks = blocksOf(secret, dataKey, 'private', buf);
  if (!blocks.ok) return blocks;
  const block = pickOne(secret, dataKey, 'private', blocks.value);
  if (!block.ok) return block;
  const screened = screenAlgorithm(secret, dataKey, block.value);
  if (screened !== undefined) return screened;
  try {
    // Only the chosen block goes to OpenSSL, so an `EC PARAMETERS` block or a certificate beside it is harmless.
    return ok(createPrivateKey({ key: block.value.text, format: 'pem' }));
  } catch (err) {
    return decodeRefusal(secret, dataKey, `its ${block.value.label} block`, err, `Export the key again, e.g. \`openssl pkey -in original.pem -out ${dataKey}\`, and copy the whole file.`);
  }
}

export function readPublicPem(secret: string, dataKey: string, buf: Buffer): KeyResult<KeyObject> {
  const blocks = blocksOf(secret, dataKey, 'public', buf);
  if (!blocks.ok) return blocks;
  const block = pickOne(secret, dataKey, 'public', blocks.value);
  if (!block.ok) return block;
  const screened = screenAlgorithm(secret, dataKey, block.value);
  if (screened !== undefined) return screened;
  try {
    return ok(createPublicKey({ key: block.value.text, format: 'pem' }));
  } catch (err) {
    return decodeRefusal(secret, dataKey, `its ${block.value.label} block`, err, `Derive the public key again with \`openssl pkey -in key.pem -pubout -out ${dataKey}\`.`);
  }
}

/** The certificate chain of tls.crt, leaf first. */
export function readCertChain(secret: string, dataKey: string, buf: Buffer): KeyResult<X509Certificate[]> {
  const blocks = blocksOf(secret, dataKey, 'certificate', buf);
  if (!blocks.ok) return blocks;
  const where = dataKeyRef(dataKey);
  if (blocks.value.some((b) => b.label.endsWith('PRIVATE KEY'))) {
    return refuse('KeyParseError', secret, where, 'holds a private key beside the certificates', `The private key belongs in data key "tls.key"; keep only CERTIFICATE blocks in ${dataKey}.`);
  }
  const certs = blocks.value.filter((b) => b.label === 'CERTIFICATE');
  if (certs.length === 0) {
    return refuse('KeyParseError', secret, where, 'holds no certificate', `Put ${EXPECTED.certificate} in ${dataKey}.`);
  }
  const chain: X509Certificate[] = [];
  for (const [i, block] of certs.entries()) {
    try {
      chain.push(new X509Certificate(block.text));
    } catch (err) {
      return decodeRefusal(secret, dataKey, `certificate ${i + 1} of the chain`, err, `Copy the whole certificate chain into ${dataKey} again.`);
    }
  }
  return ok(chain);
}
