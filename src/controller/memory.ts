// What the reconciler remembers between reconciles, in one owner: observe.ts reads it, the
// executor (effects.ts) updates it, and the controller tells it which Secrets are no longer
// referenced. Nothing here holds a Secret's bytes: only parse results (public halves, and a
// private key only for a signing AuthServer).
import { isDeepStrictEqual } from 'node:util';
import type { AuthServer, AuthServerStatus } from '../api/types.js';
import type { AnyLoadedKey, KeyResult } from '../keys/types.js';
import type { IssuerMetrics } from '../observability/issuer-series.js';
import type { SecretRecord } from '../rotation/secret-layout.js';
import { jsonEqual } from '../api/json-equal.js';
import type { Custody } from './key-custody.js';

/** A Secret as read at one resourceVersion, without its bytes. */
export interface ParsedSecret {
  version: string;
  /** Who may have Signet use its key (key-custody.ts). */
  custody: Custody;
  /** Names of the Secret's data keys and annotations at this version (what a promotion moves), sorted. */
  dataKeys: readonly string[];
  annotationKeys: readonly string[];
  /** Signet's rotation record in the Secret's annotations. */
  record: SecretRecord;
  /** Load results by variant (private half required, kid format); `next/…` for next.key.pem. */
  results: Map<string, KeyResult<AnyLoadedKey>>;
  /** What the results were parsed from (keys/load.ts keyInputDigest): a new version with the same input keeps them. */
  keyInput?: string;
}

/** The parse variant that keeps a private key for a signer (observe.ts). */
export const SIGNING_VARIANT = '/signing';

export class ReconcileMemory {
  /** Parsed keys by Secret (namespace/name): a Secret is read and parsed once per change. */
  private readonly parsed = new Map<string, ParsedSecret>();
  /** What each AuthServer's metric series show (its keys, readiness). */
  private readonly metricsOf = new Map<string, IssuerMetrics>();
  /**
   * The object as our last status write left it, while the informer has not caught up: a
   * reconcile right after a write must not decide (and serve) from the status before it.
   */
  private readonly written = new Map<string, { basedOn: string | undefined; object: AuthServer }>();
  /**
   * The status being written now and the object it was decided from: its watch event may come
   * before the answer (`arrived`: the version it brought).
   */
  private readonly writing = new Map<string, { status: AuthServerStatus; from: AuthServer; arrived?: string }>();
  /** The Secret (namespace/name) whose private key is parsed and kept for each signing AuthServer. */
  private readonly privateHeld = new Map<string, string>();
  /** Why generating a missing Secret failed, by AuthServer and Secret name: a fact for the next reconcile. */
  private readonly failures = new Map<string, ReadonlyMap<string, string>>();

  /** The AuthServer to reconcile: the informer's, unless our own status write is newer. */
  current(key: string, seen: AuthServer | undefined): AuthServer | undefined {
    const latest = this.latest(key, seen);
    if (latest === seen) this.written.delete(key);
    return latest;
  }

  /** What current() would give, without forgetting anything: for event handlers. */
  latest(key: string, seen: AuthServer | undefined): AuthServer | undefined {
    const mine = this.written.get(key);
    return seen && mine && seen.metadata.resourceVersion === mine.basedOn ? mine.object : seen;
  }

  writingStatus(key: string, status: AuthServerStatus, from: AuthServer): void {
    this.writing.set(key, { status, from });
  }

  /** The status write is answered: `object` as it left the AuthServer, undefined when it failed. */
  wroteStatus(key: string, object: AuthServer | undefined): void {
    const pending = this.writing.get(key);
    this.writing.delete(key);
    if (!pending || !object) return;
    this.forgetAttested(object);
    // Unless the watch has brought it already: then the informer holds what this would.
    if (pending.arrived === object.metadata.resourceVersion) return;
    this.written.set(key, { basedOn: pending.from.metadata.resourceVersion, object });
  }

  /**
   * True when the watch delivers the very object our last status write made: the reconcile that
   * wrote it already decided from everything in it, so another would decide the same. The write
   * is forgotten (the informer now holds it). A status anyone else wrote has another version.
   */
  caughtUp(key: string, as: AuthServer): boolean {
    const mine = this.written.get(key);
    if (mine && mine.object.metadata.resourceVersion === as.metadata.resourceVersion) {
      this.written.delete(key);
      return true;
    }
    // The answer is not in yet: the same object but for exactly the status being written.
    const pending = this.writing.get(key);
    if (!pending) return false;
    const { metadata } = pending.from;
    const same = as.metadata.generation === metadata.generation && isDeepStrictEqual(as.metadata.labels, metadata.labels) &&
      isDeepStrictEqual(as.metadata.annotations, metadata.annotations) && jsonEqual(as.status, pending.status);
    if (same) pending.arrived = as.metadata.resourceVersion;
    return same;
  }

  /**
   * A Secret that the written status attests at the version parsed is read from that entry from
   * now on (observe.ts): its parse is not kept twice, at thousands of issuers about a kilobyte per
   * Secret. A parse that holds a private key stays: status never carries one.
   */
  private forgetAttested(object: AuthServer): void {
    const namespace = object.metadata.namespace ?? '';
    for (const entry of object.status?.attestedSecrets ?? []) {
      const id = `${namespace}/${entry.secretName}`;
      const parsed = this.parsed.get(id);
      if (parsed?.version === entry.resourceVersion && ![...parsed.results.keys()].some((v) => v.endsWith(SIGNING_VARIANT))) this.parsed.delete(id);
    }
  }

  parsedSecret(id: string): ParsedSecret | undefined {
    return this.parsed.get(id);
  }

  keepParsed(id: string, entry: ParsedSecret): void {
    this.parsed.set(id, entry);
  }

  /** Drops what is remembered of a Secret: it changed, or no AuthServer references it any more. */
  forgetSecret(namespace: string, name: string): void {
    this.parsed.delete(`${namespace}/${name}`);
  }

  /**
   * The Secret whose private key is kept for this AuthServer, or none: the private halves of a
   * Secret it no longer signs with are dropped from the parse cache at once.
   */
  holdPrivate(key: string, secretId: string | undefined): void {
    const before = this.privateHeld.get(key);
    if (before !== undefined && before !== secretId) {
      const parsed = this.parsed.get(before);
      for (const variant of [...(parsed?.results.keys() ?? [])]) if (variant.endsWith(SIGNING_VARIANT)) parsed?.results.delete(variant);
    }
    if (secretId === undefined) this.privateHeld.delete(key);
    else this.privateHeld.set(key, secretId);
  }

  setMetrics(key: string, metrics: IssuerMetrics): void {
    // Unchanged, the object kept stays: a resync of thousands must not replace them all.
    if (jsonEqual(this.metricsOf.get(key), metrics)) return;
    this.metricsOf.set(key, metrics);
  }

  issuerMetrics(): Iterable<IssuerMetrics> {
    return this.metricsOf.values();
  }

  generationFailures(key: string): ReadonlyMap<string, string> {
    return this.failures.get(key) ?? new Map<string, string>();
  }

  recordFailures(key: string, failures: ReadonlyMap<string, string>): void {
    this.failures.set(key, failures);
  }

  clearFailures(key: string): void {
    this.failures.delete(key);
  }

  /** The AuthServer is gone: everything kept for it goes. */
  forget(key: string): void {
    this.holdPrivate(key, undefined);
    this.metricsOf.delete(key);
    this.written.delete(key);
    this.writing.delete(key);
    this.failures.delete(key);
  }
}
