// --jwks-tls-cert-file and --jwks-tls-key-file (docs/architecture.md#command-line-flags): both for HTTPS, neither for HTTP.
import { ConfigError, parseConfig } from '../../../src/config.js';

describe('JWKS TLS flags', () => {
  it('is plain HTTP without them and HTTPS with both', () => {
    expect(parseConfig([], {}).jwksTls).toBeUndefined();
    expect(parseConfig(['--jwks-tls-cert-file', '/tls/tls.crt', '--jwks-tls-key-file=/tls/tls.key'], {}).jwksTls).toEqual({ certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' });
  });

  it.each([
    [['--jwks-tls-cert-file', '/tls/tls.crt']],
    [['--jwks-tls-key-file', '/tls/tls.key']],
    [['--jwks-tls-cert-file=', '--jwks-tls-key-file', '/tls/tls.key']],
  ])('refuses %j: the two go together', (argv) => {
    expect(() => parseConfig(argv, {})).toThrow(ConfigError);
    expect(() => parseConfig(argv, {})).toThrow('--jwks-tls-cert-file and --jwks-tls-key-file go together: give both for HTTPS, or neither for plain HTTP');
  });

  it('lists them in the usage', () => {
    expect(() => parseConfig(['--help'], {})).toThrow(/--jwks-tls-cert-file PATH --jwks-tls-key-file PATH/);
  });
});
