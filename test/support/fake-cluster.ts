// One namespace of a cluster, in memory, for driving the real reconciler (observe → decide → act)
// without an API server: a Reader over its objects and an Executor that applies the writes the way
// the API server would (resourceVersions, 409 on a stale write, merge and JSON patches of Secrets).
import type { Executor } from '../../src/controller/act.js';
import type { RecordedEvent } from '../../src/controller/decide.js';
import type { Reader } from '../../src/controller/observe.js';
import type { ReconcileMemory } from '../../src/controller/memory.js';
import { ALGORITHM_ANNOTATION, AUTHSERVER_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type AuthServer } from '../../src/api/types.js';
import type { IssuerDocument } from '../../src/jwks/types.js';
import { generateKeyMaterial } from '../../src/keys/generate.js';
import type { GeneratedKeyMaterial } from '../../src/keys/types.js';
import type { SecretSnapshot } from '../../src/kube/secrets.js';
import type { SecretPatchOperation } from '../../src/rotation/secret-layout.js';

export const NAMESPACE = 'team-a';

export class FakeCluster {
  authServer: AuthServer | undefined;
  readonly secrets = new Map<string, SecretSnapshot>();
  /** Every effect, in order, as `kind:detail`. */
  readonly calls: string[] = [];
  readonly events: RecordedEvent[] = [];
  served: IssuerDocument | undefined;
  /** Makes creating a Secret fail (RBAC, quota) while it returns an error. */
  failCreate: ((name: string) => Error | undefined) | undefined;
  /** Key material for generated keys; a fast real generator by default. */
  generate: (algorithm: Parameters<typeof generateKeyMaterial>[0]) => Promise<GeneratedKeyMaterial> = (alg) => generateKeyMaterial(alg, 2048);
  private version = 100;

  constructor(private memory: ReconcileMemory, authServer: AuthServer) {
    this.authServer = authServer;
  }

  /** The operator process restarts: what it remembered and served is gone, the objects stay. */
  restart(memory: ReconcileMemory): void {
    this.memory = memory;
    this.served = undefined;
  }

  /** A user sets (a string) or removes (undefined) annotations of the AuthServer: metadata only, so no new generation. */
  annotate(annotations: Record<string, string | undefined>): void {
    const as = this.current();
    const merged = { ...as.metadata.annotations };
    for (const [k, v] of Object.entries(annotations)) if (v === undefined) delete merged[k]; else merged[k] = v;
    as.metadata = { ...as.metadata, annotations: merged, resourceVersion: this.nextVersion() };
  }

  /** A user edits the spec: a new generation, as the API server makes it. */
  editSpec(edit: (spec: AuthServer['spec']) => void): void {
    const as = this.current();
    edit(as.spec);
    as.metadata = { ...as.metadata, generation: (as.metadata.generation ?? 0) + 1, resourceVersion: this.nextVersion() };
  }

  private current(): AuthServer {
    if (!this.authServer) throw new Error('the AuthServer is gone');
    return this.authServer;
  }

  private nextVersion(): string {
    return String(++this.version);
  }

  /** A Secret a user wrote (not labelled as Signet's). */
  putSecret(name: string, data: Record<string, string>, meta: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}): void {
    this.secrets.set(name, {
      namespace: NAMESPACE, name, uid: `uid-${name}`, resourceVersion: this.nextVersion(),
      labels: meta.labels ?? {}, annotations: meta.annotations ?? {}, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v)])),
    });
  }

  reader(): Reader {
    return {
      authServer: () => (this.authServer ? structuredClone(this.authServer) : undefined),
      secretVersion: (_ns, name) => this.secrets.get(name)?.resourceVersion,
      readSecret: (_ns, name) => {
        this.calls.push(`read:${name}`);
        const s = this.secrets.get(name);
        return Promise.resolve(s && { ...s, data: { ...s.data }, labels: { ...s.labels }, annotations: { ...s.annotations } });
      },
      olderClaimant: () => undefined,
      servedJwks: (_ns, _name, kids) => Promise.resolve(this.served?.keys.filter((k) => kids.includes(k.kid)) ?? []),
    };
  }

  executor(): (key: string, as: AuthServer | undefined) => Executor {
    return (_key, as) => ({
      serve: (document) => {
        this.served = document;
      },
      keep: (views) => this.memory.holdPrivate(_key, views.privateOf),
      forget: () => {
        this.calls.push('forget');
        this.served = undefined;
        this.memory.forget(_key);
      },
      canWrite: () => true,
      createSecret: async (secret) => {
        this.calls.push(`create:${secret.name}`);
        const failure = this.failCreate?.(secret.name);
        if (failure) throw failure;
        if (this.secrets.has(secret.name)) return false;
        const material = await this.generate(secret.algorithm);
        this.putSecret(secret.name, { ...material }, {
          labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [AUTHSERVER_LABEL]: secret.authServerName },
          annotations: { ...secret.annotations, [ALGORITHM_ANNOTATION]: secret.algorithm, [AUTHSERVER_LABEL]: secret.authServerName },
        });
        return true;
      },
      generateKey: (algorithm) => {
        this.calls.push('generateKey');
        return this.generate(algorithm);
      },
      writeSecret: (change, patch) => {
        this.calls.push(`secret:${change.kind}`);
        const s = this.secrets.get(change.secretName);
        if (!s || s.resourceVersion !== change.resourceVersion) return Promise.resolve(false);
        if (Array.isArray(patch)) applyOperations(s, patch as readonly SecretPatchOperation[]);
        else {
          const merge = patch as { data: Record<string, string | null>; annotations: Record<string, string | null> };
          for (const [k, v] of Object.entries(merge.data)) if (v === null) delete s.data[k]; else s.data[k] = Buffer.from(v, 'base64');
          for (const [k, v] of Object.entries(merge.annotations)) if (v === null) delete s.annotations[k]; else s.annotations[k] = v;
        }
        s.resourceVersion = this.nextVersion();
        this.memory.forgetSecret(NAMESPACE, change.secretName);
        return Promise.resolve(true);
      },
      writeStatus: (status) => {
        this.calls.push('status');
        const current = this.authServer;
        if (!current || !as || current.metadata.resourceVersion !== as.metadata.resourceVersion) return Promise.resolve(false);
        this.authServer = { ...current, metadata: { ...current.metadata, resourceVersion: this.nextVersion() }, status: JSON.parse(JSON.stringify(status)) as AuthServer['status'] };
        return Promise.resolve(true);
      },
      record: (e) => {
        this.calls.push(`event:${e.reason}`);
        this.events.push(e);
        return Promise.resolve();
      },
    });
  }
}

function applyOperations(s: SecretSnapshot, ops: readonly SecretPatchOperation[]): void {
  const where = (path: string): [Record<string, unknown>, string] => {
    const parts = path.slice(1).split('/').map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
    const member = parts.pop() ?? '';
    const holder = parts.join('/') === 'data' ? s.data : s.annotations;
    return [holder, member];
  };
  for (const op of ops) {
    const [to, member] = where(op.path);
    if (op.op === 'remove') delete to[member];
    else if (op.op === 'add') to[member] = op.value;
    else {
      const [from, fromMember] = where(op.from);
      to[member] = from[fromMember];
      delete from[fromMember];
    }
  }
}
