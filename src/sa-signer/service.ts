// Signet as the kube-apiserver's service-account token signer (docs/architecture.md#the-service-account-issuer): the keyring of one
// AuthServer, filled from the state file at start and from every reconcile of that AuthServer
// (the reconciler calls the hook below on every replica), persisted to the state file after every
// change, and served over ExternalJWTSigner (grpc-server.ts).
import { status as grpcStatus } from '@grpc/grpc-js';
import type { EffectiveSpec } from '../api/defaults.js';
import { systemClock, type Clock } from '../api/time.js';
import type { Decision, RefResolution } from '../controller/decide.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { MakeSignature } from '../signing/signature.js';
import { SignerError, serveSigner, type FetchKeysAnswer, type SignerServer } from './grpc-server.js';
import { keyringFrom, sameKeyring, sameKeys, type Keyring } from './keyring.js';
import { chooseSigner, issuerProblems, type IssuerProblem } from './policy.js';
import { checkStateFolder, encodeState, readState, writeState } from './state-file.js';

/** What a reconcile asks of the cluster issuer: decide (controller/plan.ts) its problems, act (controller/effects.ts) observe. */
export interface ServiceAccountIssuerHook {
  /** Whether namespace/name is the cluster issuer: its signing key's private half is kept in memory. */
  is(key: string): boolean;
  /** Why this AuthServer cannot be the cluster issuer; empty when it can. Reported in Ready. */
  problems(spec: EffectiveSpec, resolutions: readonly RefResolution[]): IssuerProblem[];
  /** What a reconcile of it decided; undefined when the AuthServer is gone. */
  observe(key: string, reconciled: { spec: EffectiveSpec; resolutions: readonly RefResolution[]; decision: Decision } | undefined): void;
}

export interface ServiceAccountSignerOptions {
  /** namespace/name */
  authServer: string;
  socketPath: string;
  stateFile: string;
  makeSignature: MakeSignature;
  log: Logger;
  metrics: Metrics;
  /** The issuer the kube-apiserver asks for changed: reconcile the AuthServer again (its status says so). */
  onObservedIssuer: () => void;
  now?: Clock;
}

/** How long a call waits for a first keyring (a fresh node, no state file yet) before it is refused. */
const FIRST_KEYRING_WAIT_MS = 50_000;

export class ServiceAccountSigner implements ServiceAccountIssuerHook {
  private keyring: Keyring | undefined;
  private problemsNow: IssuerProblem[] = [];
  private observedIssuer: string | undefined;
  private waiting: Array<() => void> = [];
  private recheck: NodeJS.Timeout | undefined;
  private lastReconcile: Parameters<ServiceAccountIssuerHook['observe']>[1];
  /** State-file writes, one after the other; the text last written. */
  private writes: Promise<void> = Promise.resolve();
  private written: string | undefined;
  private server: SignerServer | undefined;
  private readonly headers = new WeakMap<object, string>();
  /** kid → when a FetchKeys answer of this process first held it (policy.ts chooseSigner waits from then). */
  private readonly fetchedSince = new Map<string, number>();

  constructor(private readonly opts: ServiceAccountSignerOptions) {}

  private now(): number {
    return (this.opts.now ?? systemClock)();
  }

  /** Reads the state file and serves the socket; throws (StateFileError, SignerError) with what to fix. */
  async start(): Promise<void> {
    const { opts } = this;
    await checkStateFolder(opts.stateFile);
    const saved = await readState(opts.stateFile, opts.authServer);
    if (saved) {
      this.keyring = saved;
      this.written = encodeState(opts.authServer, saved);
      opts.log.info('service-account signer: serving the keyring of the state file until the API answers', { authserver: opts.authServer, keys: saved.keys.length, signingKid: saved.signer?.kid });
    }
    opts.metrics.saSignerFetchKeys.inc({ result: 'ok' }, 0);
    this.server = await serveSigner(opts.socketPath, this);
    opts.metrics.saSignerListening.set(1);
    opts.log.info('service-account signer listening', { socket: opts.socketPath, authserver: opts.authServer });
  }

