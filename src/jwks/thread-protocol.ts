// What the operator's main thread and the JWKS listener's thread say to each other (jwks/thread.ts,
// jwks/serving-thread.ts; docs/architecture.md#serving). One place for the message shapes.
import type { AddressInfo } from 'node:net';
import type { HostPort } from '../http/host-port.js';
import type { TlsFilePaths } from '../http/tls.js';
import type { PublicJwk } from '../keys/types.js';
import type { LogLevel } from '../observability/logger.js';
import type { IssuerDocument } from './types.js';

/** The thread's workerData: where to listen, and the TLS files when it serves HTTPS. */
export interface ThreadInit {
  bind: HostPort;
  tls?: TlsFilePaths;
}

/** One document change; `seq` numbers them in the order the main thread made them, so that the thread can say which it serves. */
export type DocumentChange =
  | { type: 'set'; seq: number; doc: IssuerDocument }
  | { type: 'delete'; seq: number; namespace: string; name: string };

/** Main → thread. */
export type ToThread =
  /** The changes made since the last message, in order (jwks/serving-thread.ts MAX_CHANGES_PER_MESSAGE at most). */
  | { type: 'changes'; changes: DocumentChange[] }
  | { type: 'stats'; id: number }
  /** The public JWKs the AuthServer's JWKS serves under these kids (JwksStore.servedJwks). */
  | { type: 'jwks'; id: number; namespace: string; name: string; kids: string[] }
  | { type: 'close'; timeoutMs: number };

/** Requests answered since the last stats message, by status code, and the thread's event-loop delay over that time. */
export interface ThreadStats {
  requests: Record<string, number>;
  loopDelayP99Seconds: number;
  loopDelayMaxSeconds: number;
}

/** Why the thread could not start: the TLS files, or the listen call. */
export type StartFailure = 'tls' | 'listen';

/** Thread → main. */
export type FromThread =
  | { type: 'listening'; address: AddressInfo }
  | { type: 'failed'; stage: StartFailure; message: string }
  /** Every change up to `seq` is served. */
  | { type: 'served'; seq: number }
  | ({ type: 'stats'; id: number } & ThreadStats)
  | { type: 'jwks'; id: number; keys: PublicJwk[] }
  /** The TLS certificate in use now expires then (at start and at each renewal). */
  | { type: 'tlsExpiry'; notAfterMs: number }
  | { type: 'log'; level: LogLevel; message: string; meta?: Record<string, unknown> }
  | { type: 'closed' };
