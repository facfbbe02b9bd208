// Events on AuthServers (core/v1 Events, which `kubectl describe` shows).
import type { CoreV1Api } from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { API_VERSION, KIND, type AuthServer, type EventReason } from '../api/types.js';

export interface EventRecorder {
  record(as: AuthServer, type: 'Normal' | 'Warning', reason: EventReason, message: string): Promise<void>;
}

export function eventRecorder(core: CoreV1Api): EventRecorder {
  const instance = hostname();
  return {
    async record(as, type, reason, message) {
      const now = new Date();
      const namespace = as.metadata.namespace ?? 'default';
      await core.createNamespacedEvent({
        namespace,
        body: {
          // An Event name is at most 253 characters, like the AuthServer's own.
          metadata: { name: `${(as.metadata.name ?? '').slice(0, 236)}.${randomBytes(8).toString('hex')}`, namespace },
          involvedObject: { apiVersion: API_VERSION, kind: KIND, name: as.metadata.name, namespace, uid: as.metadata.uid, resourceVersion: as.metadata.resourceVersion },
          type,
          reason,
          message: message.slice(0, 1024),
          source: { component: 'signet' },
          reportingComponent: 'signet.dev/signet',
          reportingInstance: instance,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}
