// Flags and environment, in one place (docs/architecture.md#command-line-flags). Bad input exits with a message that says what to fix.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { HostPolicyError, parseHostPolicy, type HostPolicy } from './api/host-policy.js';
import { HostPortError, parseHostPort, type HostPort } from './http/host-port.js';
import { LOG_LEVELS, type LogLevel } from './observability/logger.js';
import { SignetError } from './api/errors.js';

export interface Config {
  kubeconfig: string | undefined;
  namespaces: string[];
  jwksBindAddress: HostPort;
  /** HTTPS on the JWKS listener with these files (watched and reloaded); undefined: plain HTTP. */
  jwksTls: { certFile: string; keyFile: string } | undefined;
  metricsBindAddress: HostPort;
  leaderElect: boolean;
  leaderElection: { namespace: string; leaseName: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  logLevel: LogLevel;
  concurrency: number;
  /** The signet.dev/allow-unsafe-issuer-uri annotation takes effect (development only). */
  allowInsecureIssuers: boolean;
  /** Which namespaces may claim which issuer hosts; undefined: any namespace, any host. */
  issuerHostPolicy: HostPolicy | undefined;
  /** The signing listener (docs/architecture.md#the-signing-service); undefined when --signing-bind-address is not given. */
  signing: SigningConfig | undefined;
  /** The kube-apiserver's service-account token signer (docs/architecture.md#the-service-account-issuer); undefined without --service-account-signer-socket. */
  serviceAccountSigner: ServiceAccountSignerConfig | undefined;
  /** The Secret with the key that seals status.retiredKeys (created when missing). */
  statusKeySecret: { namespace: string; name: string };
}

export interface ServiceAccountSignerConfig {
  socketPath: string;
  /** namespace/name of the AuthServer whose keys sign service-account tokens. */
  authServer: string;
  stateFile: string;
}

export interface SigningConfig {
  bindAddress: HostPort;
  /** HTTPS with these files (watched and reloaded); absent only with --signing-insecure. */
  tls: { certFile: string; keyFile: string } | undefined;
  /** Audiences the TokenReview asks for; empty: the API server's own. */
  tokenAudiences: string[];
}

export class ConfigError extends SignetError {
  override readonly code = 'ERR_SIGNET_CONFIG';
}

export const USAGE = `usage: node dist/main.js [--kubeconfig PATH] [--namespace NS]... [--jwks-bind-address HOST:PORT]
                         [--jwks-tls-cert-file PATH --jwks-tls-key-file PATH]
                         [--metrics-bind-address HOST:PORT] [--leader-elect] [--log-level LEVEL]
                         [--allow-insecure-issuers] [--issuer-host-policy FILE]
  --kubeconfig PATH                 kubeconfig to use (default $KUBECONFIG, then the in-cluster service account)
  --namespace NS                    watch only this namespace; repeat for several (default: all namespaces)
  --jwks-bind-address HOST:PORT     JWKS and discovery listener (default 0.0.0.0:8080)
  --jwks-tls-cert-file PATH         serve it over HTTPS (TLS 1.2+) with this certificate chain (PEM), reloaded when the file changes
  --jwks-tls-key-file PATH          and this private key (PEM); give both or neither
  --metrics-bind-address HOST:PORT  /metrics, /healthz, /readyz listener (default 0.0.0.0:9090)
  --leader-elect                    elect a leader through a Lease; only the leader writes
  --leader-elect-namespace NS       namespace of the Lease (default $POD_NAMESPACE, else "default")
  --leader-elect-lease-name NAME    name of the Lease (default signet-leader)
  --leader-elect-lease-duration S   seconds a lease is valid (default 15)
  --leader-elect-renew-deadline S   seconds the leader tries to renew before giving up (default 10)
  --leader-elect-retry-period S     seconds between tries (default 2)
  --concurrency N                   AuthServers reconciled at once (default 16)
  --allow-insecure-issuers          honour the annotation signet.dev/allow-unsafe-issuer-uri (http issuers; development only)
  --issuer-host-policy FILE         YAML list of {namespaces: [glob...], hosts: [glob...]}: which namespaces may claim which issuer hosts
  --status-key-secret NS/NAME       the Secret whose key seals status.retiredKeys, created when missing (default $POD_NAMESPACE/signet-status-key, else default/…)
  --signing-bind-address HOST:PORT  the signing service listener (docs/signing.md; off by default)
  --signing-tls-cert-file PATH      its TLS certificate chain (PEM), reloaded when the file changes
  --signing-tls-key-file PATH       its TLS private key (PEM), reloaded when the file changes
  --signing-insecure                serve signing over plain HTTP instead (development only)
  --signing-token-audience AUD      audience the callers' tokens must have; repeat for several (default: the API server's)
  --service-account-signer-socket PATH      serve the kube-apiserver's ExternalJWTSigner on this Unix socket (mode 0600; docs/service-account-issuer.md)
  --service-account-issuer NS/NAME          the AuthServer whose keys sign service-account tokens
  --service-account-signer-state-file PATH  that issuer's keyring, kept for cold starts (mode 0600)
  --log-level LEVEL                 error, warn, info or debug (default info)`;

function bindAddress(flag: string, value: string): HostPort {
  try {
    return parseHostPort(flag, value);
  } catch (err) {
    if (err instanceof HostPortError) throw new ConfigError(err.message);
    throw err;
  }
}

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} "${value}" must be a positive number of seconds`);
  return n * 1000;
}

/** The policy file, read and checked at startup so that a mistake stops the operator with what to fix. */
function readHostPolicy(path: string | undefined): HostPolicy | undefined {
  if (path === undefined) return undefined;
  const source = `--issuer-host-policy "${path}"`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${source} cannot be read: ${(err as Error).message}`);
  }
  try {
    return parseHostPolicy(text, source);
  } catch (err) {
    if (err instanceof HostPolicyError) throw new ConfigError(err.message);
    throw err;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export function parseConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): Config {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        namespace: { type: 'string', multiple: true },
        'jwks-bind-address': { type: 'string' },
        'jwks-tls-cert-file': { type: 'string' },
        'jwks-tls-key-file': { type: 'string' },
        'metrics-bind-address': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-elect-namespace': { type: 'string' },
        'leader-elect-lease-name': { type: 'string' },
        'leader-elect-lease-duration': { type: 'string' },
        'leader-elect-renew-deadline': { type: 'string' },
        'leader-elect-retry-period': { type: 'string' },
        'log-level': { type: 'string' },
        concurrency: { type: 'string' },
        'allow-insecure-issuers': { type: 'boolean' },
        'issuer-host-policy': { type: 'string' },
        'signing-bind-address': { type: 'string' },
        'signing-tls-cert-file': { type: 'string' },
        'signing-tls-key-file': { type: 'string' },
        'signing-insecure': { type: 'boolean' },
        'signing-token-audience': { type: 'string', multiple: true },
        'service-account-signer-socket': { type: 'string' },
        'service-account-issuer': { type: 'string' },
        'service-account-signer-state-file': { type: 'string' },
        'status-key-secret': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n${USAGE}`);
  }
  if (values.help) throw new ConfigError(USAGE);

  const namespaces = [...new Set(values.namespace ?? [])];
  for (const ns of namespaces) if (!DNS1123_LABEL.test(ns)) throw new ConfigError(`--namespace "${ns}" is not a valid namespace name`);
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) throw new ConfigError(`--log-level "${logLevel}" must be one of ${LOG_LEVELS.join(', ')}`);
  const concurrency = Number(values.concurrency ?? '16');
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new ConfigError(`--concurrency "${values.concurrency}" must be a whole number from 1 to 64`);

  const leaderElection = {
    namespace: values['leader-elect-namespace'] ?? env.POD_NAMESPACE ?? 'default',
    leaseName: values['leader-elect-lease-name'] ?? 'signet-leader',
    leaseDurationMs: seconds('--leader-elect-lease-duration', values['leader-elect-lease-duration'], 15),
    renewDeadlineMs: seconds('--leader-elect-renew-deadline', values['leader-elect-renew-deadline'], 10),
    retryPeriodMs: seconds('--leader-elect-retry-period', values['leader-elect-retry-period'], 2),
  };
  if (!(leaderElection.leaseDurationMs > leaderElection.renewDeadlineMs && leaderElection.renewDeadlineMs > leaderElection.retryPeriodMs)) {
    const { leaseDurationMs: d, renewDeadlineMs: r, retryPeriodMs: p } = leaderElection;
    throw new ConfigError(`leader election needs --leader-elect-lease-duration (${d / 1000}) > --leader-elect-renew-deadline (${r / 1000}) > --leader-elect-retry-period (${p / 1000})`);
  }

  return {
    kubeconfig: values.kubeconfig ?? (env.KUBECONFIG || undefined),
    namespaces,
    jwksBindAddress: bindAddress('--jwks-bind-address', values['jwks-bind-address'] ?? '0.0.0.0:8080'),
    jwksTls: jwksTls(values['jwks-tls-cert-file'], values['jwks-tls-key-file']),
    metricsBindAddress: bindAddress('--metrics-bind-address', values['metrics-bind-address'] ?? '0.0.0.0:9090'),
    leaderElect: values['leader-elect'] ?? false,
    leaderElection,
    logLevel,
    concurrency,
    allowInsecureIssuers: values['allow-insecure-issuers'] ?? false,
    issuerHostPolicy: readHostPolicy(values['issuer-host-policy']),
    signing: signingConfig(values),
    serviceAccountSigner: serviceAccountSignerConfig(values['service-account-signer-socket'], values['service-account-issuer'], values['service-account-signer-state-file'], namespaces),
    statusKeySecret: namespacedName('--status-key-secret', values['status-key-secret'] ?? `${env.POD_NAMESPACE ?? 'default'}/signet-status-key`),
  };
}

function serviceAccountSignerConfig(socketPath: string | undefined, issuer: string | undefined, stateFile: string | undefined, namespaces: string[]): ServiceAccountSignerConfig | undefined {
  if (socketPath === undefined && issuer === undefined && stateFile === undefined) return undefined;
  if (!socketPath || !issuer || !stateFile) {
    throw new ConfigError('--service-account-signer-socket, --service-account-issuer and --service-account-signer-state-file go together: give all three to sign the cluster\'s service-account tokens');
  }
  const [namespace, name, ...rest] = issuer.split('/');
  if (rest.length > 0 || !namespace || !name || !DNS1123_LABEL.test(namespace) || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new ConfigError(`--service-account-issuer "${issuer}" is not NAMESPACE/NAME of an AuthServer (for example kube-system/cluster-issuer)`);
  }
  if (!socketPath.startsWith('/') || !stateFile.startsWith('/')) throw new ConfigError('--service-account-signer-socket and --service-account-signer-state-file must be absolute paths');
  if (namespaces.length > 0 && !namespaces.includes(namespace)) throw new ConfigError(`--service-account-issuer "${issuer}" is in namespace "${namespace}", which no --namespace flag watches: add --namespace ${namespace}`);
  if (socketPath === stateFile) throw new ConfigError('--service-account-signer-socket and --service-account-signer-state-file must be different paths');
  return { socketPath, authServer: `${namespace}/${name}`, stateFile };
}

function namespacedName(flag: string, value: string): { namespace: string; name: string } {
  const [namespace = '', name = '', ...rest] = value.split('/');
  if (rest.length > 0 || !DNS1123_LABEL.test(namespace) || !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(name)) {
    throw new ConfigError(`${flag} "${value}" must be NAMESPACE/NAME of a Secret, such as signet-system/signet-status-key`);
  }
  return { namespace, name };
}

function jwksTls(certFile: string | undefined, keyFile: string | undefined): Config['jwksTls'] {
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined || certFile === '' || keyFile === '') {
    throw new ConfigError('--jwks-tls-cert-file and --jwks-tls-key-file go together: give both for HTTPS, or neither for plain HTTP');
  }
  return { certFile, keyFile };
}

function signingConfig(values: {
  'signing-bind-address'?: string | undefined; 'signing-tls-cert-file'?: string | undefined; 'signing-tls-key-file'?: string | undefined;
  'signing-insecure'?: boolean | undefined; 'signing-token-audience'?: string[] | undefined;
}): SigningConfig | undefined {
  const address = values['signing-bind-address'];
  const certFile = values['signing-tls-cert-file'];
  const keyFile = values['signing-tls-key-file'];
  const insecure = values['signing-insecure'] ?? false;
  const audiences = [...new Set(values['signing-token-audience'] ?? [])];
  if (address === undefined) {
    if (certFile !== undefined || keyFile !== undefined || insecure || audiences.length > 0) {
      throw new ConfigError('--signing-tls-cert-file, --signing-tls-key-file, --signing-insecure and --signing-token-audience need --signing-bind-address');
    }
    return undefined;
  }
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError('--signing-tls-cert-file and --signing-tls-key-file go together: give both');
  if (certFile !== undefined && insecure) throw new ConfigError('--signing-insecure and the --signing-tls-* files exclude each other: give the files for HTTPS, or --signing-insecure for plain HTTP');
  if (certFile === undefined && !insecure) {
    throw new ConfigError('--signing-bind-address needs --signing-tls-cert-file and --signing-tls-key-file (HTTPS), or --signing-insecure for plain HTTP (development only)');
  }
  for (const aud of audiences) if (aud.trim() === '') throw new ConfigError('--signing-token-audience must not be empty');
  return {
    bindAddress: bindAddress('--signing-bind-address', address),
    tls: certFile !== undefined && keyFile !== undefined ? { certFile, keyFile } : undefined,
    tokenAudiences: audiences,
  };
}
