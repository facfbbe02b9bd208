// The writes a rotation makes, one by one, for the crash tests: how to recognise each in the write
// trap (test/support/write-trap.ts) and how to tell, from outside, whether it took effect.
import { GROUP, PLURAL, VERSION } from '../../../src/api/types.js';
import type { TrappedWrite } from '../../support/write-trap.js';
import { readSecretKeys, statusOf } from './support.js';

interface SecretPatchBody { data?: Record<string, string | null> }
interface StatusBody { status?: { keys?: Array<{ kid: string; state?: string }>; retiredKeys?: Array<{ kid: string }> } }

/** One write of the rotation: which request it is (judged when armed), and whether it took effect. */
export interface RotationWrite {
  name: string;
  prepare(): Promise<{ matches: (w: TrappedWrite) => boolean; applied: () => Promise<boolean> }>;
}

/**
 * The writes of one rotation of AuthServer ns/name whose key is in Secret ns/secret, in order:
 * GenerateNext, the next key published, the promotion (status, then Secret), the retired key dropped.
 */
export function rotationWrites(ns: string, name: string, secret: string): RotationWrite[] {
  const isSecretPatch = (w: TrappedWrite): boolean => w.method === 'PATCH' && w.path === `/api/v1/namespaces/${ns}/secrets/${secret}`;
  const isStatusWrite = (w: TrappedWrite): boolean => w.method === 'PUT' && w.path === `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PLURAL}/${name}/status`;
  const nextInStatus = async (): Promise<boolean> => ((await statusOf(ns, name))?.keys ?? []).some((k) => k.state === 'Next');
  const retiredKids = async (): Promise<string[]> => ((await statusOf(ns, name))?.retiredKeys ?? []).map((k) => k.kid);
  return [
    {
      name: 'GenerateNext: the next key into the Secret',
      prepare() {
        return Promise.resolve({
          matches: (w: TrappedWrite) => isSecretPatch(w) && typeof (w.body as SecretPatchBody).data?.['next.key.pem'] === 'string',
          applied: async () => (await readSecretKeys(ns, secret))?.next !== undefined,
        });
      },
    },
    {
      name: 'status: the next key published (state Next, publishedSince)',
      prepare() {
        return Promise.resolve({
          matches: (w: TrappedWrite) => isStatusWrite(w) && ((w.body as StatusBody).status?.keys ?? []).some((k) => k.state === 'Next'),
          applied: () => nextInStatus(),
        });
      },
    },
    {
      name: 'Promote: status records the replaced key in retiredKeys',
      async prepare() {
        const active = (await readSecretKeys(ns, secret))?.active;
        return {
          matches: (w) => isStatusWrite(w) && ((w.body as StatusBody).status?.retiredKeys ?? []).some((k) => k.kid === active),
          applied: async () => (await retiredKids()).includes(active ?? ''),
        };
      },
    },
    {
      name: 'Promote: the next key into key.pem',
      async prepare() {
        const before = await readSecretKeys(ns, secret);
        return {
          // A JSON Patch that moves next.key.pem onto key.pem.
          matches: (w) => isSecretPatch(w) && Array.isArray(w.body)
            && (w.body as Array<{ op?: string; from?: string; path?: string }>).some((o) => o.op === 'move' && o.from === '/data/next.key.pem' && o.path === '/data/key.pem'),
          applied: async () => (await readSecretKeys(ns, secret))?.active === before?.next,
        };
      },
    },
    {
      name: 'status: the retired key dropped at retiresAt',
      async prepare() {
        const retired = await retiredKids();
        return {
          matches: (w) => isStatusWrite(w) && retired.some((kid) => !((w.body as StatusBody).status?.retiredKeys ?? []).some((k) => k.kid === kid)),
          applied: async () => {
            const now = await retiredKids();
            return !retired.every((kid) => now.includes(kid));
          },
        };
      },
    },
  ];
}
