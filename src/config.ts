// Flags and environment, in one place (DESIGN §4). Bad input exits with a message that says what to fix.
import { parseArgs } from 'node:util';
import { LOG_LEVELS, type LogLevel } from './observability/logger.js';

export interface Config {
  kubeconfig: string | undefined;
  namespaces: string[];
  jwksBindAddress: HostPort;
  metricsBindAddress: HostPort;
  leaderElect: boolean;
  leaderElection: { namespace: string; leaseName: string; leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number };
  logLevel: LogLevel;
  concurrency: number;
}

export interface HostPort {
  host: string;
  port: number;
}

export class ConfigError extends Error {}

export const USAGE = `usage: node dist/main.js [--kubeconfig PATH] [--namespace NS]... [--jwks-bind-address HOST:PORT]
                         [--metrics-bind-address HOST:PORT] [--leader-elect] [--log-level LEVEL]
  --kubeconfig PATH                 kubeconfig to use (default $KUBECONFIG, then the in-cluster service account)
  --namespace NS                    watch only this namespace; repeat for several (default: all namespaces)
  --jwks-bind-address HOST:PORT     JWKS and discovery listener (default 0.0.0.0:8080)
  --metrics-bind-address HOST:PORT  /metrics, /healthz, /readyz listener (default 0.0.0.0:9090)
  --leader-elect                    elect a leader through a Lease; only the leader writes
  --leader-elect-namespace NS       namespace of the Lease (default $POD_NAMESPACE, else "default")
  --leader-elect-lease-name NAME    name of the Lease (default signet-leader)
  --leader-elect-lease-duration S   seconds a lease is valid (default 15)
  --leader-elect-renew-deadline S   seconds the leader tries to renew before giving up (default 10)
  --leader-elect-retry-period S     seconds between tries (default 2)
  --concurrency N                   AuthServers reconciled at once (default 4)
  --log-level LEVEL                 error, warn, info or debug (default info)`;

export function parseHostPort(flag: string, value: string): HostPort {
  const m = /^(\[[0-9a-fA-F:]+\]|[^:\s]*):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) throw new ConfigError(`${flag} "${value}" is not HOST:PORT (for example 0.0.0.0:8080 or 127.0.0.1:0)`);
  return { host: (m[1] ?? '').replace(/^\[|\]$/g, '') || '0.0.0.0', port };
}

function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback * 1000;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`${flag} "${value}" must be a positive number of seconds`);
  return n * 1000;
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
        'metrics-bind-address': { type: 'string' },
        'leader-elect': { type: 'boolean' },
        'leader-elect-namespace': { type: 'string' },
        'leader-elect-lease-name': { type: 'string' },
        'leader-elect-lease-duration': { type: 'string' },
        'leader-elect-renew-deadline': { type: 'string' },
        'leader-elect-retry-period': { type: 'string' },
        'log-level': { type: 'string' },
        concurrency: { type: 'string' },
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
  const concurrency = Number(values.concurrency ?? '4');
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
    jwksBindAddress: parseHostPort('--jwks-bind-address', values['jwks-bind-address'] ?? '0.0.0.0:8080'),
    metricsBindAddress: parseHostPort('--metrics-bind-address', values['metrics-bind-address'] ?? '0.0.0.0:9090'),
    leaderElect: values['leader-elect'] ?? false,
    leaderElection,
    logLevel,
    concurrency,
  };
}
