// The signing listener (docs/architecture.md#the-signing-service): POST /authservers/{ns}/{name}/sign, POST .../sign-fields and
// GET .../keyset. Every request is authenticated (TokenReview) and authorised (SubjectAccessReview)
// through the cached AccessChecker, then answered from the SigningKeyStore that the reconciler
// fills: nothing here waits on a reconcile or on key generation.
//
// The order of the checks decides what a caller learns: 401 (no or bad token) before anything
// else, 403 (RBAC says no, the same whether the AuthServer exists or not) before 404 (no such
// AuthServer, signing not enabled, export not allowed), then 503 (no usable key yet), 415 and 413
// on the body, 400 for claims that break a rule (named). Answers are JSON and never cached.
//
// Bounded work (issue 20, point 1): a sign-fields request signs at most MAX_KEYS_TO_SIGN members,
// a body nests at most MAX_JSON_DEPTH levels, at most `maxConcurrentSigning` requests parse and sign
// at once with up to `maxQueuedSigning` waiting (queued per source, in turn), beyond which the answer
// is 503 with Retry-After; the listener caps its connections, and those of one source to a share
// (http/source-connections.ts), closes idle ones under connection pressure (http/overload.ts) and
// closes a request whose headers or body trickle in after 10 s.
import { randomFillSync } from 'node:crypto';
import type http from 'node:http';
import { markActive, markBusy } from '../http/overload.js';
import { createListener } from '../http/server.js';
import { SOURCE_SHARE } from '../http/source-connections.js';
import type { TlsFiles } from '../http/tls.js';
import { systemClock, type Clock } from '../api/time.js';
import type { Logger } from '../observability/logger.js';
import { ReviewsBusyError, type AccessChecker, type AccessRequest, type Identity } from './access.js';
import { applyClaimRules, parseSignFields, type ClaimsContext, type ClaimsResult } from './claims.js';
import { FairQueue, QueueFullError } from './fair-queue.js';
import { bearerToken, busy, HttpError, parseJson, readJsonBody, tokenType, unauthorized } from './http.js';
import type { SigningEntry, SigningKey, SigningKeyStore } from './key-store.js';
import { privateKeySet } from './keyset.js';
import { jwsSigner } from './jws.js';
import { signatureMaker, type RsaPlacement } from './signature.js';

export { MAX_BODY_BYTES } from './http.js';

/** Requests parsed and signed at once (each at most MAX_KEYS_TO_SIGN signatures), and waiting beyond those. */
export const DEFAULT_MAX_CONCURRENT_SIGNING = 16;
export const DEFAULT_MAX_QUEUED_SIGNING = 256;
export const DEFAULT_SIGNING_MAX_CONNECTIONS = 1_024;
export const DEFAULT_SIGNING_HEADERS_TIMEOUT_MS = 10_000;

export type Endpoint = 'sign' | 'sign-fields' | 'keyset' | 'other';

/** What the server reports, for metrics (src/observability/metrics.ts) and tests. */
export interface SigningObserver {
  request(endpoint: Endpoint, code: number, seconds: number): void;
  signed(namespace: string, name: string, alg: string, tokens: number): void;
  exported(namespace: string, name: string): void;
}

/** A private keyset handed out: who asked, for which AuthServer, which keys. */
export interface KeysetExport {
  namespace: string;
  name: string;
  user: Identity;
  kids: string[];
}

export interface SigningServerDeps {
  keys: Pick<SigningKeyStore, 'get'>;
  access: Pick<AccessChecker, 'authenticate' | 'authorize'>;
  log: Logger;
  observer?: SigningObserver;
  /** Told of every keyset export after it is logged (service.ts records an Event on the AuthServer). */
  onKeysetExport?: (e: KeysetExport) => void;
  now?: Clock;
  /** Where RSA signatures are made; by default chosen from the CPUs this process may use (signature.ts). */
  rsaPlacement?: RsaPlacement;
  maxConcurrentSigning?: number;
  maxQueuedSigning?: number;
}

export interface SigningServerOptions {
  /** HTTPS with these files, kept current as they are renewed; plain HTTP without (--signing-insecure). */
  tls?: TlsFiles;
  /** Open connections beyond this are refused; above 80 % the idle ones are closed (http/overload.ts). */
  maxConnections?: number;
  /** Open connections from one address beyond this are closed (http/source-connections.ts); a quarter of maxConnections by default. */
  maxConnectionsPerSource?: number;
  /** Time to receive the request headers, and the whole request. */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

const ROUTE = /^\/authservers\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)\/(sign|sign-fields|keyset)$/;
const BASE_HEADERS = ['Content-Type', 'application/json', 'Cache-Control', 'no-store', 'X-Content-Type-Options', 'nosniff'];

/**
 * 128-bit jti values from a buffer filled from the CSPRNG 256 values at a time, each handed out once:
 * a call into the CSPRNG per token cost about a tenth of the CPU time of an HS256 request.
 */
