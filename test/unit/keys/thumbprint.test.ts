// RFC 7638 thumbprints: the RFC's own example, and agreement with jose for every key type.
import { calculateJwkThumbprint } from 'jose';
import { thumbprint } from '../../../src/keys/thumbprint.js';
import { makeKeyMaterial } from '../../support/keys.js';
import type { KeyKind } from '../../support/keys.js';

// RFC 7638 §3.1.
const RFC_KEY = {
  kty: 'RSA',
  n: '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
  e: 'AQAB',
  alg: 'RS256',
  kid: '2011-04-29',
};

describe('thumbprint', () => {
  it('gives the RFC 7638 §3.1 example value', () => {
    expect(thumbprint(RFC_KEY)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it.each(['rsa2048', 'p256', 'p384', 'p521', 'ed25519'] as KeyKind[])('agrees with jose for %s', async (kind) => {
    const jwk = JSON.parse(makeKeyMaterial(kind).publicJwk) as Record<string, string> & { kty: string };
    expect(thumbprint(jwk)).toBe(await calculateJwkThumbprint(jwk, 'sha256'));
  });

  it('uses the required members only, whatever else the JWK holds and in whatever order', () => {
    const shuffled = { e: RFC_KEY.e, alg: 'PS256', use: 'sig', n: RFC_KEY.n, kid: 'other', kty: 'RSA', d: 'AQAB', x5c: ['AAAA'] };
    expect(thumbprint(shuffled)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('refuses an unknown kty or a missing member (a programming error, not user input)', () => {
    expect(() => thumbprint({ kty: 'oct' })).toThrow(/kty/);
    expect(() => thumbprint({ kty: 'constructor' })).toThrow(/kty/);
    expect(() => thumbprint({ kty: 'EC', crv: 'P-256', x: 'AAAA' })).toThrow(/member y/);
  });
});
