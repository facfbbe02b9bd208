// The signing service put together from its parts (docs/architecture.md#the-signing-service): the TLS files (HTTPS unless
// --signing-insecure), the cached token and access reviews, the Events of keyset exports, the
// server, listening.
import type { KubeConfig } from '@kubernetes/client-node';
import type { Server } from 'node:http';
import type { Clock } from '../api/time.js';
import type { SigningConfig } from '../config.js';
import { listen } from '../http/listen.js';
import { TlsFiles } from '../http/tls.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { AccessChecker } from './access.js';
import type { SigningKeyStore } from './key-store.js';
import { keysetExportEvents } from './export-events.js';
import { kubeReviewer } from './kube-review.js';
import { cacheObserver, signingObserver } from './observer.js';
import { createSigningServer } from './server.js';

export interface SigningServiceDeps {
  kc: KubeConfig;
  config: SigningConfig;
  keys: SigningKeyStore;
  log: Logger;
  metrics: Metrics;
  clock: Clock;
}

/** Listening on config.bindAddress; rejects when the TLS files are unusable or the address is taken. */
export async function startSigningService(deps: SigningServiceDeps): Promise<{ server: Server; tls?: TlsFiles }> {
  const { config, log, metrics } = deps;
  const tls = config.tls ? await TlsFiles.load(config.tls, { log }) : undefined;
  tls?.reportExpiry((ms) => metrics.tlsCertificateExpiry.set({ listener: 'signing' }, ms / 1000));
  const access = new AccessChecker(kubeReviewer(deps.kc, config.tokenAudiences), { onLookup: cacheObserver(metrics), now: deps.clock });
  const server = createSigningServer(
    { keys: deps.keys, access, log, now: deps.clock, observer: signingObserver(metrics), onKeysetExport: keysetExportEvents(deps.kc, log) },
    { ...(tls && { tls }) },
  );
  try {
    await listen(server, config.bindAddress);
  } catch (err) {
    tls?.close();
    throw err;
  }
  return { server, ...(tls && { tls }) };
}
