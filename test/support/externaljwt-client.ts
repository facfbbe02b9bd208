// A client of the ExternalJWTSigner socket, as the kube-apiserver is (k8s.io/externaljwt apis/v1):
// for tests that call Signet's socket with what the API server would not send.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { repoRoot } from './kube.js';

export interface ExternalJwtClient {
  sign(claims: Record<string, unknown>): Promise<{ header: string; signature: string }>;
  fetchKeys(): Promise<{ keys: Array<{ keyId: string; key: Buffer; excludeFromOidcDiscovery: boolean }>; dataTimestamp: { seconds: number }; refreshHintSeconds: number }>;
  metadata(): Promise<{ maxTokenExpirationSeconds: number }>;
  close(): void;
}

type Unary = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res: unknown) => void) => void;

export function externalJwtClient(socket: string, timeoutMs = 10_000): ExternalJwtClient {
  const pkg = protoLoader.loadSync(join(repoRoot, 'src/sa-signer/api.proto'), { keepCase: false, longs: Number, defaults: true });
  const Ctor = (grpc.loadPackageDefinition(pkg) as unknown as { v1: { ExternalJWTSigner: grpc.ServiceClientConstructor } }).v1.ExternalJWTSigner;
  const client = new Ctor(`unix:${socket}`, grpc.credentials.createInsecure()) as unknown as Record<'Sign' | 'FetchKeys' | 'Metadata', Unary> & grpc.Client;
  const call = <T>(method: 'Sign' | 'FetchKeys' | 'Metadata', req: object): Promise<T> => new Promise((resolve, reject) => {
    client[method].call(client, req, { deadline: Date.now() + timeoutMs }, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
  return {
    sign: (claims) => call('Sign', { claims: Buffer.from(JSON.stringify(claims)).toString('base64url') }),
    fetchKeys: () => call('FetchKeys', {}),
    metadata: () => call('Metadata', {}),
    close: () => client.close(),
  };
}
