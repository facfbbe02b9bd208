// Every JWS algorithm Signet knows, one row each (RFC 7518 §3, RFC 8037): the key that signs it, how
// node:crypto makes its signature, and which of the kube-apiserver's verifiers accept it. keys/,
// signing/ and api/ read this table; an algorithm added here is generated, loaded, signed, published
// and checked against those verifiers without another edit (test/unit/api/algorithms.test.ts).
import { constants } from 'node:crypto';

/** The JWK kty of a key; `oct` is a shared secret (HS*), never published. */
export type Family = 'RSA' | 'EC' | 'OKP' | 'oct';
export type AsymmetricFamily = Exclude<Family, 'oct'>;

/** node:crypto's options beside the key when it signs (sign()'s key input). */
export interface SignOptions {
  padding?: number;
  saltLength?: number;
  dsaEncoding?: 'der' | 'ieee-p1363';
}

/** Which of the kube-apiserver's verifiers accept the algorithm. */
export interface Verifiers {
  /**
   * The structured JWT authenticator (AuthenticationConfiguration `jwt[]`): RS, PS and ES
   * (allowedSigningAlgs in k8s.io/apiserver's OIDC authenticator).
   */
  kubeAuthenticator: boolean;
  /** An external service-account signer (KEP-740, k8s.io/externaljwt apis/v1). */
  kubeExternalSigner: boolean;
}

interface Common {
  /** The hash of the signing input; null: the algorithm hashes itself (EdDSA). */
  digest: 'sha256' | 'sha384' | 'sha512' | null;
  sign?: SignOptions;
  verifiers: Verifiers;
}

export type AlgorithmRow =
  | (Common & { family: 'RSA'; nodeType: 'rsa' })
  /** `curve`: the JWK crv; `namedCurve`: OpenSSL's name, as asymmetricKeyDetails reports it; `keySize`: the curve's bits. */
  | (Common & { family: 'EC'; nodeType: 'ec'; curve: string; namedCurve: string; keySize: number })
  | (Common & { family: 'OKP'; nodeType: string; curve: string; keySize: number })
  /** `minSecretBytes`: as long as its hash (RFC 7518 §3.2). */
  | (Common & { family: 'oct'; minSecretBytes: number });

const PSS: SignOptions = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST };
const P1363: SignOptions = { dsaEncoding: 'ieee-p1363' };
const AUTHENTICATOR: Verifiers = { kubeAuthenticator: true, kubeExternalSigner: false };
const BOTH: Verifiers = { kubeAuthenticator: true, kubeExternalSigner: true };
const NEITHER: Verifiers = { kubeAuthenticator: false, kubeExternalSigner: false };

/** The table, in the order lists and messages name the algorithms; the first row of a key type is its default. */
export const ALGORITHM_TABLE = {
  RS256: { family: 'RSA', nodeType: 'rsa', digest: 'sha256', verifiers: BOTH },
  RS384: { family: 'RSA', nodeType: 'rsa', digest: 'sha384', verifiers: AUTHENTICATOR },
  RS512: { family: 'RSA', nodeType: 'rsa', digest: 'sha512', verifiers: AUTHENTICATOR },
  PS256: { family: 'RSA', nodeType: 'rsa', digest: 'sha256', sign: PSS, verifiers: AUTHENTICATOR },
  PS384: { family: 'RSA', nodeType: 'rsa', digest: 'sha384', sign: PSS, verifiers: AUTHENTICATOR },
  PS512: { family: 'RSA', nodeType: 'rsa', digest: 'sha512', sign: PSS, verifiers: AUTHENTICATOR },
  ES256: { family: 'EC', nodeType: 'ec', curve: 'P-256', namedCurve: 'prime256v1', keySize: 256, digest: 'sha256', sign: P1363, verifiers: BOTH },
  ES384: { family: 'EC', nodeType: 'ec', curve: 'P-384', namedCurve: 'secp384r1', keySize: 384, digest: 'sha384', sign: P1363, verifiers: BOTH },
  ES512: { family: 'EC', nodeType: 'ec', curve: 'P-521', namedCurve: 'secp521r1', keySize: 521, digest: 'sha512', sign: P1363, verifiers: BOTH },
  EdDSA: { family: 'OKP', nodeType: 'ed25519', curve: 'Ed25519', keySize: 256, digest: null, verifiers: NEITHER },
  HS256: { family: 'oct', minSecretBytes: 32, digest: 'sha256', verifiers: NEITHER },
  HS384: { family: 'oct', minSecretBytes: 48, digest: 'sha384', verifiers: NEITHER },
  HS512: { family: 'oct', minSecretBytes: 64, digest: 'sha512', verifiers: NEITHER },
} as const satisfies Record<string, AlgorithmRow>;

