// Prometheus metrics (prom-client), one registry per process. Names follow the Prometheus
// conventions: signet_ prefix, _total for counters, _seconds for durations.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ThreadStats } from '../jwks/thread-protocol.js';
import { issuerSeries, type IssuerMetrics } from './issuer-series.js';

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  let issuers: () => Iterable<IssuerMetrics> = () => [];
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'signet_process_' });
  const registers = [registry];
  const rotations = new Counter({ name: 'signet_rotations_total', help: 'Signing keys replaced by rotation, by kind (scheduled, manual, emergency).', labelNames: ['kind'] as const, registers });
  // Every kind from 0, so that rate() and increase() alerts have a series before the first rotation.
  for (const kind of ['scheduled', 'manual', 'emergency'] as const) rotations.inc({ kind }, 0);
  // The JWKS listener runs in a thread of its own (jwks/thread.ts): its figures are asked for once per scrape.
  let jwksThread: () => Promise<ThreadStats | undefined> = () => Promise.resolve(undefined);
  const jwksRequests = new Counter({ name: 'signet_jwks_requests_total', help: 'Requests to the JWKS listener by status code.', labelNames: ['code'] as const, registers });
  const jwksLoopDelayP99 = new Gauge({ name: 'signet_jwks_eventloop_lag_p99_seconds', help: 'The 99th percentile of the event-loop delay of the JWKS listener thread since the last scrape.', registers });
  const jwksLoopDelayMax = new Gauge({ name: 'signet_jwks_eventloop_lag_max_seconds', help: 'The longest event-loop delay of the JWKS listener thread since the last scrape.', registers });
  const readJwksThread = async (): Promise<void> => {
    const stats = await jwksThread();
    if (!stats) return;
    for (const [code, n] of Object.entries(stats.requests)) jwksRequests.inc({ code }, n);
    jwksLoopDelayP99.set(stats.loopDelayP99Seconds);
    jwksLoopDelayMax.set(stats.loopDelayMaxSeconds);
  };
  return {
    registry,
    reconciles: new Counter({ name: 'signet_reconciles_total', help: 'AuthServer reconciles by result (success, error, conflict).', labelNames: ['result'] as const, registers }),
    reconcileDuration: new Histogram({
      name: 'signet_reconcile_duration_seconds', help: 'Time to reconcile one AuthServer.', registers,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    }),
    queueDepth: new Gauge({ name: 'signet_workqueue_depth', help: 'AuthServers waiting to be reconciled.', registers }),
    queueRetries: new Counter({ name: 'signet_workqueue_retries_total', help: 'Reconciles retried after a failure.', registers }),
    rotations,
    /** Where the per-issuer series (issuer-series.ts) are read from at each scrape. */
    setIssuers(source: () => Iterable<IssuerMetrics>): void {
      issuers = source;
    },
    /** Where the JWKS listener thread's request counts and event-loop delay are read from at each scrape. */
    setJwksThread(source: () => Promise<ThreadStats | undefined>): void {
      jwksThread = source;
    },
    /**
     * The text exposition in chunks: the registry's metrics, then the per-issuer series; with
     * `names`, only the metric families so named (a scrape of a few figures at 10,000 issuers need
     * not render all of them).
     */
    async *exposition(names?: ReadonlySet<string>): AsyncGenerator<string> {
      await readJwksThread();
      if (!names) yield await registry.metrics();
      else for (const m of registry.getMetricsAsArray()) if (names.has(m.name)) yield `${await registry.getSingleMetricAsString(m.name)}\n`;
      yield* issuerSeries(issuers(), Date.now(), names);
    },
    keysGenerated: new Counter({ name: 'signet_keys_generated_total', help: 'Keys Signet generated, by algorithm.', labelNames: ['algorithm'] as const, registers }),
    leader: new Gauge({ name: 'signet_leader', help: '1 when this replica holds the leader lease (or leader election is off), else 0.', registers }),
    watchRestarts: new Counter({ name: 'signet_watch_restarts_total', help: 'Informer restarts by resource and reason.', labelNames: ['resource', 'reason'] as const, registers }),
    tlsCertificateExpiry: new Gauge({
      name: 'signet_tls_certificate_expiry_timestamp_seconds', help: 'When the TLS certificate in use expires (Unix seconds), by listener (jwks, signing).',
      labelNames: ['listener'] as const, registers,
    }),
    // The signing service (docs/architecture.md#the-signing-service).
    signingRequests: new Counter({ name: 'signet_signing_requests_total', help: 'Requests to the signing listener by endpoint and status code.', labelNames: ['endpoint', 'code'] as const, registers }),
    signingDuration: new Histogram({
      name: 'signet_signing_request_duration_seconds', help: 'Time to answer a signing request, by endpoint.', labelNames: ['endpoint'] as const, registers,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    }),
    tokensSigned: new Counter({ name: 'signet_tokens_signed_total', help: 'Tokens (JWS) signed, by AuthServer and algorithm.', labelNames: ['namespace', 'authserver', 'alg'] as const, registers }),
    keysetExports: new Counter({ name: 'signet_keyset_exports_total', help: 'Private keyset exports, by AuthServer.', labelNames: ['namespace', 'authserver'] as const, registers }),
    signingCacheLookups: new Counter({
      name: 'signet_signing_cache_lookups_total', help: 'Token and access review cache lookups, by cache (authentication, authorization) and result (hit, miss).',
      labelNames: ['cache', 'result'] as const, registers,
    }),
    // The kube-apiserver's service-account token signer (docs/architecture.md#the-service-account-issuer).
    saSignerListening: new Gauge({ name: 'signet_sa_signer_listening', help: '1 while the ExternalJWTSigner socket is served (--service-account-signer-socket).', registers }),
    saSignerSign: new Counter({ name: 'signet_sa_signer_sign_total', help: 'Sign calls from the kube-apiserver, by result (ok or the gRPC status).', labelNames: ['result'] as const, registers }),
    saSignerSignDuration: new Histogram({
      name: 'signet_sa_signer_sign_duration_seconds', help: 'Time to answer a Sign call.', registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 1],
    }),
    saSignerFetchKeys: new Counter({ name: 'signet_sa_signer_fetch_keys_total', help: 'FetchKeys calls from the kube-apiserver, by result (ok, error).', labelNames: ['result'] as const, registers }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