  async stop(): Promise<void> {
    clearTimeout(this.recheck);
    await this.server?.close();
    this.opts.metrics.saSignerListening.set(0);
    await this.writes;
  }

  // ---- the hook (reconciler) ----

  is(key: string): boolean {
    return key === this.opts.authServer;
  }

  problems(spec: EffectiveSpec, resolutions: readonly RefResolution[]): IssuerProblem[] {
    const keys = resolutions.flatMap((r) => {
      if (!r.outcome.ok) return [];
      const own = { secretName: r.secretName, kid: r.outcome.value.kid, algorithm: r.outcome.value.algorithm };
      const next = r.layout?.next?.ok ? [{ secretName: r.secretName, kid: r.layout.next.value.kid, algorithm: r.layout.next.value.algorithm }] : [];
      return [own, ...next];
    });
    return issuerProblems({ authServer: this.opts.authServer, spec, keys, observedIssuer: this.observedIssuer });
  }

  observe(key: string, reconciled: Parameters<ServiceAccountIssuerHook['observe']>[1]): void {
    if (!this.is(key)) return;
    this.lastReconcile = reconciled;
    const { log, authServer } = this.opts;
    if (!reconciled) {
      // Deleting the issuer would invalidate every token of the cluster: the last keyring stays.
      log.error('service-account signer: the issuer AuthServer is gone; serving its last keyring (recreate it, or reconfigure the kube-apiserver)', { authserver: authServer });
      return;
    }
    const { spec, resolutions, decision } = reconciled;
    this.problemsNow = this.problems(spec, resolutions);
    if (this.problemsNow.length > 0 || !decision.document.servedOnIssuer) {
      if (this.problemsNow.length > 0) log.warn('service-account signer: keeping the last good keyring', { authserver: authServer, problems: this.problemsNow.map((p) => p.message) });
      return;
    }
    const { keyring, candidate } = keyringFrom({
      spec, status: decision.status, served: decision.document.keys,
      refs: resolutions.map((r) => ({ secretName: r.secretName, key: r.outcome.ok ? r.outcome.value : undefined })),
    });
    // An AuthServer with nothing to verify (its Secrets are not there yet) would take away every key.
    if (keyring.keys.length === 0) return;
    const now = this.now();
    const previous = this.keyring;
    const choice = chooseSigner({
      previous: previous?.signer, candidate, verifiable: new Set(keyring.keys.map((k) => k.kid)), nowMs: now, publishAheadMs: keyring.publishAheadMs,
      fetchedSinceMs: candidate && this.fetchedSince.get(candidate.kid),
    });
    clearTimeout(this.recheck);
    if (choice.recheckAtMs !== undefined) {
      this.recheck = setTimeout(() => this.observe(key, this.lastReconcile), Math.max(0, choice.recheckAtMs - now) + 10);
      this.recheck.unref();
    }
    const next: Keyring = {
      ...keyring, ...(choice.signer && { signer: choice.signer }),
      dataTimestampMs: previous && sameKeys(previous.keys, keyring.keys) ? previous.dataTimestampMs : now,
    };
    if (sameKeyring(previous, next)) return;
    this.keyring = next;
    if (previous?.signer?.kid !== next.signer?.kid) log.info('service-account signer: signing with a new key', { authserver: authServer, kid: next.signer?.kid, previous: previous?.signer?.kid });
    for (const wake of this.waiting.splice(0)) wake();
    this.persist(next);
  }

  private persist(k: Keyring): void {
    const text = encodeState(this.opts.authServer, k);
    this.writes = this.writes.then(async () => {
      if (text === this.written) return;
      try {
        await writeState(this.opts.stateFile, text);
        this.written = text;
      } catch (err) {
        // Serving goes on from memory; the next change tries again.
        this.opts.log.error('service-account signer: cannot write the state file; a cold start would serve older keys', { file: this.opts.stateFile, error: (err as Error).message });
      }
    });
  }

  // ---- the backend (grpc-server.ts) ----