type Table = typeof ALGORITHM_TABLE;
export type Algorithm = keyof Table;
/** Algorithms of keys that are published (JWKS, discovery). */
export type AsymmetricAlgorithm = { [A in Algorithm]: Table[A]['family'] extends 'oct' ? never : A }[Algorithm];
/** Shared-secret algorithms: usable only through the signing service (spec.signing), never published. */
export type SymmetricAlgorithm = Exclude<Algorithm, AsymmetricAlgorithm>;

const NAMES = Object.keys(ALGORITHM_TABLE) as Algorithm[];
export const ALGORITHMS: readonly Algorithm[] = NAMES;
export const ASYMMETRIC_ALGORITHMS: readonly AsymmetricAlgorithm[] = NAMES.filter((a): a is AsymmetricAlgorithm => ALGORITHM_TABLE[a].family !== 'oct');
export const SYMMETRIC_ALGORITHMS: readonly SymmetricAlgorithm[] = NAMES.filter((a): a is SymmetricAlgorithm => ALGORITHM_TABLE[a].family === 'oct');

export function isAlgorithm(value: string): value is Algorithm {
  return Object.hasOwn(ALGORITHM_TABLE, value);
}

export function isSymmetricAlgorithm(value: string): value is SymmetricAlgorithm {
  return isAlgorithm(value) && ALGORITHM_TABLE[value].family === 'oct';
}

/** RSA keys: the sizes Signet generates (spec.tokenSignature.keyGeneration.rsaKeySize), and the range it accepts. */
export const RSA_KEY_SIZES = [2048, 3072, 4096] as const;
export type RsaKeySize = (typeof RSA_KEY_SIZES)[number];
export const MIN_RSA_BITS = 2048;
// Above this a single signature costs too much for a reconcile, and few verifiers accept it.
export const MAX_RSA_BITS = 8192;

export type CurveRow = Extract<AlgorithmRow, { curve: string }>;

/** The rows of curve keys (EC, OKP), one per curve. */
export const CURVE_ROWS: readonly CurveRow[] = NAMES.map((a): AlgorithmRow => ALGORITHM_TABLE[a]).filter((r): r is CurveRow => 'curve' in r);

/** The JWK crv of every curve key. */
export type Curve = { [A in Algorithm]: Table[A] extends { curve: infer C } ? C : never }[Algorithm];

/** The JWK crv names of a family, in table order. */
export function curvesOf(family: AsymmetricFamily): Curve[] {
  return [...new Set(CURVE_ROWS.filter((r) => r.family === family).map((r) => r.curve as Curve))];
}

/** The kty values that are published. */
export const ASYMMETRIC_FAMILIES: readonly AsymmetricFamily[] = [...new Set(ASYMMETRIC_ALGORITHMS.map((a) => ALGORITHM_TABLE[a].family))];

/** node:crypto's asymmetricKeyType of every key Signet publishes. */
export const NODE_KEY_TYPES: ReadonlySet<string> = new Set(ASYMMETRIC_ALGORITHMS.map((a) => ALGORITHM_TABLE[a].nodeType));

/** The algorithms the kube-apiserver's verifier accepts, in table order. */
export function acceptedBy(verifier: keyof Verifiers): Algorithm[] {
  return NAMES.filter((a) => ALGORITHM_TABLE[a].verifiers[verifier]);
}
