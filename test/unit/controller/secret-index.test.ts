// Secret → AuthServer index: a Secret event must wake exactly the AuthServers that reference it.
import type { AuthServer } from '../../../src/api/types.js';
import { SecretIndex, referencedSecretNames } from '../../../src/controller/secret-index.js';

function spec(signing: string, extras?: string[]): Pick<AuthServer, 'spec'> {
  return {
    spec: {
      issuerURI: 'https://login.example.com/team-a',
      tokenSignature: { signAndVerifyKeyRef: { name: signing }, ...(extras ? { extraVerifyKeyRefs: extras.map((name) => ({ name })) } : {}) },
    },
  };
}

describe('referencedSecretNames', () => {
  it('lists the signing ref first, then the verify refs in spec order', () => {
    expect(referencedSecretNames(spec('key-2026-11', ['key-2026-10', 'key-2026-09']))).toEqual(['key-2026-11', 'key-2026-10', 'key-2026-09']);
  });

  it('is the signing ref alone without extraVerifyKeyRefs', () => {
    expect(referencedSecretNames(spec('key-2026-11'))).toEqual(['key-2026-11']);
  });

  it('tolerates an object without tokenSignature (e.g. one the API server has not validated)', () => {
    expect(referencedSecretNames({ spec: {} } as unknown as Pick<AuthServer, 'spec'>)).toEqual([]);
    expect(referencedSecretNames({} as unknown as Pick<AuthServer, 'spec'>)).toEqual([]);
  });
});

describe('SecretIndex', () => {
  it('maps each referenced Secret to the AuthServer', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['key-new', 'key-old']);
    expect(idx.authServersFor('team-a', 'key-new')).toEqual(['team-a/login']);
    expect(idx.authServersFor('team-a', 'key-old')).toEqual(['team-a/login']);
    expect(idx.isReferenced('team-a', 'key-new')).toBe(true);
    expect(idx.authServersFor('team-a', 'unrelated')).toEqual([]);
    expect(idx.isReferenced('team-a', 'unrelated')).toBe(false);
  });

  it('replaces the refs of an AuthServer on set: a dropped ref no longer wakes it', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['key-2026-10']);
    idx.set('team-a', 'login', ['key-2026-11', 'key-2026-10']);
    idx.set('team-a', 'login', ['key-2026-11']);
    expect(idx.authServersFor('team-a', 'key-2026-10')).toEqual([]);
    expect(idx.isReferenced('team-a', 'key-2026-10')).toBe(false);
    expect(idx.authServersFor('team-a', 'key-2026-11')).toEqual(['team-a/login']);
  });

  it('forgets an AuthServer on remove', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['key-a', 'key-b']);
    idx.remove('team-a', 'login');
    expect(idx.isReferenced('team-a', 'key-a')).toBe(false);
    expect(idx.isReferenced('team-a', 'key-b')).toBe(false);
    // Removing an unknown AuthServer is harmless: the others keep their references.
    idx.set('team-a', 'other', ['key-c']);
    idx.remove('team-a', 'never-seen');
    expect(idx.isReferenced('team-a', 'key-c')).toBe(true);
  });

  it('keeps a shared Secret referenced while any AuthServer still refers to it', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['shared-key']);
    idx.set('team-a', 'admin', ['admin-key', 'shared-key']);
    expect(idx.authServersFor('team-a', 'shared-key').sort()).toEqual(['team-a/admin', 'team-a/login']);

    idx.remove('team-a', 'login');
    expect(idx.authServersFor('team-a', 'shared-key')).toEqual(['team-a/admin']);
    expect(idx.isReferenced('team-a', 'shared-key')).toBe(true);

    idx.set('team-a', 'admin', ['admin-key']);
    expect(idx.isReferenced('team-a', 'shared-key')).toBe(false);
    expect(idx.authServersFor('team-a', 'admin-key')).toEqual(['team-a/admin']);
  });

  it('keeps namespaces apart: a Secret of the same name elsewhere wakes nobody here', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['login-key']);
    idx.set('team-b', 'login', ['login-key']);
    expect(idx.authServersFor('team-a', 'login-key')).toEqual(['team-a/login']);
    expect(idx.authServersFor('team-b', 'login-key')).toEqual(['team-b/login']);
    expect(idx.isReferenced('team-c', 'login-key')).toBe(false);

    idx.remove('team-a', 'login');
    expect(idx.authServersFor('team-a', 'login-key')).toEqual([]);
    expect(idx.authServersFor('team-b', 'login-key')).toEqual(['team-b/login']);
  });

  it('lists an AuthServer once even when it names the same Secret twice, and forgets it cleanly', () => {
    const idx = new SecretIndex();
    idx.set('team-a', 'login', ['key', 'key']);
    expect(idx.authServersFor('team-a', 'key')).toEqual(['team-a/login']);
    idx.remove('team-a', 'login');
    expect(idx.isReferenced('team-a', 'key')).toBe(false);
  });
});
