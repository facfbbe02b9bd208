// What Signet accepts once the bytes are a KeyObject: the key type and size, the algorithm and
// whether it fits, and whether the private half belongs to the published public half.
import { createPublicKey, sign, verify } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { ok } from '../api/result.js';
import { ALGORITHM_TABLE, ASYMMETRIC_ALGORITHMS, CURVE_ROWS, MAX_RSA_BITS, MIN_RSA_BITS, isAlgorithm } from '../api/algorithms.js';
import type { Algorithm, AsymmetricAlgorithm, AsymmetricFamily, Curve } from '../api/algorithms.js';
import { dataKeyRef, errorCode, quoteToken, refuse, SUPPORTED_KEYS, withArticle } from './problem.js';
import type { Refusal } from './problem.js';
import type { KeyResult } from './types.js';

export interface KeyShape {
  family: AsymmetricFamily;
  curve?: Curve;
  /** RSA modulus bits; 256/384/521 for the curves; 256 for Ed25519. */
  keySize: number;
}

// Go's crypto/rsa, a common verifier, refuses exponents above 2^31-1.
const MAX_RSA_EXPONENT = 2n ** 31n - 1n;

const NEW_KEY_HINT = 'e.g. `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out key.pem`';

const TYPE_NAMES: Record<string, string> = {
  dsa: 'a DSA key', dh: 'a Diffie-Hellman key', x25519: 'an X25519 (key agreement) key', x448: 'an X448 (key agreement) key',
  ed448: 'an Ed448 key',
  // A key restricted to RSASSA-PSS by its OID: kept out because JWK has no way to say so and the
  // restriction's parameters would have to match the PS algorithm. A plain RSA key signs PS* just as well.
  'rsa-pss': 'an RSA-PSS-restricted key (OID id-RSASSA-PSS)',
};

/** The key's family and size, or why it is not a key Signet publishes. */
export function describeKey(secret: string, where: string, key: KeyObject): KeyResult<KeyShape> {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  switch (type) {
    case 'rsa': {
      const bits = details.modulusLength ?? 0;
      const e = details.publicExponent ?? 0n;
      if (bits < MIN_RSA_BITS) {
        return refuse('KeyTooWeak', secret, where, `holds a ${bits}-bit RSA key; Signet needs at least ${MIN_RSA_BITS} bits`, `Create a stronger key, ${NEW_KEY_HINT}.`);
      }
      if (bits > MAX_RSA_BITS) {
        return refuse('UnsupportedKeyType', secret, where, `holds a ${bits}-bit RSA key; Signet accepts at most ${MAX_RSA_BITS} bits`, `Use a 2048-, 3072- or 4096-bit key, ${NEW_KEY_HINT}.`);
      }
      if (e < 3n || e % 2n === 0n) {
        return refuse('KeyTooWeak', secret, where, 'holds an RSA key whose public exponent is not an odd number of at least 3', `Create a new key with the usual exponent 65537, ${NEW_KEY_HINT}.`);
      }
      if (e > MAX_RSA_EXPONENT) {
        return refuse('UnsupportedKeyType', secret, where, 'holds an RSA key with a public exponent above 2^31-1, which common verifiers refuse', `Create a new key with the usual exponent 65537, ${NEW_KEY_HINT}.`);
      }
      return ok({ family: 'RSA', keySize: bits });
    }
    default: {
      // A curve key: its type (and, for EC, its named curve) finds its row in the algorithm table.
      const row = CURVE_ROWS.find((r) => r.nodeType === type && (r.family !== 'EC' || r.namedCurve === details.namedCurve));
      if (row !== undefined) return ok({ family: row.family, curve: row.curve as Curve, keySize: row.keySize });
      if (type !== 'ec') return unsupportedType(secret, where, type);
      return refuse('UnsupportedKeyType', secret, where, `holds an EC key on curve ${quoteToken(details.namedCurve)}`,
        `${SUPPORTED_KEYS}: create one, e.g. \`openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem\`.`);
    }
  }
}

/** The refusal for a key type (Node's asymmetricKeyType) that Signet does not publish. */
export function unsupportedType(secret: string, where: string, type: string): Refusal {
  return refuse('UnsupportedKeyType', secret, where, `holds ${TYPE_NAMES[type] ?? 'a key of a type Signet does not know'}`, `${SUPPORTED_KEYS}: create one, ${NEW_KEY_HINT}.`);
}

/** The algorithms a key of this shape can sign with, in table order, the first being its default. */
export function algorithmsFor(shape: KeyShape): readonly AsymmetricAlgorithm[] {
  return ASYMMETRIC_ALGORITHMS.filter((a) => {
    const row = ALGORITHM_TABLE[a];
    return row.family === shape.family && ('curve' in row ? row.curve : undefined) === shape.curve;
  });
}

export interface AlgorithmSource {
  /** The Secret's signet.dev/algorithm annotation. */
  annotation?: string | undefined;
  /** The `alg` member of jwk.json. */
  jwkAlg?: string | undefined;
}

interface AlgorithmChoice {
  raw: string;
  /** Where the name came from, for the message. */
  where: string;
  /** What the user edits to fix it. */
  setting: string;
}

function explicitChoice(dataKey: string, source: AlgorithmSource): AlgorithmChoice | undefined {
  const annotation = source.annotation?.trim();
  if (annotation !== undefined && annotation !== '') {
    return { raw: annotation, where: `annotation "signet.dev/algorithm" (key in data key "${dataKey}")`, setting: 'the annotation signet.dev/algorithm' };
  }
  if (source.jwkAlg !== undefined) return { raw: source.jwkAlg, where: dataKeyRef(dataKey), setting: `"alg" in ${dataKey}` };
  return undefined;
}

