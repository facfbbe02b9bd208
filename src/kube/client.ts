// API clients whose every request has a deadline (docs/architecture.md#command-line-flags) and, for the clients that write,
// whose writes are refused at the moment of sending when this replica may not write (only the
// leader writes). Both rules sit in the HTTP library the generated client sends through, the one
// place every request passes whatever its method or per-call options (a per-call middleware
// replaces the configured ones; the HTTP library stays).
import {
  IsomorphicFetchHttpLibrary, ResponseContext, ServerConfiguration, createConfiguration, wrapHttpLibrary,
  type Configuration, type KubeConfig, type PromiseHttpLibrary, type RequestContext, type ResponseBody,
} from '@kubernetes/client-node';
import http from 'node:http';
import https from 'node:https';
import { SignetError } from '../api/errors.js';

/** The deadline of one request to the API server when nothing shorter is asked for. */
export const API_TIMEOUT_MS = 30_000;

/** A request got no complete answer within its deadline. */
export class DeadlineExceededError extends SignetError {
  override readonly code = 'ERR_SIGNET_DEADLINE_EXCEEDED';
}

/** A write was refused before sending: this replica may not write (it is not the leader). */
export class NotLeaderError extends SignetError {
  override readonly code = 'ERR_SIGNET_NOT_LEADER';
}

export interface ClientOptions {
  /** From sending the request to having read the whole response. */
  timeoutMs?: number;
  /** Asked at the moment each write is sent; a write is refused when it says false. */
  canWrite?: () => boolean;
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * An AbortSignal that fires after `ms`, or with `parent`: the deadline of a request that a caller
 * may also cancel.
 */
export function deadlineSignal(ms: number, parent?: AbortSignal): AbortSignal {
  const deadline = AbortSignal.timeout(ms);
  return parent ? AbortSignal.any([parent, deadline]) : deadline;
}

/**
 * client-node builds a new Agent for every request, so every call paid a TCP and TLS handshake on
 * the event loop that also serves the JWKS. Requests of one KubeConfig share one keep-alive Agent
 * made from the same TLS options instead, the generated clients' and the raw requests' alike
 * (stream.ts); idle sockets are unref'd: they keep no process alive.
 */
const sharedAgents = new WeakMap<KubeConfig, http.Agent>();

/**
 * The https Agent of one kubeconfig's TLS identity. https.Agent spells the CA, client certificate
 * and key out as strings in every connection pool key, three times a request; here they are the
 * same for every request (the Agent's own options), so the pool key is host and port alone.
 */
class IdentityAgent extends https.Agent {
  override getName(options?: http.ClientRequestArgs): string {
    return http.Agent.prototype.getName.call(this, options);
  }
}

/** The keep-alive Agent of this KubeConfig, made from `tls` (its CA, client certificate and key) the first time. */
export function keepAliveAgent(kc: KubeConfig, secure: boolean, tls: https.AgentOptions): http.Agent {
  let agent = sharedAgents.get(kc);
  if (!agent) {
    const options = { ...tls, keepAlive: true };
    agent = secure ? new IdentityAgent(options) : new http.Agent(options);
    sharedAgents.set(kc, agent);
  }
  return agent;
}

/** The shared Agent in place of a fresh plain one client-node made; a proxy agent is left as it is (undefined). */
export function sharedAgent(kc: KubeConfig, fresh: unknown): http.Agent | undefined {
  if (!(fresh instanceof http.Agent) || (fresh.constructor !== https.Agent && fresh.constructor !== http.Agent)) return undefined;
  return keepAliveAgent(kc, fresh.constructor === https.Agent, (fresh as http.Agent & { options: https.AgentOptions }).options);
}

/** Throws NotLeaderError for a write (`what`: "METHOD /path") that canWrite refuses now. */
export function refuseUnwritable(canWrite: (() => boolean) | undefined, method: string, what: string): void {
  if (canWrite && !READS.has(method) && !canWrite()) throw new NotLeaderError(`${what}: not sent, this replica is not the leader`);
}

/** The error of a request that failed: DeadlineExceededError when its deadline (not its caller) ended it. */
export function deadlineError(err: unknown, signal: AbortSignal, caller: AbortSignal | undefined, what: string, timeoutMs: number): unknown {
  return signal.aborted && !caller?.aborted ? new DeadlineExceededError(`${what}: no answer from the API server within ${timeoutMs} ms`, { cause: err }) : err;
}

class GuardedHttpLibrary implements PromiseHttpLibrary {
  private readonly inner = new IsomorphicFetchHttpLibrary();

  constructor(private readonly kc: KubeConfig, private readonly timeoutMs: number, private readonly canWrite: (() => boolean) | undefined) {}

  async send(request: RequestContext): Promise<ResponseContext> {
    const method = request.getHttpMethod().toString();
    const what = `${method} ${new URL(request.getUrl()).pathname}`;
    refuseUnwritable(this.canWrite, method, what);
    const agent = sharedAgent(this.kc, request.getAgent());
    if (agent) request.setAgent(agent);
    const caller = request.getSignal();
    const signal = deadlineSignal(this.timeoutMs, caller);
    request.setSignal(signal);
    // The deadline covers the body too: the generated client reads it after this returns.
    const bounded = <T>(p: Promise<T>): Promise<T> => p.catch((err: unknown) => {
      throw deadlineError(err, signal, caller, what, this.timeoutMs);
    });
    const res = await bounded(this.inner.send(request).toPromise());
    const body: ResponseBody = { text: () => bounded(res.body.text()), binary: () => bounded(res.body.binary()) };
    return new ResponseContext(res.httpStatusCode, res.headers, body);
  }
}

/** Like KubeConfig.makeApiClient, with a deadline on every request and, optionally, the write guard. */
export function makeApiClient<T>(kc: KubeConfig, api: new (config: Configuration) => T, opts: ClientOptions = {}): T {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  return new api(createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    httpApi: wrapHttpLibrary(new GuardedHttpLibrary(kc, opts.timeoutMs ?? API_TIMEOUT_MS, opts.canWrite)),
  }));
}
