// The key that seals status.retiredKeys (rotation/seal.ts), kept in one Secret that every replica
// reads and the first to find it missing creates. Only Signet (and cluster admins) read it; it is
// not a signing key and no AuthServer can use it (its data key is none that Signet loads keys from).
import { randomBytes } from 'node:crypto';
import type { CoreV1Api } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../api/types.js';
import type { Logger } from '../observability/logger.js';
import { apiErrorMessage, isConflict, isNotFound } from './errors.js';

export const STATUS_KEY_DATA_KEY = 'status-seal.key';
const KEY_BYTES = 32;

async function read(core: CoreV1Api, namespace: string, name: string): Promise<Buffer | undefined> {
  try {
    const s = await core.readNamespacedSecret({ namespace, name });
    const value = s.data?.[STATUS_KEY_DATA_KEY];
    const key = value === undefined ? undefined : Buffer.from(value, 'base64');
    if (!key || key.length < KEY_BYTES) throw new Error(`Secret "${namespace}/${name}" has no ${KEY_BYTES}-byte "${STATUS_KEY_DATA_KEY}"; delete it to have Signet create a new one (retired keys recorded so far stop being served)`);
    return key;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Reads the key, creating the Secret when it is missing; retries (with the API down, say) after
 * `retryDelay(failures)` ms until `signal` aborts.
 */
export async function loadStatusKey(core: CoreV1Api, where: { namespace: string; name: string }, log: Logger, signal: AbortSignal, retryDelay: (failures: number) => number): Promise<Buffer> {
  const { namespace, name } = where;
  for (let attempt = 0; ; attempt++) {
    try {
      const known = await read(core, namespace, name);
      if (known) return known;
      const key = randomBytes(KEY_BYTES);
      try {
        await core.createNamespacedSecret({
          namespace,
          body: { metadata: { name, namespace, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } }, type: 'Opaque', data: { [STATUS_KEY_DATA_KEY]: key.toString('base64') } },
        });
        log.info('created the status seal key', { secret: `${namespace}/${name}` });
        return key;
      } catch (err) {
        // Another replica created it first: read theirs.
        if (!isConflict(err)) throw err;
      }
    } catch (err) {
      log.error('cannot read or create the status seal key; retrying', { secret: `${namespace}/${name}`, error: apiErrorMessage(err) });
    }
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, retryDelay(attempt + 1));
      signal.addEventListener('abort', () => { clearTimeout(t); reject(new Error('stopped')); }, { once: true });
    });
  }
}
