// Wiring only: flags → clients → controller → servers (docs/architecture.md#rooms).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { systemClock } from './api/time.js';
import { ConfigError, parseConfig, type Config } from './config.js';
import { backoffDelay } from './controller/backoff.js';
import { Controller } from './controller/controller.js';
import { JwksServingThread, JwksThreadStartError } from './jwks/serving-thread.js';
import { close, listen } from './http/listen.js';
import { makeApiClient } from './kube/client.js';
import { LeaderElector } from './kube/leader.js';
import { loadStatusKey } from './kube/status-key.js';
import { createHealthServer } from './observability/health.js';
import { createLogger, type Logger } from './observability/logger.js';
import { createMetrics, type Metrics } from './observability/metrics.js';
import { hmacSealer } from './rotation/seal.js';
import { SigningKeyStore } from './signing/key-store.js';
import { startSigningService } from './signing/service.js';
import { signatureMaker } from './signing/signature.js';
import { ServiceAccountSigner } from './sa-signer/service.js';

function loadKubeConfig(path: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromCluster();
  return kc;
}

/**
 * The JWKS listener, in a thread of its own (jwks/thread.ts) so that no request waits behind the
 * controller; the process exits if it cannot start or stops.
 */
async function startJwksThread(config: Config, log: Logger, metrics: Metrics): Promise<JwksServingThread> {
  try {
    const thread = await JwksServingThread.start({ bind: config.jwksBindAddress, ...(config.jwksTls && { tls: config.jwksTls }) }, {
      log,
      onTlsExpiry: (ms) => metrics.tlsCertificateExpiry.set({ listener: 'jwks' }, ms / 1000),
      onExit: (err) => {
        log.error('the JWKS listener stopped', { error: err.message });
        process.exit(1);
      },
    });
    metrics.setJwksThread(() => thread.stats());
    return thread;
  } catch (err) {
    if (err instanceof JwksThreadStartError && err.stage === 'tls') {
      log.error('cannot serve the JWKS over HTTPS: fix --jwks-tls-cert-file / --jwks-tls-key-file', { error: err.message });
      process.exit(2);
    }
    log.error('cannot listen', { error: (err as Error).message });
    process.exit(1);
  }
}

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.logLevel);
  const metrics = createMetrics();
  let kc: KubeConfig;
  try {
    kc = loadKubeConfig(config.kubeconfig);
  } catch (err) {
    log.error('cannot load a kubeconfig: pass --kubeconfig, set KUBECONFIG, or run in a pod with a service account', { error: (err as Error).message });
    process.exit(2);
  }

  // One clock for every component that keeps time (api/time.ts).
  const clock = systemClock;
  let elector: LeaderElector | undefined;
  // Filled on every replica (every replica signs), only for AuthServers with spec.signing.enabled.
  const signingKeys = new SigningKeyStore();
  // The controller needs the status seal key, read from the API; the listeners answer meanwhile.
  let controller: Controller | undefined;
  const saSigner = config.serviceAccountSigner && new ServiceAccountSigner({
    ...config.serviceAccountSigner, makeSignature: signatureMaker(), log, metrics, now: clock,
    onObservedIssuer: () => controller?.resyncAll(),
  });
  if (saSigner) {
    // Before the API is read: the kube-apiserver beside this instance asks for keys before it serves (docs/architecture.md#the-service-account-issuer).
    try {
      await saSigner.start();
    } catch (err) {
      log.error('cannot serve the service-account signer', { error: (err as Error).message });
      process.exit(2);
    }
  }
  const starting = new AbortController();
  const startController = async (): Promise<Controller> => {
    const key = await loadStatusKey(makeApiClient(kc, CoreV1Api), config.statusKeySecret, log, starting.signal, (n) => backoffDelay(n, { baseMs: 500, maxMs: 10_000 }));
    return new Controller({
      kc, store: serving, signingKeys, log, metrics,
      namespaces: config.namespaces,
      concurrency: config.concurrency,
      issuerPolicy: { allowInsecure: config.allowInsecureIssuers, hostPolicy: config.issuerHostPolicy },
      canWrite: () => !elector || elector.isLeader,
      sealer: hmacSealer(key),
      clock,
      ...(saSigner && { serviceAccountIssuer: saSigner }),
    });
  };
  if (config.leaderElect) {
    elector = new LeaderElector(kc, {
      ...config.leaderElection,
      log,
      clock,
      onStartedLeading: () => {
        metrics.leader.set(1);
        controller?.takeOver();
      },
      onStoppedLeading: () => metrics.leader.set(0),
    });
  } else {
    metrics.leader.set(1);
  }

  // /healthz answers from the start; /readyz once the JWKS listener serves every issuer the controller listed.
  const jwks: { thread?: JwksServingThread } = {};
  const healthServer = createHealthServer({ contentType: metrics.registry.contentType, chunks: (names) => metrics.exposition(names) }, () => {
    const controllerReadiness = controller?.readiness() ?? { ready: false, message: 'reading the status seal key (--status-key-secret)' };
    return jwks.thread?.readiness(controllerReadiness) ?? { ready: false, message: 'starting the JWKS listener' };
  });
  const servers: (Server | HttpsServer)[] = [healthServer];
  try {
    await listen(healthServer, config.metricsBindAddress);
  } catch (err) {
    log.error('cannot listen', { error: (err as Error).message });
    process.exit(1);
  }
  const serving = await startJwksThread(config, log, metrics);
  jwks.thread = serving;
  try {
    if (config.signing) {
      const signing = await startSigningService({ kc, config: config.signing, keys: signingKeys, log, metrics, clock });
      servers.push(signing.server);
      log.info('signing service listening', { address: signing.server.address(), https: signing.tls !== undefined });
    }
  } catch (err) {
    log.error('cannot listen', { error: (err as Error).message });
    process.exit(1);
  }
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    await elector?.stop();
    starting.abort();
    await controller?.stop();
    await Promise.all([...servers.map((s) => close(s, 10_000)), serving.stop(10_000), saSigner?.stop()]);
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  try {
    controller = await startController();
  } catch {
    // Stopped by a signal before the key could be read: shutdown() exits.
    return;
  }
  controller.start();
  elector?.start();
  log.info('signet started', {
    namespaces: config.namespaces.length ? config.namespaces : 'all',
    jwks: serving.address, jwksHttps: config.jwksTls !== undefined, metrics: healthServer.address(), leaderElect: config.leaderElect,
  });
}

await main();
