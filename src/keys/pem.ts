// A first look at PEM text before OpenSSL sees it: which blocks it holds, and the common mistakes
// (binary DER, double base64, JSON, OpenSSH, truncation) that deserve a better message than
// OpenSSL's "unsupported".

export interface PemBlock {
  /** The word(s) after BEGIN, e.g. `PRIVATE KEY`, `RSA PRIVATE KEY`, `CERTIFICATE`. */
  label: string;
  /** The block from its BEGIN line to its END line, as OpenSSL wants it. */
  text: string;
  /** PKCS#8 `ENCRYPTED PRIVATE KEY` or a legacy `Proc-Type: 4,ENCRYPTED` header. */
  encrypted: boolean;
}

export type PemScan =
  | { kind: 'pem'; blocks: PemBlock[] }
  | { kind: 'empty' }
  /** Bytes that are not PEM text; `der` when it starts like an ASN.1 SEQUENCE. */
  | { kind: 'binary'; der: boolean }
  /** Base64 of a PEM: the data was encoded twice. */
  | { kind: 'double-base64' }
  | { kind: 'json' }
  | { kind: 'openssh-public' }
  | { kind: 'truncated'; label: string }
  | { kind: 'no-pem' };

// Labels are upper-case words; bounding them keeps the scan linear and the label safe to quote.
const BEGIN = '-----BEGIN ([A-Z0-9]+(?: [A-Z0-9]+){0,5})-----';

/** PEM is 7-bit text: tab, line feeds and printable ASCII. */
function isText(buf: Buffer): boolean {
  for (const b of buf) {
    if (!(b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b <= 0x7e))) return false;
  }
  return true;
}

export function stripBom(buf: Buffer): Buffer {
  return buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf;
}

export function scanPem(raw: Buffer): PemScan {
  const buf = stripBom(raw);
  if (!isText(buf)) return { kind: 'binary', der: buf[0] === 0x30 };
  const text = buf.toString('latin1');
  const trimmed = text.trim();
  if (trimmed === '') return { kind: 'empty' };

  const blocks: PemBlock[] = [];
  const begin = new RegExp(BEGIN, 'g');
  for (let m = begin.exec(text); m !== null; m = begin.exec(text)) {
    const label = m[1] ?? '';
    const start = m.index;
    const endMarker = `-----END ${label}-----`;
    const end = text.indexOf(endMarker, start);
    if (end < 0) return { kind: 'truncated', label };
    begin.lastIndex = end + endMarker.length;
    const blockText = text.slice(start, begin.lastIndex) + '\n';
    blocks.push({
      label,
      text: blockText,
      encrypted: label.includes('ENCRYPTED') || /^Proc-Type:[ \t]*4,ENCRYPTED/m.test(blockText),
    });
  }
  if (blocks.length > 0) return { kind: 'pem', blocks };

  // "LS0tLS1CRUdJTi" is base64 of "-----BEGIN": kubectl users paste already-encoded values into data.
  if (trimmed.startsWith('LS0tLS1CRUdJTi')) return { kind: 'double-base64' };
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return { kind: 'json' };
  if (/^(ssh-(rsa|dss|ed25519|ed448)|ecdsa-sha2-nistp\d+|sk-)/.test(trimmed)) return { kind: 'openssh-public' };
  return { kind: 'no-pem' };
}
