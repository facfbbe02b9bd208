// How the suite talks to a verifier written in another language or library: a JSON request on
// stdin (the issuers to discover and the tokens to check), a JSON list of results on stdout. Each
// verifier runs in a process of its own ecosystem and trusts the test CA the way such a service
// would be told to: a CA file (Go), SSL_CERT_FILE (Python), NODE_EXTRA_CA_CERTS (Node).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../../support/kube.js';

export interface VerifierRequest {
  audience: string;
  /** Read by the Go verifier; the others get the CA from their environment. */
  caFile?: string;
  issuers: Array<{ issuer: string; tokens: Array<{ id: string; token: string }> }>;
}

export interface VerifierResult {
  id: string;
  /** Set by a program that runs several verifiers. */
  verifier?: LibraryVerifier;
  ok: boolean;
  subject?: string | undefined;
  error?: string;
}

export const LIBRARY_VERIFIERS = ['go-oidc', 'PyJWT', 'jose', 'openid-client', 'jwks-rsa'] as const;
export type LibraryVerifier = (typeof LIBRARY_VERIFIERS)[number];

export const interopDir = join(repoRoot, 'test/interop');
/** Built by `make interop-verifiers` (go build), git-ignored. */
export const goVerifierBinary = join(interopDir, '.bin/go-oidc-verify');
/** Debian's interpreter, where python3-jwt is installed (a python3 earlier on PATH may be another one). */
export const debianPython = '/usr/bin/python3';

/** The three Node libraries run in one process (each with its own client and cache): one Node start-up instead of three. */
const NODE_LIBRARIES: readonly LibraryVerifier[] = ['jose', 'openid-client', 'jwks-rsa'];

interface Program { cmd: string; args: string[]; env: NodeJS.ProcessEnv; verifiers: readonly LibraryVerifier[] }

function programs(caFile: string): Program[] {
  return [
    { cmd: goVerifierBinary, args: [], env: {}, verifiers: ['go-oidc'] },
    { cmd: debianPython, args: [join(interopDir, 'pyjwt/verify.py')], env: { SSL_CERT_FILE: caFile }, verifiers: ['PyJWT'] },
    { cmd: process.execPath, args: ['--import', 'tsx', join(interopDir, 'node/verify.ts'), ...NODE_LIBRARIES], env: { NODE_EXTRA_CA_CERTS: caFile }, verifiers: NODE_LIBRARIES },
  ];
}

/** Runs one verifier program on the request; resolves to its results (a program that runs several names them). */
async function run(p: Program, caFile: string, request: VerifierRequest): Promise<VerifierResult[]> {
  const child = spawn(p.cmd, p.args, { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', ...p.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.end(JSON.stringify({ ...request, caFile }));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  if (code !== 0) throw new Error(`${p.verifiers.join(', ')} verifier exited with ${code}: ${Buffer.concat(err).toString()}`);
  const { results } = JSON.parse(Buffer.concat(out).toString()) as { results: VerifierResult[] };
  return results.map((r) => ({ ...r, verifier: r.verifier ?? p.verifiers[0] }));
}

/** Runs every library verifier on the request, concurrently; results by verifier, then by token id. */
export async function runLibraryVerifiers(caFile: string, request: VerifierRequest): Promise<Record<LibraryVerifier, Map<string, VerifierResult>>> {
  const all = (await Promise.all(programs(caFile).map((p) => run(p, caFile, request)))).flat();
  return Object.fromEntries(LIBRARY_VERIFIERS.map((v) => [v, new Map(all.filter((r) => r.verifier === v).map((r) => [r.id, r]))])) as Record<LibraryVerifier, Map<string, VerifierResult>>;
}
