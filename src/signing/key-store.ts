// What the signing service signs with, per AuthServer: filled by the reconciler on every replica
// (not only the leader), read by the signing server per request. Only AuthServers with
// signing.enabled have an entry, and only an entry holds a private key: turning signing off deletes
// the entry and with it the last reference to the KeyObject.
import type { KeyObject } from 'node:crypto';
import type { EffectiveSigning } from '../api/defaults.js';
import type { Algorithm } from '../api/types.js';

export interface SigningKey {
  kid: string;
  alg: Algorithm;
  /** A private KeyObject, or a secret one for HS*. */
  key: KeyObject;
}

export interface SigningEntry {
  issuerURI: string;
  settings: EffectiveSigning;
  /** The key that status calls Active; absent while there is no usable signing key (503). */
  active?: SigningKey;
  /** The pre-published next key (scheduled rotation), exported after the active one. */
  next?: SigningKey;
  /**
   * The keys' Secret allows export: generated while spec.signing.allowKeysetExport was on, or marked
   * signet.dev/exportable by its writer. Export needs this and allowKeysetExport.
   */
  exportable?: boolean;
}

export class SigningKeyStore {
  private readonly entries = new Map<string, SigningEntry>();

  set(namespace: string, name: string, entry: SigningEntry): void {
    this.entries.set(`${namespace}/${name}`, entry);
  }

  delete(namespace: string, name: string): void {
    this.entries.delete(`${namespace}/${name}`);
  }

  get(namespace: string, name: string): SigningEntry | undefined {
    return this.entries.get(`${namespace}/${name}`);
  }

  get size(): number {
    return this.entries.size;
  }
}

/** A loaded key that can sign: its private half is in memory. */
interface PrivateKeyHolder {
  kid: string;
  algorithm: Algorithm;
  privateKey?: KeyObject | undefined;
}

function signingKey(k: PrivateKeyHolder | undefined): SigningKey | undefined {
  return k?.privateKey ? { kid: k.kid, alg: k.algorithm, key: k.privateKey } : undefined;
}

/**
 * The entry for an AuthServer, or undefined when signing is off. An issuer this AuthServer does not
 * serve (invalid, or another AuthServer's) gets no active key: signing would mint tokens for an
 * issuer it does not own.
 */
export function signingEntryFor(
  spec: { issuerURI: string; signing: EffectiveSigning },
  keys: { active?: PrivateKeyHolder | undefined; next?: PrivateKeyHolder | undefined; servedOnIssuer: boolean; exportable: boolean },
): SigningEntry | undefined {
  if (!spec.signing.enabled) return undefined;
  const active = keys.servedOnIssuer ? signingKey(keys.active) : undefined;
  const next = active ? signingKey(keys.next) : undefined;
  return { issuerURI: spec.issuerURI, settings: spec.signing, exportable: keys.exportable, ...(active && { active }), ...(next && { next }) };
}
