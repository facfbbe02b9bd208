// Prometheus metrics (prom-client), one registry per process. Names follow the Prometheus
// conventions: signet_ prefix, _total for counters, _seconds for durations.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** A served key, for the key-age gauge, which is computed when scraped. */
export interface PublishedKey {
  namespace: string;
  authserver: string;
  kid: string;
  role: string;
  publishedSince: string;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  let publishedKeys: () => Iterable<PublishedKey> = () => [];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'signet_process_' });
  const registers = [registry];
  return {
    registry,
    reconciles: new Counter({ name: 'signet_reconciles_total', help: 'AuthServer reconciles by result (success, error, conflict).', labelNames: ['result'] as const, registers }),
    reconcileDuration: new Histogram({
      name: 'signet_reconcile_duration_seconds', help: 'Time to reconcile one AuthServer.', registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    queueDepth: new Gauge({ name: 'signet_workqueue_depth', help: 'AuthServers waiting to be reconciled.', registers }),
    queueRetries: new Counter({ name: 'signet_workqueue_retries_total', help: 'Reconciles retried after a failure.', registers }),
    keys: new Gauge({ name: 'signet_keys', help: 'Keys served per AuthServer by role.', labelNames: ['namespace', 'authserver', 'role'] as const, registers }),
    keyAge: new Gauge({
      name: 'signet_key_age_seconds', help: 'Seconds since each served key was first published.', labelNames: ['namespace', 'authserver', 'kid', 'role'] as const, registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const k of publishedKeys()) {
          this.set({ namespace: k.namespace, authserver: k.authserver, kid: k.kid, role: k.role }, Math.max(0, (now - Date.parse(k.publishedSince)) / 1000));
        }
      },
    }),
    /** Where the key-age gauge reads the served keys from. */
    setPublishedKeys(source: () => Iterable<PublishedKey>): void {
      publishedKeys = source;
    },
    keysGenerated: new Counter({ name: 'signet_keys_generated_total', help: 'Keys Signet generated, by algorithm.', labelNames: ['algorithm'] as const, registers }),
    jwksRequests: new Counter({ name: 'signet_jwks_requests_total', help: 'Requests to the JWKS listener by status code.', labelNames: ['code'] as const, registers }),
    leader: new Gauge({ name: 'signet_leader', help: '1 when this replica holds the leader lease (or leader election is off), else 0.', registers }),
    watchRestarts: new Counter({ name: 'signet_watch_restarts_total', help: 'Informer restarts by resource and reason.', labelNames: ['resource', 'reason'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
