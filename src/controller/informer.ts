// A list+watch cache that does not stop: it restarts with backoff after any error, relists on
// 410 Gone, and relists when the watch has been silent for too long (docs/architecture.md#toolchain-facts: client-node's
// informer stops on errors, and cannot watch metadata only). Handlers only enqueue keys.
// Each list page has a deadline (docs/architecture.md#command-line-flags); a watch is long-lived, and restarted when silent.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { API_TIMEOUT_MS, DeadlineExceededError, deadlineSignal } from '../kube/client.js';
import { statusCode } from '../kube/errors.js';
import { ACCEPT_JSON, ACCEPT_METADATA, ACCEPT_METADATA_WATCH, ApiError, getJson, watchStream } from '../kube/stream.js';
import { backoffDelay, type BackoffPolicy } from './backoff.js';
import { trimForCache } from './trim.js';
import type { Logger } from '../observability/logger.js';
import { SignetError } from '../api/errors.js';

export type ChangeType = 'add' | 'update' | 'delete';

export interface InformerOptions<T extends KubernetesObject> {
  kc: KubeConfig;
  /** For logs and metrics, e.g. "authservers" or "secrets/team-a". */
  name: string;
  /** Collection path, e.g. /api/v1/secrets or /apis/signet.dev/v1alpha1/namespaces/a/authservers. */
  path: string;
  /** Ask for PartialObjectMetadata: labels and annotations, no data. */
  metadataOnly?: boolean;
  /** What the cache keeps of each object (default trimForCache). */
  keep?: (obj: T) => T;
  onChange: (type: ChangeType, obj: T, old: T | undefined) => void;
  log: Logger;
  onRestart?: (reason: string) => void;
  /** Relist when no event or bookmark arrived for this long. */
  silenceMs?: number;
  watchTimeoutSeconds?: number;
  backoff?: BackoffPolicy;
  /** Deadline of each list request (default API_TIMEOUT_MS). */
  listTimeoutMs?: number;
}

/**
 * Capped low: calls to an API server that is down are cheap, and one that is back (a restart, an
 * upgrade) must be seen within seconds, not after a long backoff.
 */
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 250, maxMs: 2_000 };

interface ObjectList<T> {
  metadata: { resourceVersion?: string; continue?: string };
  items: T[] | null;
}

class Gone extends SignetError {
  override readonly code = 'ERR_SIGNET_WATCH_GONE';
}
class Silent extends SignetError {
  override readonly code = 'ERR_SIGNET_WATCH_SILENT';
}

export function objectKey(o: KubernetesObject): string {
  return o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata?.name ?? '');
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

export class Informer<T extends KubernetesObject> {
  private cache = new Map<string, T>();
  private stopper = new AbortController();
  private loop: Promise<void> | undefined;
  private syncedOnce = false;
  private markSynced: () => void = () => undefined;
  private readonly syncedPromise = new Promise<void>((resolve) => { this.markSynced = resolve; });

  private readonly keep: (obj: T) => T;

  constructor(private readonly opts: InformerOptions<T>) {
    this.keep = opts.keep ?? trimForCache;
  }

  /** True once the first list has been delivered. */
  get synced(): boolean {
    return this.syncedOnce;
  }

  /** Resolves once the first list has been delivered. */
  whenSynced(): Promise<void> {
    return this.syncedPromise;
  }

  get(key: string): T | undefined {
    return this.cache.get(key);
  }

  /** The cached objects' keys (objectKey), not copied. */
  keys(): IterableIterator<string> {
    return this.cache.keys();
  }

  start(): void {
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    const { log, name } = this.opts;
    const policy = this.opts.backoff ?? DEFAULT_BACKOFF;
    let failures = 0;
    while (!this.stopper.signal.aborted) {
      try {
        let rv = await this.relist();
        failures = 0;
        while (!this.stopper.signal.aborted) {
          const started = Date.now();
          rv = await this.watch(rv);
          // A server that ends watches at once must not turn this loop into a busy one.
          if (Date.now() - started < 1000) await delay(1000, this.stopper.signal);
        }
      } catch (err) {
        if (this.stopper.signal.aborted) break;
        if (err instanceof Gone || err instanceof Silent) {
          log.info('informer relisting', { informer: name, reason: err.message });
          this.opts.onRestart?.(err instanceof Gone ? 'gone' : 'silent');
          continue;
        }
        failures++;
        const wait = backoffDelay(failures, policy);
        log.warn('informer failed; restarting', { informer: name, error: (err as Error).message, retryInMs: wait });
        this.opts.onRestart?.('error');
        await delay(wait, this.stopper.signal);
      }
    }
  }

