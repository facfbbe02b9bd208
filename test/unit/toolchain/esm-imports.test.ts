// The ESM-only dependencies load under jest (docs/architecture.md#toolchain-facts) and do real work there.
import { KubeConfig, PatchStrategy } from '@kubernetes/client-node';
import { SignJWT, jwtVerify, generateKeyPair, calculateJwkThumbprint, exportJWK } from 'jose';

describe('ESM-only dependencies under jest', () => {
  it('client-node builds a client configuration from a kubeconfig', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443', skipTLSVerify: false }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(kc.getCurrentCluster()?.server).toBe('https://127.0.0.1:6443');
    expect(PatchStrategy.MergePatch).toBe('application/merge-patch+json');
  });

  it('jose signs and verifies a token', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const jwt = await new SignJWT({ sub: 'a' }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const { payload } = await jwtVerify(jwt, publicKey);
    expect(payload.sub).toBe('a');
    expect(await calculateJwkThumbprint(await exportJWK(publicKey))).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