  /** The keyring, waiting for a first one within the call's deadline. */
  private async current(deadlineMs: number): Promise<Keyring> {
    if (this.keyring) return this.keyring;
    const waitMs = Math.min(deadlineMs - this.now() - 500, FIRST_KEYRING_WAIT_MS);
    if (waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.waiting.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    if (this.keyring) return this.keyring;
    const why = this.problemsNow.length > 0 ? `: ${this.problemsNow.map((p) => p.message).join('; ')}` : ' (no state file yet, and the AuthServer has not been read from the API)';
    throw new SignerError(grpcStatus.UNAVAILABLE, `Signet has no keys yet for AuthServer ${this.opts.authServer}${why}`);
  }

  async sign(claims: string, deadlineMs: number): Promise<{ header: string; signature: string }> {
    const started = process.hrtime.bigint();
    let result = 'ok';
    try {
      const keyring = await this.current(deadlineMs);
      const signer = keyring.signer;
      if (!signer) throw new SignerError(grpcStatus.FAILED_PRECONDITION, `AuthServer ${this.opts.authServer} has no signing key with its private half (see its status)`);
      let iss: unknown;
      try {
        iss = (JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { iss?: unknown }).iss;
      } catch {
        throw new SignerError(grpcStatus.INVALID_ARGUMENT, 'claims are not base64url-encoded JSON');
      }
      if (typeof iss === 'string' && iss !== this.observedIssuer) {
        this.observedIssuer = iss;
        this.opts.onObservedIssuer();
      }
      if (iss !== keyring.issuerURI) {
        throw new SignerError(grpcStatus.FAILED_PRECONDITION,
          `the token's issuer "${String(iss)}" (the kube-apiserver's --service-account-issuer) is not AuthServer ${this.opts.authServer}'s issuerURI "${keyring.issuerURI}": make the two the same`);
      }
      let header = this.headers.get(signer);
      if (header === undefined) {
        header = Buffer.from(JSON.stringify({ alg: signer.alg, kid: signer.kid, typ: 'JWT' })).toString('base64url');
        this.headers.set(signer, header);
      }
      const signature = await this.opts.makeSignature(signer.alg, signer.privateKey, `${header}.${claims}`);
      return { header, signature: signature.toString('base64url') };
    } catch (err) {
      result = err instanceof SignerError ? grpcStatus[err.status] : 'INTERNAL';
      throw err;
    } finally {
      this.opts.metrics.saSignerSign.inc({ result });
      this.opts.metrics.saSignerSignDuration.observe(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  async fetchKeys(deadlineMs: number): Promise<FetchKeysAnswer> {
    try {
      const k = await this.current(deadlineMs);
      this.opts.metrics.saSignerFetchKeys.inc({ result: 'ok' });
      this.noteFetched(k);
      return {
        keys: k.keys.map((key) => ({ keyId: key.kid, key: key.der, excludeFromOidcDiscovery: key.excludeFromDiscovery })),
        dataTimestampMs: k.dataTimestampMs,
        refreshHintSeconds: k.refreshHintSeconds,
      };
    } catch (err) {
      this.opts.metrics.saSignerFetchKeys.inc({ result: 'error' });
      throw err;
    }
  }

  /** Records the keys the kube-apiserver now has (and forgets those it no longer gets); a key waiting for its first fetch starts its publishAhead wait. */
  private noteFetched(k: Keyring): void {
    const now = this.now();
    const kids = new Set(k.keys.map((key) => key.kid));
    for (const kid of this.fetchedSince.keys()) if (!kids.has(kid)) this.fetchedSince.delete(kid);
    const fresh = k.keys.filter((key) => !this.fetchedSince.has(key.kid));
    for (const key of fresh) this.fetchedSince.set(key.kid, now);
    if (fresh.length > 0 && this.lastReconcile) this.observe(this.opts.authServer, this.lastReconcile);
  }

  async metadata(deadlineMs: number): Promise<{ maxTokenExpirationSeconds: number }> {
    return { maxTokenExpirationSeconds: (await this.current(deadlineMs)).maxTokenExpirationSeconds };
  }
}
