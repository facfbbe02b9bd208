// The signing listener (DESIGN §9): POST /authservers/{ns}/{name}/sign, POST .../sign-fields and
// GET .../keyset. Every request is authenticated (TokenReview) and authorised (SubjectAccessReview)
// through the cached AccessChecker, then answered from the SigningKeyStore that the reconciler
// fills: nothing here waits on a reconcile or on key generation.
//
// The order of the checks decides what a caller learns: 401 (no or bad token) before anything
// else, 403 (RBAC says no, the same whether the AuthServer exists or not) before 404 (no such
// AuthServer, signing not enabled, export not allowed), then 503 (no usable key yet), 415 and 413
// on the body, 400 for claims that break a rule (named). Answers are JSON and never cached.
import { randomFillSync } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { TlsFiles } from '../jwks/tls.js';
import type { Logger } from '../observability/logger.js';
import { ReviewsBusyError, type AccessChecker, type AccessRequest, type Identity } from './access.js';
import { applyClaimRules, parseSignFields, type ClaimsContext } from './claims.js';
import type { SigningEntry, SigningKey, SigningKeyStore } from './key-store.js';
import { privateKeySet } from './keyset.js';
import { jwsSigner, type TokenType } from './jws.js';
import { signatureMaker, type RsaPlacement } from './signature.js';

/** Bodies above this get 413. */
export const MAX_BODY_BYTES = 64 * 1024;

export type Endpoint = 'sign' | 'sign-fields' | 'keyset' | 'other';

/** What the server reports, for metrics (src/observability/metrics.ts) and tests. */
export interface SigningObserver {
  request(endpoint: Endpoint, code: number, seconds: number): void;
  signed(namespace: string, name: string, alg: string, tokens: number): void;
  exported(namespace: string, name: string): void;
}

export interface SigningServerDeps {
  keys: Pick<SigningKeyStore, 'get'>;
  access: Pick<AccessChecker, 'authenticate' | 'authorize'>;
  log: Logger;
  observer?: SigningObserver;
  /** Milliseconds since the epoch. */
  now?: () => number;
  /** Where RSA signatures are made; by default chosen from the CPUs this process may use (signature.ts). */
  rsaPlacement?: RsaPlacement;
}

export interface SigningServerOptions {
  /** HTTPS with these files, kept current as they are renewed; plain HTTP without (--signing-insecure). */
  tls?: TlsFiles;
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

const ROUTE = /^\/authservers\/([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?)\/(sign|sign-fields|keyset)$/;
const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const BASE_HEADERS = ['Content-Type', 'application/json', 'Cache-Control', 'no-store', 'X-Content-Type-Options', 'nosniff'];

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly extra: { headers?: string[]; body?: Record<string, unknown> } = {}) {
    super(message);
  }
}

const unauthorized = (message: string, invalid: boolean) =>
  new HttpError(401, 'unauthorized', message, { headers: ['WWW-Authenticate', invalid ? 'Bearer realm="signet", error="invalid_token"' : 'Bearer realm="signet"'] });

function bearerToken(header: string | undefined): string {
  if (header === undefined || header === '') throw unauthorized('a bearer token is required: send "Authorization: Bearer <ServiceAccount token>"', false);
  const m = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
  if (!m?.[1]) throw unauthorized('the Authorization header must be "Bearer <token>"', true);
  return m[1];
}

/** `typ` from the raw query; `+` is taken literally (and as a space, which form encoding makes of it). */
function tokenType(url: string): TokenType {
  const q = url.indexOf('?');
  if (q === -1) return 'JWT';
  let typ: string | undefined;
  for (const pair of url.slice(q + 1).split('&')) {
    const [name, value = ''] = pair.split('=');
    if (name !== 'typ') continue;
    try {
      typ = decodeURIComponent(value);
    } catch {
      typ = value;
    }
  }
  if (typ === undefined || typ === 'JWT') return 'JWT';
  if (typ === 'at+jwt' || typ === 'at jwt') return 'at+jwt';
  throw new HttpError(400, 'invalid_request', 'the query parameter typ must be JWT or at+jwt');
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new HttpError(413, 'payload_too_large', `the body must not exceed ${MAX_BODY_BYTES} bytes`));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

async function jsonBody(req: http.IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type === undefined || !JSON_TYPE.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'the body must be JSON: send "Content-Type: application/json"');
  }
  const length = Number(req.headers['content-length'] ?? '0');
  if (length > MAX_BODY_BYTES) throw new HttpError(413, 'payload_too_large', `the body must not exceed ${MAX_BODY_BYTES} bytes`);
  const body = await readBody(req);
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
}

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

function claimsError(rule: string, message: string): HttpError {
  return new HttpError(400, 'invalid_claims', message, { body: { rule } });
}

