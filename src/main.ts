// Wiring only: flags → clients → controller → servers (docs/architecture.md#rooms).
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { systemClock } from './api/time.js';
import { ConfigError, parseConfig } from './config.js';
import { backoffDelay } from './controller/backoff.js';
import { Controller } from './controller/controller.js';
import { JwksStore } from './jwks/store.js';
import { createJwksServer } from './jwks/server.js';
import { close, listen } from './http/listen.js';
import { TlsFiles } from './http/tls.js';
import { makeApiClient } from './kube/client.js';
import { LeaderElector } from './kube/leader.js';
import { loadStatusKey } from './kube/status-key.js';
import { createHealthServer } from './observability/health.js';
import { createLogger } from './observability/logger.js';
import { createMetrics } from './observability/metrics.js';
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
  const store = new JwksStore();
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
      kc, store, signingKeys, log, metrics,
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

  let jwksTls: TlsFiles | undefined;
  if (config.jwksTls) {
    try {
      jwksTls = await TlsFiles.load(config.jwksTls, { log });
    } catch (err) {
      log.error('cannot serve the JWKS over HTTPS: fix --jwks-tls-cert-file / --jwks-tls-key-file', { error: (err as Error).message });
      process.exit(2);
    }
  }
  jwksTls?.reportExpiry((ms) => metrics.tlsCertificateExpiry.set({ listener: 'jwks' }, ms / 1000));
  const jwksServer = createJwksServer(store, { onRequest: (code) => metrics.jwksRequests.inc({ code: String(code) }), ...(jwksTls && { tls: jwksTls }) });
  const healthServer = createHealthServer({ contentType: metrics.registry.contentType, chunks: (names) => metrics.exposition(names) }, () => controller?.readiness() ?? { ready: false, message: 'reading the status seal key (--status-key-secret)' });
  const servers: (Server | HttpsServer)[] = [jwksServer, healthServer];
  try {
    await listen(jwksServer, config.jwksBindAddress);
    await listen(healthServer, config.metricsBindAddress);
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
    await Promise.all([...servers.map((s) => close(s, 10_000)), saSigner?.stop()]);
    jwksTls?.close();
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
    jwks: jwksServer.address(), jwksHttps: jwksTls !== undefined, metrics: healthServer.address(), leaderElect: config.leaderElect,
  });
}

await main();
