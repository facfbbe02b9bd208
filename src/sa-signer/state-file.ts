// The issuer's keyring on the node (docs/architecture.md#the-service-account-issuer): the kube-apiserver asks for keys before it serves,
// so Signet starts from this file and catches up once the API answers. It holds the private half
// of the signing key (where the node keeps --service-account-signing-key-file today), so it must be
// 0600 and is written atomically (a temporary file in the same folder, fsync, rename). A file that
// is too open or cannot be read is refused with what to fix, and left as it is.
import { createPrivateKey } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { isAlgorithm as isAlgorithmName, type Algorithm } from '../api/algorithms.js';
import type { Keyring } from './keyring.js';
import { SignetError } from '../api/errors.js';

export class StateFileError extends SignetError {
  override readonly code = 'ERR_SIGNET_STATE_FILE';
}

const FORMAT = 'signet.dev/service-account-signer-state/v1';

interface StateDocument {
  format: typeof FORMAT;
  /** namespace/name of the AuthServer. */
  authServer: string;
  issuerURI: string;
  keys: Array<{ kid: string; alg: Algorithm; der: string; excludeFromDiscovery: boolean }>;
  signer?: { kid: string; alg: Algorithm; privateKeyPem: string; publishedSince: string };
  maxTokenExpirationSeconds: number;
  refreshHintSeconds: number;
  publishAheadMs: number;
  dataTimestamp: string;
}

export function encodeState(authServer: string, k: Keyring): string {
  const doc: StateDocument = {
    format: FORMAT,
    authServer,
    issuerURI: k.issuerURI,
    keys: k.keys.map((key) => ({ kid: key.kid, alg: key.alg, der: key.der.toString('base64'), excludeFromDiscovery: key.excludeFromDiscovery })),
    ...(k.signer && {
      signer: {
        kid: k.signer.kid, alg: k.signer.alg, publishedSince: new Date(k.signer.publishedSinceMs).toISOString(),
        privateKeyPem: k.signer.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      },
    }),
    maxTokenExpirationSeconds: k.maxTokenExpirationSeconds,
    refreshHintSeconds: k.refreshHintSeconds,
    publishAheadMs: k.publishAheadMs,
    dataTimestamp: new Date(k.dataTimestampMs).toISOString(),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isAlgorithm = (v: unknown): v is Algorithm => typeof v === 'string' && isAlgorithmName(v);

/** The keyring in a state file's text; throws StateFileError naming what is wrong (never key material). */
export function decodeState(text: string, path: string, authServer: string): Keyring {
  const bad = (what: string): StateFileError => new StateFileError(
    `state file ${path} is not a Signet service-account signer state (${what}): move it aside and Signet writes a new one from AuthServer ${authServer} once the API answers, or restore a good copy`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw bad(`not JSON: ${(err as Error).message}`);
  }
  if (!isObject(doc) || doc.format !== FORMAT) throw bad(`"format" is not "${FORMAT}"`);
  if (doc.authServer !== authServer) {
    throw new StateFileError(`state file ${path} belongs to AuthServer ${String(doc.authServer)}, not ${authServer} (--service-account-issuer): give each issuer its own --service-account-signer-state-file`);
  }
  if (typeof doc.issuerURI !== 'string' || !Array.isArray(doc.keys) || doc.keys.length === 0) throw bad('no issuerURI or no keys');
  const num = (field: string): number => {
    const v = doc[field];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw bad(`"${field}" is not a positive number`);
    return v;
  };
  const keys = doc.keys.map((k: unknown, i) => {
    if (!isObject(k) || typeof k.kid !== 'string' || k.kid === '' || !isAlgorithm(k.alg) || typeof k.der !== 'string' || typeof k.excludeFromDiscovery !== 'boolean') throw bad(`keys[${i}] is malformed`);
    return { kid: k.kid, alg: k.alg, der: Buffer.from(k.der, 'base64'), excludeFromDiscovery: k.excludeFromDiscovery };
  });
  let signer: Keyring['signer'];
  if (doc.signer !== undefined) {
    const s = doc.signer;
    if (!isObject(s) || typeof s.kid !== 'string' || !isAlgorithm(s.alg) || typeof s.privateKeyPem !== 'string' || typeof s.publishedSince !== 'string') throw bad('"signer" is malformed');
    let privateKey;
    try {
      privateKey = createPrivateKey(s.privateKeyPem);
    } catch {
      throw bad('the signer\'s private key does not parse');
    }
    if (!keys.some((k) => k.kid === s.kid)) throw bad(`the signer's kid "${s.kid}" is not among its keys`);
    signer = { kid: s.kid, alg: s.alg, privateKey, publishedSinceMs: Date.parse(s.publishedSince) };
  }
  const dataTimestampMs = Date.parse(String(doc.dataTimestamp));
  if (Number.isNaN(dataTimestampMs)) throw bad('"dataTimestamp" is not a time');
  return {
    issuerURI: doc.issuerURI, keys, ...(signer && { signer }),
    maxTokenExpirationSeconds: num('maxTokenExpirationSeconds'), refreshHintSeconds: num('refreshHintSeconds'), publishAheadMs: num('publishAheadMs'),
    dataTimestampMs,
  };
}

/** The keyring in the file, undefined when there is no file yet. */
export async function readState(path: string, authServer: string): Promise<Keyring | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw new StateFileError(`state file ${path} is a symbolic link: give the path of the file itself`);
    throw new StateFileError(`state file ${path} cannot be opened: ${(err as Error).message}`);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new StateFileError(`state file ${path} is not a regular file: give the path of a file (Signet creates it)`);
    if ((info.mode & 0o077) !== 0) {
      throw new StateFileError(`state file ${path} has mode 0${(info.mode & 0o777).toString(8)}, but it holds a private key: run chmod 600 ${path} (and check who could read it)`);
    }
    if (typeof process.getuid === 'function' && info.uid !== process.getuid()) {
      throw new StateFileError(`state file ${path} is owned by uid ${info.uid}, not by Signet's uid ${process.getuid()}: chown it to the user Signet runs as`);
    }
    return decodeState(await handle.readFile('utf8'), path, authServer);
  } finally {
    await handle.close();
  }
}

/** Replaces the file atomically with mode 0600: a crash leaves the old file or the new one. */
export async function writeState(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const handle = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename itself is durable once the folder is.
  const folder = await open(dir, constants.O_RDONLY);
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

/** Checked at start-up so that a state file Signet could never write is a start-up error, not a later one. */
export async function checkStateFolder(path: string): Promise<void> {
  const dir = dirname(path);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (err) {
    throw new StateFileError(`the folder of state file ${path} (${dir}) is not usable: ${(err as Error).message}; create it (mode 0700)`);
  }
}
