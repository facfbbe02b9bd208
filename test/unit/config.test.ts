// The command line (docs/architecture.md#command-line-flags): defaults, and refusals that name the flag at fault.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig, type Config } from '../../src/config.js';
import { parseHostPort } from '../../src/http/host-port.js';

function configError(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(argv, env);
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error(`accepted ${JSON.stringify(argv)}`);
}

describe('parseConfig', () => {
  it('has the documented defaults', () => {
    const expected: Config = {
      kubeconfig: undefined,
      namespaces: [],
      jwksBindAddress: { host: '0.0.0.0', port: 8080 },
      jwksTls: undefined,
      metricsBindAddress: { host: '0.0.0.0', port: 9090 },
      leaderElect: false,
      leaderElection: { namespace: 'default', leaseName: 'signet-leader', leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 },
      logLevel: 'info',
      concurrency: 16,
      allowInsecureIssuers: false,
      issuerHostPolicy: undefined,
      signing: undefined,
      serviceAccountSigner: undefined,
      statusKeySecret: { namespace: 'default', name: 'signet-status-key' },
    };
    expect(parseConfig([], {})).toEqual(expected);
  });

  it('takes the status seal key Secret as NAMESPACE/NAME, defaulting to the pod namespace', () => {
    expect(parseConfig([], { POD_NAMESPACE: 'signet-system' }).statusKeySecret).toEqual({ namespace: 'signet-system', name: 'signet-status-key' });
    expect(parseConfig(['--status-key-secret', 'ops/seal'], {}).statusKeySecret).toEqual({ namespace: 'ops', name: 'seal' });
    expect(() => parseConfig(['--status-key-secret', 'seal'], {})).toThrow('--status-key-secret "seal" must be NAMESPACE/NAME of a Secret, such as signet-system/signet-status-key');
  });

  it('reads the signing flags, and refuses signing without HTTPS or --signing-insecure', () => {
    expect(parseConfig(['--signing-bind-address', '0.0.0.0:8443', '--signing-tls-cert-file', '/tls/tls.crt', '--signing-tls-key-file', '/tls/tls.key',
      '--signing-token-audience', 'signet', '--signing-token-audience', 'signet'], {}).signing).toEqual({
      bindAddress: { host: '0.0.0.0', port: 8443 }, tls: { certFile: '/tls/tls.crt', keyFile: '/tls/tls.key' }, tokenAudiences: ['signet'],
    });
    expect(parseConfig(['--signing-bind-address', '127.0.0.1:0', '--signing-insecure'], {}).signing).toEqual({ bindAddress: { host: '127.0.0.1', port: 0 }, tls: undefined, tokenAudiences: [] });
    expect(configError(['--signing-bind-address', '127.0.0.1:0']).message).toMatch(/--signing-tls-cert-file.*--signing-insecure/);
    expect(configError(['--signing-insecure']).message).toMatch(/need --signing-bind-address/);
    expect(configError(['--signing-bind-address', '127.0.0.1:0', '--signing-tls-cert-file', 'c']).message).toMatch(/go together/);
    expect(configError(['--signing-bind-address', '127.0.0.1:0', '--signing-insecure', '--signing-tls-cert-file', 'c', '--signing-tls-key-file', 'k']).message).toMatch(/exclude each other/);
  });

  it('reads every flag', () => {
    const config = parseConfig([
      '--kubeconfig', '/home/me/.kube/dev',
      '--namespace', 'team-a',
      '--jwks-bind-address', '127.0.0.1:0',
      '--metrics-bind-address=[::1]:9999',
      '--leader-elect',
      '--leader-elect-namespace', 'signet-system',
      '--leader-elect-lease-name', 'signet',
      '--leader-elect-lease-duration', '30',
      '--leader-elect-renew-deadline', '20',
      '--leader-elect-retry-period', '0.5',
      '--log-level', 'debug',
      '--concurrency', '16',
      '--allow-insecure-issuers',
      '--status-key-secret', 'signet-system/seal',
    ], {});
    expect(config).toEqual({
      kubeconfig: '/home/me/.kube/dev',
      namespaces: ['team-a'],
      jwksBindAddress: { host: '127.0.0.1', port: 0 },
      metricsBindAddress: { host: '::1', port: 9999 },
      leaderElect: true,
      leaderElection: { namespace: 'signet-system', leaseName: 'signet', leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 500 },
      logLevel: 'debug',
      concurrency: 16,
      allowInsecureIssuers: true,
      issuerHostPolicy: undefined,
      statusKeySecret: { namespace: 'signet-system', name: 'seal' },
    });
  });

  it('reads and checks the --issuer-host-policy file at startup, naming the file at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-config-'));
    const good = join(dir, 'good.yaml');
    writeFileSync(good, '- {namespaces: ["team-a*"], hosts: ["*.team-a.example.com"]}\n');
    const policy = parseConfig(['--issuer-host-policy', good], {}).issuerHostPolicy;
    expect(policy?.allows('team-a-dev', 'login.team-a.example.com')).toBe(true);
    expect(policy?.allows('team-b', 'login.team-a.example.com')).toBe(false);

    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- {namespace: ["team-a"], hosts: ["x"]}\n');
    expect(configError(['--issuer-host-policy', bad]).message).toBe(`--issuer-host-policy "${bad}": rule 1 has unknown field(s) "namespace"; a rule has only "namespaces" and "hosts"`);
    expect(configError(['--issuer-host-policy', join(dir, 'missing.yaml')]).message).toMatch(/^--issuer-host-policy ".*missing\.yaml" cannot be read: ENOENT/);
    rmSync(dir, { recursive: true });
  });

  it('watches several namespaces with a repeated --namespace, each once', () => {
    expect(parseConfig(['--namespace', 'team-a', '--namespace=team-b', '--namespace', 'team-a'], {}).namespaces).toEqual(['team-a', 'team-b']);
  });

  it('takes KUBECONFIG from the environment when there is no --kubeconfig, and the flag over it', () => {
    expect(parseConfig([], { KUBECONFIG: '/etc/kube/config' }).kubeconfig).toBe('/etc/kube/config');
    expect(parseConfig(['--kubeconfig', '/flag/config'], { KUBECONFIG: '/etc/kube/config' }).kubeconfig).toBe('/flag/config');
    // An empty KUBECONFIG means none: fall back to the in-cluster service account.
    expect(parseConfig([], { KUBECONFIG: '' }).kubeconfig).toBeUndefined();
  });

  it('puts the Lease in the pod namespace when POD_NAMESPACE is set', () => {
    expect(parseConfig([], { POD_NAMESPACE: 'signet-system' }).leaderElection.namespace).toBe('signet-system');
    expect(parseConfig(['--leader-elect-namespace', 'other'], { POD_NAMESPACE: 'signet-system' }).leaderElection.namespace).toBe('other');
  });

  it.each([
    ['--jwks-bind-address', '8080'],
    ['--jwks-bind-address', 'localhost'],
    ['--jwks-bind-address', '0.0.0.0:99999'],
    ['--jwks-bind-address', '0.0.0.0:http'],
    ['--metrics-bind-address', 'a:b:9090'],
    ['--metrics-bind-address', '0.0.0.0:'],
  ])('refuses %s %j, naming the flag and showing the expected form', (flag, value) => {
    const err = configError([flag, value]);
    expect(err.message).toContain(flag);
    expect(err.message).toContain(`"${value}"`);
    expect(err.message).toContain('HOST:PORT');
  });

  it.each(['Team-A', 'team_a', '-team', 'a'.repeat(64), ''])('refuses --namespace %j, naming the flag', (ns) => {
    const err = configError(['--namespace', 'ok', `--namespace=${ns}`]);
    expect(err.message).toContain('--namespace');
    expect(err.message).toContain(`"${ns}"`);
  });

  it('refuses an unknown --log-level, listing the levels', () => {
    const err = configError(['--log-level', 'verbose']);
    expect(err.message).toContain('--log-level');
    expect(err.message).toContain('"verbose"');
    for (const level of ['error', 'warn', 'info', 'debug']) expect(err.message).toContain(level);
  });

  it.each(['0', '-1', '1.5', 'four', '65', ''])('refuses --concurrency %j, naming the flag and the range', (value) => {
    const err = configError([`--concurrency=${value}`]);
    expect(err.message).toContain('--concurrency');
    expect(err.message).toMatch(/1 to 64/);
  });

  it('accepts the edges of the --concurrency range', () => {
    expect(parseConfig(['--concurrency', '1'], {}).concurrency).toBe(1);
    expect(parseConfig(['--concurrency', '64'], {}).concurrency).toBe(64);
  });

  it('refuses an unknown flag, naming it and printing the usage', () => {
    const err = configError(['--namespaces', 'team-a']);
    expect(err.message).toContain('--namespaces');
    expect(err.message).toContain('usage:');
  });

  it('refuses a stray positional argument', () => {
    const err = configError(['team-a']);
    expect(err.message).toContain('team-a');
    expect(err.message).toContain('usage:');
  });

  it('refuses a flag that needs a value but has none', () => {
    expect(configError(['--namespace']).message).toContain('--namespace');
  });

  it.each([
    ['--leader-elect-lease-duration', '0'],
    ['--leader-elect-renew-deadline', '-5'],
    ['--leader-elect-retry-period', 'soon'],
  ])('refuses %s %j, naming the flag', (flag, value) => {
    const err = configError([`${flag}=${value}`]);
    expect(err.message).toContain(flag);
    expect(err.message).toContain(`"${value}"`);
  });

  it.each([
    [['--leader-elect-lease-duration', '10']], // = renew deadline
    [['--leader-elect-renew-deadline', '20']], // > lease duration
    [['--leader-elect-retry-period', '10']], // = renew deadline
    [['--leader-elect-lease-duration', '5', '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '4']],
  ])('refuses leader election durations out of order: %j', (argv) => {
    const err = configError(argv);
    expect(err.message).toMatch(/--leader-elect-lease-duration \(\d+\) > --leader-elect-renew-deadline \(\d+\) > --leader-elect-retry-period \(\d+\)/);
  });

  it('accepts leader election durations in order', () => {
    const le = parseConfig(['--leader-elect-lease-duration', '5', '--leader-elect-renew-deadline', '3', '--leader-elect-retry-period', '1'], {}).leaderElection;
    expect([le.leaseDurationMs, le.renewDeadlineMs, le.retryPeriodMs]).toEqual([5000, 3000, 1000]);
  });

  it('answers --help with the usage', () => {
    const err = configError(['--help']);
    expect(err.message).toMatch(/^usage: /);
    expect(err.message).toContain('--jwks-bind-address');
  });
});

describe('parseHostPort', () => {
  it.each([
    ['0.0.0.0:8080', { host: '0.0.0.0', port: 8080 }],
    ['127.0.0.1:0', { host: '127.0.0.1', port: 0 }],
    [':8080', { host: '0.0.0.0', port: 8080 }],
    ['localhost:65535', { host: 'localhost', port: 65535 }],
    ['[::]:8080', { host: '::', port: 8080 }],
    ['[::1]:9090', { host: '::1', port: 9090 }],
  ])('%s → %j', (value, expected) => {
    expect(parseHostPort('--jwks-bind-address', value)).toEqual(expected);
  });
});