function jtiSource(): () => string {
  const JTI_BYTES = 16;
  const pool = Buffer.alloc(JTI_BYTES * 256);
  let offset = pool.length;
  return () => {
    if (offset === pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    offset += JTI_BYTES;
    return pool.toString('base64url', offset - JTI_BYTES, offset);
  };
}

function claimsError({ problem }: ClaimsResult & { ok: false }): HttpError {
  return new HttpError(400, 'invalid_claims', problem.message, { body: { rule: problem.reason } });
}

export function createSigningHandler(deps: SigningServerDeps): http.RequestListener {
  const now = deps.now ?? systemClock;
  const { log, observer } = deps;
  const newJti = jtiSource();
  const jws = jwsSigner(signatureMaker(deps.rsaPlacement));
  const maxQueuedSigning = deps.maxQueuedSigning ?? DEFAULT_MAX_QUEUED_SIGNING;
  const work = new FairQueue({
    concurrency: deps.maxConcurrentSigning ?? DEFAULT_MAX_CONCURRENT_SIGNING,
    maxQueued: maxQueuedSigning,
    maxQueuedPerSource: Math.max(1, Math.floor(maxQueuedSigning / 4)),
  });
  /** Parse and sign in turn with the other requests; beyond the queue, 503 at once. */
  const inTurn = async <T>(source: string, task: () => Promise<T>): Promise<T> => {
    try {
      return await work.run(source, task);
    } catch (err) {
      if (err instanceof QueueFullError) throw busy('signing_busy', 'too many signing requests are waiting already; try again');
      throw err;
    }
  };

  const contextFor = (entry: SigningEntry): ClaimsContext => ({
    issuer: entry.issuerURI,
    now: Math.floor(now() / 1000),
    defaultLifetimeMs: entry.settings.defaultTokenLifetimeMs,
    maxLifetimeMs: entry.settings.maxTokenLifetimeMs,
    newJti,
  });

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: string[] = []): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, [...BASE_HEADERS, ...headers, 'Content-Length', String(Buffer.byteLength(payload))]);
    res.end(payload);
  };

  const authorised = async (token: string, request: AccessRequest, source: string): Promise<Identity> => {
    let user: Identity;
    let allowed: boolean;
    try {
      const authn = await deps.access.authenticate(token, source);
      if (!authn.authenticated) throw unauthorized(authn.problem ?? 'the bearer token is not valid (expired, revoked, or not for this audience)', true);
      user = authn.user;
      allowed = await deps.access.authorize(token, user, request, source);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // A flood is refused without a log line each; an API server that cannot be asked is worth one.
      if (err instanceof ReviewsBusyError) log.debug('signing: review queue full', { error: err.message });
      else log.warn('signing: token or access review failed', { error: (err as Error).message });
      throw busy('review_unavailable', 'the Kubernetes API could not be asked to review the token; try again');
    }
    if (!allowed) {
      const what = `${request.verb} on authservers/${request.subresource}`;
      throw new HttpError(403, 'forbidden', `"${user.username}" may not ${what} for "${request.name}" in namespace "${request.namespace}"`);
    }
    return user;
  };

  const activeKey = (entry: SigningEntry): SigningKey => {
    if (entry.active === undefined) {
      throw new HttpError(503, 'no_signing_key', 'this AuthServer has no usable signing key yet (see its Ready condition); try again', { headers: ['Retry-After', '5'] });
    }
    return entry.active;
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse, route: RegExpExecArray, setEndpoint: (e: Endpoint) => void): Promise<void> => {
    const namespace = route[1] ?? '';
    const name = route[3] ?? '';
    const action = route[5] as Exclude<Endpoint, 'other'>;
    setEndpoint(action);
    const method = action === 'keyset' ? 'GET' : 'POST';
    if (req.method !== method) throw new HttpError(405, 'method_not_allowed', `${action} takes ${method} only`, { headers: ['Allow', method] });
    const token = bearerToken(req.headers.authorization);
    const source = req.socket.remoteAddress ?? '';
    // Exporting a private key is a create, as serviceaccounts/token is: "view everything" roles
    // (get on resources "*") must not hand out signing keys.
    const request: AccessRequest = { namespace, name, subresource: action === 'keyset' ? 'keyset' : 'sign', verb: 'create' };
    const user = await authorised(token, request, source);

    const entry = deps.keys.get(namespace, name);
    if (entry === undefined) throw new HttpError(404, 'not_found', `no AuthServer "${name}" in namespace "${namespace}" has spec.signing.enabled`);

    if (action === 'keyset') {
      if (!entry.settings.allowKeysetExport) throw new HttpError(404, 'not_found', `AuthServer "${name}" in namespace "${namespace}" does not allow keyset export (spec.signing.allowKeysetExport)`);
      if (!entry.exportable) {
        throw new HttpError(404, 'not_found', `AuthServer "${name}" in namespace "${namespace}" signs with a key that is not exportable: it was generated while spec.signing.allowKeysetExport was off (point signAndVerifyKeyRef at a new Secret name to generate an exportable one)`);
      }
      activeKey(entry);
      const keyset = privateKeySet(entry);
      const kids = keyset.keys.map((k) => String(k.kid));
      // warn: an export hands out a copy of a private key, which must be seen at any log level but error.
      log.warn('signing: private keyset exported', { namespace, authserver: name, user: user.username, groups: user.groups, source, kids });
      observer?.exported(namespace, name);
      deps.onKeysetExport?.({ namespace, name, user, kids });
      send(res, 200, keyset, ['Pragma', 'no-cache']);
      return;
    }

    const key = activeKey(entry);
    const typ = tokenType(req.url ?? '');
    const raw = await readJsonBody(req);
    await inTurn(source, () => signAndSend(res, action, parseJson(raw), entry, key, typ, namespace, name));
  };

  const signAndSend = async (res: http.ServerResponse, action: 'sign' | 'sign-fields', body: unknown, entry: SigningEntry, key: SigningKey,
    typ: ReturnType<typeof tokenType>, namespace: string, name: string): Promise<void> => {
    const ctx = contextFor(entry);
    if (action === 'sign') {
      const checked = applyClaimRules(body, ctx);
      if (!checked.ok) throw claimsError(checked);
      const token = await jws.compact(checked.value.claims, key, typ);
      observer?.signed(namespace, name, key.alg, 1);
      send(res, 200, { token, kid: key.kid, alg: key.alg, expiresAt: new Date(checked.value.exp * 1000).toISOString() });
      return;
    }

    const parsed = parseSignFields(body);
    if (!parsed.ok) throw new HttpError(400, 'invalid_request', parsed.problem.message, { body: { rule: parsed.problem.reason } });
    const { document, keysToSign, full } = parsed.value;
    const claims: Array<[string, Record<string, unknown>]> = [];
    for (const member of keysToSign) {
      if (!Object.hasOwn(document, member)) continue; // as KrakenD: a member the document lacks is left out
      const checked = applyClaimRules(document[member], ctx, `document.${member}`);
      if (!checked.ok) throw claimsError(checked);
      claims.push([member, checked.value.claims]);
    }
    const signed = await Promise.all(claims.map(([, c]) => (full ? jws.flattened(c, key, typ) : jws.compact(c, key, typ))));
    const out: Record<string, unknown> = { ...document };
    claims.forEach(([member], i) => { out[member] = signed[i]; });
    observer?.signed(namespace, name, key.alg, claims.length);
    send(res, 200, out);
  };

  return (req, res) => {
    res.sendDate = false;
    // Busy until answered: connection-flood relief closes idle connections, not this one.
    markActive(req.socket);
    markBusy(req.socket, true);
    res.once('finish', () => markBusy(req.socket, false));
    res.once('close', () => markBusy(req.socket, false));
    const started = process.hrtime.bigint();
    let endpoint: Endpoint = 'other';
    const finish = (status: number): void => {
      observer?.request(endpoint, status, Number(process.hrtime.bigint() - started) / 1e9);
    };
    const fail = (err: unknown): void => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal_error', 'the request could not be signed');
      if (!(err instanceof HttpError)) log.error('signing: unexpected error', { error: (err as Error).message });
      // A body left unread is not drained: the connection closes after this answer.
      if (!req.complete) res.shouldKeepAlive = false;
      send(res, e.status, { error: e.code, message: e.message, ...e.extra.body }, e.extra.headers);
      finish(e.status);
    };
    const path = (req.url ?? '').split('?', 1)[0] ?? '';
    const route = ROUTE.exec(path);
    if (route === null) {
      fail(new HttpError(404, 'not_found', 'no such endpoint: use /authservers/{namespace}/{name}/sign, /sign-fields or /keyset'));
      return;
    }
    handle(req, res, route, (e) => { endpoint = e; }).then(() => finish(200), fail);
  };
}

/** The signing server; HTTPS when `tls` is given. Not listening yet: see http/listen.ts. */
export function createSigningServer(deps: SigningServerDeps, opts: SigningServerOptions = {}): http.Server {
  const headersTimeoutMs = opts.headersTimeoutMs ?? DEFAULT_SIGNING_HEADERS_TIMEOUT_MS;
  const maxConnections = opts.maxConnections ?? DEFAULT_SIGNING_MAX_CONNECTIONS;
  return createListener(createSigningHandler(deps), {
    tls: opts.tls,
    maxConnections,
    maxConnectionsPerSource: opts.maxConnectionsPerSource ?? Math.max(1, Math.floor(maxConnections * SOURCE_SHARE)),
    maxHeaderSize: 16 * 1024,
    headersTimeoutMs,
    requestTimeoutMs: opts.requestTimeoutMs ?? headersTimeoutMs,
    keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 65_000,
    pressureKeepAliveTimeoutMs: 1_000,
  });
}
