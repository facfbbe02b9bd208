// The signing server's and the access cache's reports, recorded as Prometheus metrics.
import type { Metrics } from '../observability/metrics.js';
import type { CacheKind } from './access.js';
import type { SigningObserver } from './server.js';

type SigningMetrics = Pick<Metrics, 'signingRequests' | 'signingDuration' | 'tokensSigned' | 'keysetExports' | 'signingCacheLookups'>;

export function signingObserver(metrics: SigningMetrics): SigningObserver {
  return {
    request(endpoint, code, seconds) {
      metrics.signingRequests.inc({ endpoint, code: String(code) });
      metrics.signingDuration.observe({ endpoint }, seconds);
    },
    signed(namespace, authserver, alg, tokens) {
      if (tokens > 0) metrics.tokensSigned.inc({ namespace, authserver, alg }, tokens);
    },
    exported(namespace, authserver) {
      metrics.keysetExports.inc({ namespace, authserver });
    },
  };
}

export function cacheObserver(metrics: SigningMetrics): (cache: CacheKind, hit: boolean) => void {
  return (cache, hit) => metrics.signingCacheLookups.inc({ cache, result: hit ? 'hit' : 'miss' });
}
