// Every token the signing server makes without a caller jti gets its own random 128-bit jti, also
// across the refills of the server's buffer of random bytes (src/signing/server.ts jtiSource).
import { createSecretKey, randomBytes } from 'node:crypto';
import { close, listen } from '../../../src/http/listen.js';
import { SigningKeyStore } from '../../../src/signing/key-store.js';
import { createSigningServer } from '../../../src/signing/server.js';
import { silentLogger } from '../../support/logger.js';

it('gives every token a distinct 128-bit jti', async () => {
  const keys = new SigningKeyStore();
  keys.set('team-a', 'login', {
    issuerURI: 'https://login.example.com/team-a',
    settings: { enabled: true, defaultTokenLifetimeMs: 600_000, maxTokenLifetimeMs: 3_600_000, allowKeysetExport: false },
    active: { kid: 'k1', alg: 'HS256', key: createSecretKey(randomBytes(32)) },
  });
  const access = {
    authenticate: () => Promise.resolve({ authenticated: true as const, user: { username: 'system:serviceaccount:team-a:gateway', groups: [] } }),
    authorize: () => Promise.resolve(true),
  };
  const server = createSigningServer({ keys, access, log: silentLogger });
  try {
    const { port } = await listen(server, '127.0.0.1:0');
    const jtis: string[] = [];
    for (let i = 0; i < 600; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/authservers/team-a/login/sign`, {
        method: 'POST',
        headers: { Authorization: 'Bearer t', 'Content-Type': 'application/json' },
        body: JSON.stringify({ sub: 'alice' }),
      });
      expect(res.status).toBe(200);
      const { token } = (await res.json()) as { token: string };
      const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { jti: string };
      jtis.push(payload.jti);
    }
    for (const jti of jtis) expect(Buffer.from(jti, 'base64url')).toHaveLength(16);
    expect(new Set(jtis).size).toBe(jtis.length);
  } finally {
    await close(server, 1000);
  }
});
