// Picks the data key to read, in the order of preference of docs/architecture.md#key-material-in-secrets, bounds its size, and turns its bytes
// into KeyObjects. The first recognised data key decides: a broken key.pem is reported, never skipped
// in favour of a later data key, so what is published is always what the preferred data key says.
import type { KeyObject } from 'node:crypto';
import { ok } from '../api/result.js';
import { ACCEPTED_DATA_KEYS, JWK_JSON, KEY_PEM, maxBytes, PUB_PEM, TLS_CRT, TLS_KEY } from './data-keys.js';
import { readJwk } from './jwk-json.js';
import { readCertChain, readPrivatePem, readPublicPem } from './pem-keys.js';
import { dataKeyRef, quoteToken, refuse } from './problem.js';
import type { KeyResult } from './types.js';
import type { PublicHalf } from './validate.js';

export interface ParsedMaterial {
  /** The data key the key was read from: the private key's if there is one, else the public key's. */
  dataKey: string;
  privateKey?: KeyObject;
  /** The public key as stated (pub.pem, the certificate, the JWK's public members); must match privateKey. */
  publicHalf?: PublicHalf;
  /** DER certificates of tls.crt, leaf first. */
  certChain?: Buffer[];
  jwkKid?: string;
  jwkAlg?: string;
}

const PUB_PEM_FIX = 'Derive it again from the private key (e.g. `openssl pkey -in key.pem -pubout -out pub.pem`), or remove pub.pem and let Signet derive it.';
const TLS_CRT_FIX = 'The first certificate in tls.crt must be the one issued for the key in tls.key (leaf first, then the chain): reorder the chain or put the matching pair in the Secret.';
const JWK_FIX = 'Export the key pair again into jwk.json.';

type Data = Record<string, Buffer>;

function present(data: Data, dataKey: string): boolean {
  return Object.hasOwn(data, dataKey) && data[dataKey] !== undefined;
}

/** The bytes of a data key, refused before any parsing when they exceed its bound. */
function bounded(secret: string, data: Data, dataKey: string): KeyResult<Buffer> {
  const buf = data[dataKey] ?? Buffer.alloc(0);
  const limit = maxBytes(dataKey);
  if (buf.length > limit) {
    return refuse('KeyParseError', secret, dataKeyRef(dataKey), `is ${buf.length} bytes; Signet reads at most ${limit} bytes (${limit / 1024} KiB) from it`,
      `Put only the key material in ${dataKey}${dataKey === TLS_CRT ? ' (the leaf certificate and its chain)' : ' (one key)'}.`);
  }
  return ok(buf);
}

function readPem(secret: string, data: Data, dataKey: string, read: (secret: string, dataKey: string, buf: Buffer) => KeyResult<KeyObject>): KeyResult<KeyObject> {
  const buf = bounded(secret, data, dataKey);
  return buf.ok ? read(secret, dataKey, buf.value) : buf;
}

function fromKeyPem(secret: string, data: Data): KeyResult<ParsedMaterial> {
  const privateKey = readPem(secret, data, KEY_PEM, readPrivatePem);
  if (!privateKey.ok) return privateKey;
  if (!present(data, PUB_PEM)) return ok({ dataKey: KEY_PEM, privateKey: privateKey.value });
  const publicKey = readPem(secret, data, PUB_PEM, readPublicPem);
  if (!publicKey.ok) return publicKey;
  return ok({ dataKey: KEY_PEM, privateKey: privateKey.value, publicHalf: { key: publicKey.value, dataKey: PUB_PEM, fix: PUB_PEM_FIX } });
}

function fromPubPem(secret: string, data: Data): KeyResult<ParsedMaterial> {
  const publicKey = readPem(secret, data, PUB_PEM, readPublicPem);
  if (!publicKey.ok) return publicKey;
  return ok({ dataKey: PUB_PEM, publicHalf: { key: publicKey.value, dataKey: PUB_PEM, fix: PUB_PEM_FIX } });
}

// A kubernetes.io/tls Secret always has both; an Opaque Secret with only one of them is read too:
// tls.key alone is a key without x5c, tls.crt alone a verify-only public key with x5c.
function fromTls(secret: string, data: Data): KeyResult<ParsedMaterial> {
  let privateKey: KeyObject | undefined;
  if (present(data, TLS_KEY)) {
    const key = readPem(secret, data, TLS_KEY, readPrivatePem);
    if (!key.ok) return key;
    privateKey = key.value;
  }
  const dataKey = privateKey !== undefined ? TLS_KEY : TLS_CRT;
  if (!present(data, TLS_CRT)) return ok({ dataKey, ...(privateKey !== undefined && { privateKey }) });
  const buf = bounded(secret, data, TLS_CRT);
  if (!buf.ok) return buf;
  const chain = readCertChain(secret, TLS_CRT, buf.value);
  if (!chain.ok) return chain;
  const [leaf] = chain.value;
  if (leaf === undefined) throw new Error('readCertChain returns at least one certificate');
  return ok({
    dataKey,
    ...(privateKey !== undefined && { privateKey }),
    publicHalf: { key: leaf.publicKey, dataKey: TLS_CRT, fix: TLS_CRT_FIX },
    certChain: chain.value.map((c) => c.raw),
  });
}

function fromJwkJson(secret: string, data: Data): KeyResult<ParsedMaterial> {
  const buf = bounded(secret, data, JWK_JSON);
  if (!buf.ok) return buf;
  const jwk = readJwk(secret, JWK_JSON, buf.value);
  if (!jwk.ok) return jwk;
  const { privateKey, publicKey, kid, alg } = jwk.value;
  return ok({
    dataKey: JWK_JSON,
    ...(privateKey !== undefined && { privateKey }),
    publicHalf: { key: publicKey, dataKey: JWK_JSON, fix: JWK_FIX },
    ...(kid !== undefined && { jwkKid: kid }),
    ...(alg !== undefined && { jwkAlg: alg }),
  });
}

export function parseSecretData(secret: string, data: Data): KeyResult<ParsedMaterial> {
  if (present(data, KEY_PEM)) return fromKeyPem(secret, data);
  if (present(data, PUB_PEM)) return fromPubPem(secret, data);
  if (present(data, TLS_KEY) || present(data, TLS_CRT)) return fromTls(secret, data);
  if (present(data, JWK_JSON)) return fromJwkJson(secret, data);
  const found = Object.keys(data);
  const has = found.length === 0 ? 'it has no data at all' : `it has ${found.slice(0, 8).map(quoteToken).join(', ')}${found.length > 8 ? ', …' : ''}`;
  return refuse('KeyMaterialMissing', secret, 'data', `has none of the data keys Signet reads (${has})`,
    `Put the key in one of ${ACCEPTED_DATA_KEYS.join(', ')}: "key.pem" (PEM private key, optionally with "pub.pem"), "pub.pem" alone (public key, verify-only), "tls.key" and "tls.crt" (a kubernetes.io/tls Secret), or "jwk.json" (one JWK).`);
}