/** The annotation, else the JWK's alg, else the key type's default; refused when unknown or unfit. */
export function chooseAlgorithm(secret: string, dataKey: string, shape: KeyShape, source: AlgorithmSource): KeyResult<Algorithm> {
  const fits = algorithmsFor(shape);
  const byDefault = fits[0] ?? 'RS256';
  const choice = explicitChoice(dataKey, source);
  if (choice === undefined) return ok(byDefault);
  const { raw, where, setting } = choice;
  const keyName = `${withArticle(shape.curve ?? shape.family)} key`;
  if (!isAlgorithm(raw)) {
    const near = ASYMMETRIC_ALGORITHMS.find((a) => a.toLowerCase() === raw.toLowerCase());
    const why = /^none$/i.test(raw) ? ' (unsigned tokens are never used)' : '';
    return refuse('AlgorithmMismatch', secret, where, `names algorithm ${quoteToken(raw)}, which Signet does not support${why}`,
      `${near !== undefined ? `Did you mean ${near}? ` : ''}Set ${setting} to one of the supported algorithms ${ASYMMETRIC_ALGORITHMS.join(', ')}; for ${keyName} that is ${fits.join(', ')}.`);
  }
  if (!(fits as readonly Algorithm[]).includes(raw)) {
    // HS* (symmetric.ts) needs a shared secret, not a key pair.
    return refuse('AlgorithmMismatch', secret, where, `names algorithm ${raw}, which does not fit ${keyName}`,
      `Set ${setting} to ${fits.length === 1 ? byDefault : `one of ${fits.join(', ')}`}, or remove it to use ${byDefault}.`);
  }
  return ok(raw);
}

function spki(key: KeyObject): Buffer {
  return key.export({ type: 'spki', format: 'der' });
}

function bigint(b64url: string | undefined): bigint {
  const hex = Buffer.from(b64url ?? '', 'base64url').toString('hex');
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/**
 * OpenSSL signs with the CRT members and falls back to d when that fails, so a self-test alone lets
 * an RSA key through whose d (or p, q) does not belong to the rest; other signers would then make bad
 * signatures. The members must agree: n = p·q, dp = d mod (p-1), dq = d mod (q-1), qi·q ≡ 1 mod p.
 * Members longer than the modulus are refused first, which also bounds the cost of the self-test.
 */
function rsaMembersAgree(privateKey: KeyObject): boolean {
  const jwk = privateKey.export({ format: 'jwk' });
  const limit = jwk.n?.length ?? 0;
  if (![jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].every((m) => m !== undefined && m.length <= limit)) return false;
  const [n, d, p, q, dp, dq, qi] = [jwk.n, jwk.d, jwk.p, jwk.q, jwk.dp, jwk.dq, jwk.qi].map(bigint) as [bigint, bigint, bigint, bigint, bigint, bigint, bigint];
  if (p < 3n || q < 3n) return false;
  return n === p * q && dp === d % (p - 1n) && dq === d % (q - 1n) && (qi * q) % p === 1n;
}

const PROBE = Buffer.from('signet key self-test');

/** A public key stated beside the private key, which must match it. */
export interface PublicHalf {
  key: KeyObject;
  dataKey: string;
  /** How to fix a mismatch, which differs between pub.pem and a certificate. */
  fix: string;
}

/**
 * The private key must belong to the public key that will be published: the stated public half
 * (pub.pem, the certificate, the JWK's public members) must be the one derived from the private key,
 * and a signature made with the private key must verify with it (a corrupted d or CRT member fails here).
 * Returns the public key to publish.
 */
export function checkPair(secret: string, dataKey: string, privateKey: KeyObject, shape: KeyShape, publicHalf?: PublicHalf): KeyResult<KeyObject> {
  const derived = createPublicKey(privateKey);
  if (publicHalf !== undefined && !spki(derived).equals(spki(publicHalf.key))) {
    return publicHalf.dataKey === dataKey
      ? refuse('KeyMismatch', secret, dataKeyRef(dataKey), 'holds a JWK whose public members do not belong to its private member "d"',
        `Export the key pair again into ${dataKey}.`)
      : refuse('KeyMismatch', secret, dataKeyRef(publicHalf.dataKey), `does not hold the public half of the private key in data key "${dataKey}"`,
        publicHalf.fix);
  }
  const where = dataKeyRef(dataKey);
  const corrupted = (what: string) => refuse('KeyMismatch', secret, where, what,
    publicHalf?.dataKey === dataKey ? publicHalf.fix : 'The key is corrupted: export it again (copy the whole file), or create a new one.');
  if (shape.family === 'RSA' && !rsaMembersAgree(privateKey)) {
    return corrupted('holds an RSA private key whose members (n, d, p, q, dp, dq, qi) do not belong together');
  }
  const [probeAlg = 'RS256'] = algorithmsFor(shape);
  const hash = ALGORITHM_TABLE[probeAlg].digest;
  let good: boolean;
  try {
    good = verify(hash, PROBE, derived, sign(hash, PROBE, privateKey));
  } catch (err) {
    return refuse('KeyParseError', secret, where, `holds a private key that cannot sign (OpenSSL: ${errorCode(err)}): it is corrupted`, 'Export the key again and copy the whole file.');
  }
  if (!good) return corrupted('holds a private key whose public part does not belong to its private part (its signatures do not verify)');
  return ok(derived);
}
