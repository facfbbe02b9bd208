// The ExternalJWTSigner gRPC service (k8s.io/externaljwt apis/v1, api.proto beside this module) on
// a Unix socket of mode 0600, for the kube-apiserver's --service-account-signing-endpoint. This
// module is the protocol only: what to answer is the backend's (service.ts).
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { chmod, lstat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { SignetError } from '../api/errors.js';

/** A refusal the kube-apiserver shows as it is: a gRPC status code and a message that says what to fix. */
/** `status`: the gRPC status the kube-apiserver is answered with. */
export class SignerError extends SignetError {
  override readonly code = 'ERR_SIGNET_SIGNER';
  constructor(readonly status: grpc.status, message: string) {
    super(message);
  }
}

export interface FetchKeysAnswer {
  keys: Array<{ keyId: string; key: Buffer; excludeFromOidcDiscovery: boolean }>;
  dataTimestampMs: number;
  refreshHintSeconds: number;
}

export interface SignerBackend {
  /** `claims`: base64url, as in the token. */
  sign(claims: string, deadlineMs: number): Promise<{ header: string; signature: string }>;
  fetchKeys(deadlineMs: number): Promise<FetchKeysAnswer>;
  metadata(deadlineMs: number): Promise<{ maxTokenExpirationSeconds: number }>;
}

export interface SignerServer {
  close(): Promise<void>;
}

const PROTO = fileURLToPath(new URL('./api.proto', import.meta.url));

type ServiceDefinition = grpc.ServiceDefinition;

function serviceDefinition(): ServiceDefinition {
  const pkg = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, defaults: true });
  const service = (grpc.loadPackageDefinition(pkg) as unknown as { v1: { ExternalJWTSigner: { service: ServiceDefinition } } }).v1.ExternalJWTSigner;
  return service.service;
}

/**
 * Makes the socket path free to bind: a socket of Signet's uid left by a process that died (nothing
 * answers on it) is removed; a socket that answers, one of another user, or anything that is not a
 * socket, is refused and left as it is.
 */
export async function claimSocketPath(path: string): Promise<void> {
  let info;
  try {
    info = await lstat(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new SignerError(grpc.status.INTERNAL, `--service-account-signer-socket ${path} cannot be checked: ${(err as Error).message}`);
  }
  if (!info.isSocket()) {
    throw new SignerError(grpc.status.INTERNAL, `--service-account-signer-socket ${path} exists and is not a socket: Signet does not remove it; give a path that does not exist (Signet creates the socket)`);
  }
  if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
    throw new SignerError(grpc.status.INTERNAL, `--service-account-signer-socket ${path} is a socket of uid ${info.uid}, not of Signet's uid ${process.getuid()}: Signet removes only a socket it left itself; remove it, or give another path`);
  }
  const answered = await new Promise<boolean>((resolve) => {
    const c = connect(path);
    c.once('connect', () => { c.destroy(); resolve(true); });
    c.once('error', () => resolve(false));
  });
  if (answered) throw new SignerError(grpc.status.INTERNAL, `--service-account-signer-socket ${path} is being served by another process: stop it, or give another path`);
  await unlink(path);
}

function deadlineOf(call: grpc.ServerUnaryCall<unknown, unknown>): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : Number(d);
  return Number.isFinite(ms) && ms > 0 ? ms : Date.now() + 30_000;
}

function unary<Req, Res>(run: (req: Req, deadlineMs: number) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    run(call.request, deadlineOf(call)).then(
      (res) => callback(null, res),
      (err: unknown) => callback({
        code: err instanceof SignerError ? err.status : grpc.status.INTERNAL,
        details: err instanceof Error ? err.message : String(err),
      }),
    );
  };
}

/** Serves `backend` on `path` (which claimSocketPath made free). */
export async function serveSigner(path: string, backend: SignerBackend): Promise<SignerServer> {
  await claimSocketPath(path);
  const server = new grpc.Server();
  server.addService(serviceDefinition(), {
    Sign: unary<{ claims: string }, { header: string; signature: string }>((req, deadline) => backend.sign(req.claims, deadline)),
    FetchKeys: unary<object, object>(async (_req, deadline) => {
      const a = await backend.fetchKeys(deadline);
      return {
        keys: a.keys,
        dataTimestamp: { seconds: Math.floor(a.dataTimestampMs / 1000), nanos: (a.dataTimestampMs % 1000) * 1e6 },
        refreshHintSeconds: a.refreshHintSeconds,
      };
    }),
    Metadata: unary<object, object>((_req, deadline) => backend.metadata(deadline)),
  });
  // The socket is created with the process umask: no moment in which another user may connect.
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => server.bindAsync(`unix:${path}`, grpc.ServerCredentials.createInsecure(), (err) => (err ? reject(err) : resolve())));
  } finally {
    process.umask(umask);
  }
  await chmod(path, 0o600);
  return {
    close: () => new Promise<void>((resolve) => {
      // In-flight calls finish; a call that hangs past 5 s is cut.
      const force = setTimeout(() => server.forceShutdown(), 5000);
      server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    }),
  };
}