export function createSigningHandler(deps: SigningServerDeps): http.RequestListener {
  const now = deps.now ?? Date.now;
  const { log, observer } = deps;
  const newJti = jtiSource();
  const jws = jwsSigner(signatureMaker(deps.rsaPlacement));

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

  const authorised = async (token: string, request: AccessRequest): Promise<Identity> => {
    let user: Identity;
    let allowed: boolean;
    try {
      const authn = await deps.access.authenticate(token);
      if (!authn.authenticated) throw unauthorized('the bearer token is not valid (expired, revoked, or not for this audience)', true);
      user = authn.user;
      allowed = await deps.access.authorize(token, user, request);
    } catch (err) {
      if (err instanceof HttpError) throw err;
      // A flood is refused without a log line each; an API server that cannot be asked is worth one.
      if (err instanceof ReviewsBusyError) log.debug('signing: review queue full', { error: err.message });
      else log.warn('signing: token or access review failed', { error: (err as Error).message });
      throw new HttpError(503, 'review_unavailable', 'the Kubernetes API could not be asked to review the token; try again', { headers: ['Retry-After', '1'] });
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
    const request: AccessRequest = action === 'keyset'
      ? { namespace, name, subresource: 'keyset', verb: 'get' }
      : { namespace, name, subresource: 'sign', verb: 'create' };
    const user = await authorised(token, request);

    const entry = deps.keys.get(namespace, name);
    if (entry === undefined) throw new HttpError(404, 'not_found', `no AuthServer "${name}" in namespace "${namespace}" has spec.signing.enabled`);

    if (action === 'keyset') {
      if (!entry.settings.allowKeysetExport) throw new HttpError(404, 'not_found', `AuthServer "${name}" in namespace "${namespace}" does not allow keyset export (spec.signing.allowKeysetExport)`);
      if (!entry.exportable) {
        throw new HttpError(404, 'not_found', `AuthServer "${name}" in namespace "${namespace}" signs with a key that is not exportable: it was generated while spec.signing.allowKeysetExport was off (point signAndVerifyKeyRef at a new Secret name to generate an exportable one)`);
      }
      activeKey(entry);
      const keyset = privateKeySet(entry);
      log.info('signing: private keyset exported', { namespace, authserver: name, user: user.username, kids: keyset.keys.map((k) => k.kid) });
      observer?.exported(namespace, name);
      send(res, 200, keyset, ['Pragma', 'no-cache']);
      return;
    }

    const key = activeKey(entry);
    const typ = tokenType(req.url ?? '');
    const body = await jsonBody(req);
    const ctx = contextFor(entry);

    if (action === 'sign') {
      const checked = applyClaimRules(body, ctx);
      if (!checked.ok) throw claimsError(checked.rule, checked.message);
      const token = await jws.compact(checked.claims, key, typ);
      observer?.signed(namespace, name, key.alg, 1);
      send(res, 200, { token, kid: key.kid, alg: key.alg, expiresAt: new Date(checked.exp * 1000).toISOString() });
      return;
    }

    const parsed = parseSignFields(body);
    if (!parsed.ok) throw new HttpError(400, 'invalid_request', parsed.message, { body: { rule: parsed.rule } });
    const { document, keysToSign, full } = parsed.request;
    const claims: Array<[string, Record<string, unknown>]> = [];
    for (const member of keysToSign) {
      if (!Object.hasOwn(document, member)) continue; // as KrakenD: a member the document lacks is left out
      const checked = applyClaimRules(document[member], ctx, `document.${member}`);
      if (!checked.ok) throw claimsError(checked.rule, checked.message);
      claims.push([member, checked.claims]);
    }
    const signed = await Promise.all(claims.map(([, c]) => (full ? jws.flattened(c, key, typ) : jws.compact(c, key, typ))));
    const out: Record<string, unknown> = { ...document };
    claims.forEach(([member], i) => { out[member] = signed[i]; });
    observer?.signed(namespace, name, key.alg, claims.length);
    send(res, 200, out);
  };

  return (req, res) => {
    res.sendDate = false;
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

/** The signing server; HTTPS when `tls` is given. Not listening yet: see jwks/server.ts listen(). */
export function createSigningServer(deps: SigningServerDeps, opts: SigningServerOptions = {}): http.Server {
  const common: http.ServerOptions = {
    maxHeaderSize: 16 * 1024,
    headersTimeout: opts.headersTimeoutMs ?? 10_000,
    requestTimeout: opts.requestTimeoutMs ?? 30_000,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 65_000,
    noDelay: true,
  };
  const handler = createSigningHandler(deps);
  if (!opts.tls) return http.createServer(common, handler);
  const server = https.createServer({ ...common, ...opts.tls.options, handshakeTimeout: common.headersTimeout }, handler);
  opts.tls.serve(server);
  return server;
}
