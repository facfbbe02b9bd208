// Which AuthServers reference which Secrets, so that a Secret event re-reconciles exactly those.
import type { AuthServer } from '../api/types.js';
import { SetMultimap } from './set-multimap.js';

/** Secret names an AuthServer refers to, signing ref first. */
export function referencedSecretNames(as: Pick<AuthServer, 'spec'>): string[] {
  const ts = as.spec?.tokenSignature;
  if (!ts) return [];
  return [ts.signAndVerifyKeyRef?.name, ...(ts.extraVerifyKeyRefs ?? []).map((r) => r.name)].filter((n): n is string => !!n);
}

export class SecretIndex {
  /** "ns/secret" → keys "ns/authserver" */
  private readonly bySecret = new SetMultimap();
  /** "ns/authserver" → keys "ns/secret" */
  private readonly byAuthServer = new Map<string, string[]>();

  /** Records (or replaces) the refs of one AuthServer. */
  set(namespace: string, name: string, secretNames: readonly string[]): void {
    const owner = `${namespace}/${name}`;
    this.remove(namespace, name);
    const secrets = secretNames.map((s) => `${namespace}/${s}`);
    this.byAuthServer.set(owner, secrets);
    for (const s of secrets) this.bySecret.add(s, owner);
  }

  remove(namespace: string, name: string): void {
    const owner = `${namespace}/${name}`;
    for (const s of this.byAuthServer.get(owner) ?? []) this.bySecret.delete(s, owner);
    this.byAuthServer.delete(owner);
  }

  /** AuthServer keys ("ns/name") that reference the Secret. */
  authServersFor(namespace: string, secretName: string): string[] {
    return [...this.bySecret.get(`${namespace}/${secretName}`)];
  }

  /** The Secrets ("ns/secret") an AuthServer ("ns/name") references. */
  secretsOf(key: string): readonly string[] {
    return this.byAuthServer.get(key) ?? [];
  }

  isReferenced(namespace: string, secretName: string): boolean {
    return this.bySecret.has(`${namespace}/${secretName}`);
  }
}