  private async relist(): Promise<string> {
    // The first list into an empty cache delivers each page as it arrives: nothing can have been
    // deleted, and the handlers' work overlaps the rest of the list (10,000 AuthServers take seconds).
    const streaming = !this.syncedOnce && this.cache.size === 0;
    const fresh = new Map<string, T>();
    let cont: string | undefined;
    let rv: string;
    do {
      const q = new URLSearchParams({ limit: '500' });
      if (cont) q.set('continue', cont);
      const page = await this.listPage(q);
      // A PartialObjectMetadataList with no items says "items": null.
      for (const item of page.items ?? []) {
        const kept = this.keep(item);
        const key = objectKey(kept);
        if (!streaming) fresh.set(key, kept);
        else if (!this.cache.has(key)) {
          this.cache.set(key, kept);
          this.opts.onChange('add', kept, undefined);
        }
      }
      cont = page.metadata.continue || undefined;
      rv = page.metadata.resourceVersion ?? '';
    } while (cont);
    if (streaming) return this.listed(rv);

    const old = this.cache;
    this.cache = fresh;
    for (const [key, obj] of fresh) {
      const before = old.get(key);
      if (!before) this.opts.onChange('add', obj, undefined);
      else if (before.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.opts.onChange('update', obj, before);
    }
    for (const [key, obj] of old) if (!fresh.has(key)) this.opts.onChange('delete', obj, obj);
    return this.listed(rv);
  }

  /** A list is delivered: the informer is synced from now on; `rv` is where its watch starts. */
  private listed(rv: string): string {
    this.syncedOnce = true;
    this.markSynced();
    return rv;
  }

  private async listPage(q: URLSearchParams): Promise<ObjectList<T>> {
    const ms = this.opts.listTimeoutMs ?? API_TIMEOUT_MS;
    const signal = deadlineSignal(ms, this.stopper.signal);
    try {
      return await getJson<ObjectList<T>>(this.opts.kc, `${this.opts.path}?${q.toString()}`, this.opts.metadataOnly ? ACCEPT_METADATA : ACCEPT_JSON, signal);
    } catch (err) {
      if (statusCode(err) === 410) throw new Gone('the continue token expired');
      if (signal.aborted && !this.stopper.signal.aborted) throw new DeadlineExceededError(`listing ${this.opts.path}: no complete answer within ${ms} ms`, { cause: err });
      throw err;
    }
  }

  /** One watch request; returns the resourceVersion to resume from when the server ends it. */
  private async watch(fromRv: string): Promise<string> {
    const timeout = this.opts.watchTimeoutSeconds ?? 300;
    const q = new URLSearchParams({ watch: '1', resourceVersion: fromRv, allowWatchBookmarks: 'true', timeoutSeconds: String(timeout) });
    const abort = new AbortController();
    const onStop = (): void => abort.abort();
    this.stopper.signal.addEventListener('abort', onStop, { once: true });
    const silenceMs = this.opts.silenceMs ?? (timeout + 60) * 1000;
    let silent = false;
    let timer = setTimeout(() => { silent = true; abort.abort(); }, silenceMs);
    let rv = fromRv;
    try {
      await watchStream<T>(this.opts.kc, `${this.opts.path}?${q.toString()}`, this.opts.metadataOnly ? ACCEPT_METADATA_WATCH : ACCEPT_JSON, abort.signal, (e) => {
        clearTimeout(timer);
        timer = setTimeout(() => { silent = true; abort.abort(); }, silenceMs);
        if (e.type === 'ERROR') {
          const status = e.object as unknown as { code?: number; message?: string };
          if (status.code === 410) throw new Gone(status.message ?? 'resource version too old');
          throw new ApiError(status.code ?? 0, `watch error: ${status.message ?? 'unknown'}`);
        }
        rv = e.object.metadata?.resourceVersion ?? rv;
        if (e.type === 'BOOKMARK') return;
        const obj = this.keep(e.object);
        const key = objectKey(obj);
        const before = this.cache.get(key);
        if (e.type === 'DELETED') {
          this.cache.delete(key);
          this.opts.onChange('delete', obj, before);
        } else {
          this.cache.set(key, obj);
          this.opts.onChange(before ? 'update' : 'add', obj, before);
        }
      });
    } catch (err) {
      if (silent) throw new Silent(`no event for ${silenceMs} ms`);
      if (statusCode(err) === 410) throw new Gone('resource version too old');
      throw err;
    } finally {
      clearTimeout(timer);
      this.stopper.signal.removeEventListener('abort', onStop);
    }
    if (silent) throw new Silent(`no event for ${silenceMs} ms`);
    return rv;
  }
}
