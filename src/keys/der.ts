// Just enough DER to read which algorithm a PKCS#8 or SPKI structure claims, before OpenSSL decodes it:
// decoding a DSA or DH private key makes OpenSSL compute g^x mod p, which for a crafted 10000-bit
// modulus takes over half a second. Keys of a type Signet refuses anyway never get that far.

interface Tlv {
  tag: number;
  /** Offset of the first value byte. */
  start: number;
  /** Offset after the last value byte. */
  end: number;
}

/** One definite-length TLV at `offset`, inside `limit`; undefined when it is not valid DER. */
function readTlv(der: Buffer, offset: number, limit: number): Tlv | undefined {
  const tag = der[offset];
  const first = der[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let start = offset + 2;
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) return undefined; // indefinite (BER) or absurd
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = der[start + i];
      if (b === undefined) return undefined;
      length = length * 256 + b;
    }
    start += count;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

function oidString(bytes: Buffer): string | undefined {
  const [first] = bytes;
  if (first === undefined || bytes.length > 32) return undefined;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let value = 0;
  for (const b of bytes.subarray(1)) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const OID = 0x06;

/**
 * The algorithm OID of a PKCS#8 PrivateKeyInfo (`SEQUENCE { INTEGER, SEQUENCE { OID, ... }, ... }`) or
 * an SPKI (`SEQUENCE { SEQUENCE { OID, ... }, BIT STRING }`); undefined when the DER does not have that shape.
 */
export function keyAlgorithmOid(der: Buffer, structure: 'pkcs8' | 'spki'): string | undefined {
  const outer = readTlv(der, 0, der.length);
  if (outer?.tag !== SEQUENCE) return undefined;
  let offset = outer.start;
  if (structure === 'pkcs8') {
    const version = readTlv(der, offset, outer.end);
    if (version?.tag !== INTEGER) return undefined;
    offset = version.end;
  }
  const algorithm = readTlv(der, offset, outer.end);
  if (algorithm?.tag !== SEQUENCE) return undefined;
  const oid = readTlv(der, algorithm.start, algorithm.end);
  if (oid?.tag !== OID) return undefined;
  return oidString(der.subarray(oid.start, oid.end));
}

/** Node's asymmetricKeyType for the algorithm OIDs of PKCS#8 and SPKI keys. */
export const KEY_TYPE_BY_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa-pss',
  '1.2.840.10045.2.1': 'ec',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.113549.1.3.1': 'dh',
  '1.2.840.10046.2.1': 'dh',
};

/** The DER inside a PEM block: the base64 lines between BEGIN and END, without `Name: value` headers. */
export function pemBody(blockText: string): Buffer {
  const lines = blockText.split(/\r?\n/).filter((line) => !line.startsWith('-----') && !line.includes(':'));
  return Buffer.from(lines.join(''), 'base64');
}
