// Every private keyset export recorded as an Event on the AuthServer (issue 20, point 6), beside
// the warn-level log line, so that `kubectl describe authserver` shows who took a copy of its key.
// Recorded by the replica that answered (every replica signs), after the answer: an API server that
// cannot be reached does not hold up the caller, and a failure is logged.
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { GROUP, PLURAL, VERSION, type AuthServer } from '../api/types.js';
import { makeApiClient } from '../kube/client.js';
import { eventRecorder } from '../kube/events.js';
import type { Logger } from '../observability/logger.js';
import type { KeysetExport } from './server.js';

/** Events being recorded at once, and waiting: beyond, the export is only logged (it always is). */
const CONCURRENT = 4;
const MAX_WAITING = 100;

export function keysetExportEvents(kc: KubeConfig, log: Logger): (e: KeysetExport) => void {
  const custom = makeApiClient(kc, CustomObjectsApi);
  const events = eventRecorder(makeApiClient(kc, CoreV1Api));
  const limit = pLimit(CONCURRENT);
  return (e) => {
    if (limit.pendingCount >= MAX_WAITING) {
      log.warn('signing: too many keyset export Events waiting; this export is only logged', { namespace: e.namespace, authserver: e.name, user: e.user.username });
      return;
    }
    void limit(async () => {
      // The Event names the AuthServer by uid, which `kubectl describe` selects on.
      const as = (await custom.getNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: e.namespace, name: e.name })) as AuthServer;
      await events.record(as, 'Warning', 'KeysetExported', `the private keyset (kid ${e.kids.join(', ')}) was exported to "${e.user.username}"`);
    }).catch((err: unknown) => {
      log.warn('signing: cannot record the keyset export as an Event', { namespace: e.namespace, authserver: e.name, user: e.user.username, error: (err as Error).message });
    });
  };
}
