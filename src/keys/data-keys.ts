// The Secret data keys Signet reads (docs/architecture.md#key-material-in-secrets), in order of preference, and their size bounds.
export const KEY_PEM = 'key.pem';
export const PUB_PEM = 'pub.pem';
export const TLS_KEY = 'tls.key';
export const TLS_CRT = 'tls.crt';
export const JWK_JSON = 'jwk.json';

export const ACCEPTED_DATA_KEYS = [KEY_PEM, PUB_PEM, TLS_KEY, TLS_CRT, JWK_JSON] as const;

/** A single key, even RSA 8192 in PKCS#1 with CRT members, is well under this. */
export const MAX_KEY_BYTES = 16 * 1024;
/** A certificate chain has a few certificates of a few KiB each. */
export const MAX_CERT_BYTES = 256 * 1024;

export function maxBytes(dataKey: string): number {
  return dataKey === TLS_CRT ? MAX_CERT_BYTES : MAX_KEY_BYTES;
}
