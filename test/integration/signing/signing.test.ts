// The signing service (docs/architecture.md#the-signing-service) against a real API server, with real ServiceAccount tokens from
// the TokenRequest API, real RBAC (TokenReview, SubjectAccessReview), and verification by jose's
// createRemoteJWKSet against the JWKS Signet serves.
import { createRemoteJWKSet, decodeProtectedHeader, flattenedVerify, jwtVerify, type FlattenedJWS } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import { freePort } from '../../controlplane/controlplane.js';
import { createAuthServer, editAuthServer, events, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';
import { eventually } from '../../support/eventually.js';
import { clients, useNamespace } from '../../support/kube.js';
import { metricValue, scrape } from '../../support/metrics.js';
import { useOperator } from '../../support/operator.js';
import { rsaPkcs1Pem } from '../../support/keys.js';
import { PatchStrategy, RbacAuthorizationV1Api, setHeaderOptions } from '@kubernetes/client-node';
import { GROUP, PLURAL, VERSION, type AuthServerSpec } from '../../../src/api/types.js';
import { call, grant, serviceAccountToken, serviceAccountTokenExpiringIn } from './helpers.js';

const c = { ...clients(), rbac: clients().kc.makeApiClient(RbacAuthorizationV1Api) };
const ns = useNamespace('signing');
const signingPort = await freePort();
const op = useOperator(ns, ['--signing-bind-address', `127.0.0.1:${signingPort}`, '--signing-insecure']);

const issuer = (name: string): string => `https://issuer.test/${ns.name}/${name}`;
const jwksUrl = (name: string): URL => new URL(`http://127.0.0.1:${op.jwksPort}/authservers/${ns.name}/${name}/oauth2/jwks`);
const path = (name: string, action: string): string => `/authservers/${ns.name}/${name}/${action}`;

function spec(name: string, key: string, extra: Partial<AuthServerSpec> = {}, algorithm?: string): AuthServerSpec {
  return {
    issuerURI: issuer(name),
    tokenSignature: { signAndVerifyKeyRef: { name: key }, ...(algorithm ? { keyGeneration: { algorithm: algorithm as never } } : {}) },
    signing: { enabled: true },
    ...extra,
  };
}

const GENERATED = [['rs256', 'RS256'], ['ps256', 'PS256'], ['es256', 'ES256'], ['eddsa', 'EdDSA'], ['hs256', 'HS256']] as const;
const ALL = ['rs256', 'ps256', 'es256', 'eddsa', 'hs256', 'rs512', 'disabled'];
let signer = '';
let exporter = '';
let nobody = '';
let other = '';
let rs512Pem = '';

beforeAll(async () => {
  // AAM's RS512 key: a PKCS#1 PEM as `ssh-keygen -t rsa -m PEM` writes it.
  rs512Pem = rsaPkcs1Pem(2048);
  const ecExtra = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'rs512-key', annotations: { 'signet.dev/algorithm': 'RS512', 'signet.dev/allow-signing-by': 'rs512' } }, stringData: { 'key.pem': rs512Pem } } });
  await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'hs-extra' }, stringData: { 'key.pem': ecExtra } } });
  for (const [name, alg] of GENERATED) {
    const extra: Partial<AuthServerSpec> = name === 'rs256'
      ? { signing: { enabled: true, maxTokenLifetime: '30m', defaultTokenLifetime: '5m', allowKeysetExport: true } }
      : name === 'hs256' ? { signing: { enabled: true, allowKeysetExport: true } } : {};
    const s = spec(name, `${name}-key`, extra, alg);
    if (name === 'hs256') s.tokenSignature.extraVerifyKeyRefs = [{ name: 'hs-extra' }];
    await createAuthServer(ns.name, name, s);
  }
  await createAuthServer(ns.name, 'rs512', spec('rs512', 'rs512-key'));
  await createAuthServer(ns.name, 'disabled', { ...spec('disabled', 'disabled-key'), signing: { enabled: false } });

  const tokens = await Promise.all(['signer', 'exporter', 'nobody', 'other'].map((sa) => serviceAccountToken(ns.name, sa)));
  [signer = '', exporter = '', nobody = '', other = ''] = tokens;
  await grant(ns.name, 'signer', ALL);
  await grant(ns.name, 'exporter', ['rs256'], ['rs256', 'hs256', 'es256']);
  await grant(ns.name, 'other', ['rs256']);
  for (const name of ALL) await waitForStatus(ns.name, name, isReady, 'Ready');
});

async function sign(name: string, claims: unknown, token = signer, query = ''): Promise<ReturnType<typeof call>> {
  return call(signingPort, `${path(name, 'sign')}${query}`, { token, body: claims });
}

describe('sign', () => {
  it.each([['rs256', 'RS256'], ['ps256', 'PS256'], ['es256', 'ES256'], ['eddsa', 'EdDSA'], ['rs512', 'RS512']])(
    '%s: the token verifies with jose createRemoteJWKSet against the served JWKS (%s)', async (name, alg) => {
      const as = await getAuthServer(ns.name, name);
      const res = await sign(name, { sub: 'alice', aud: 'orders-api', scope: 'orders:read' });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      const { token, kid, alg: answeredAlg, expiresAt } = res.body as { token: string; kid: string; alg: string; expiresAt: string };
      expect([kid, answeredAlg]).toEqual([as.status?.signingKeyID, alg]);
      const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(jwksUrl(name)), { issuer: issuer(name), audience: 'orders-api', algorithms: [alg] });
      expect(protectedHeader).toEqual({ alg, kid, typ: 'JWT' });
      expect(payload).toMatchObject({ sub: 'alice', scope: 'orders:read', iss: issuer(name) });
      expect(payload.jti).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Math.abs((payload.iat ?? 0) - Date.now() / 1000)).toBeLessThan(5);
      expect(new Date(expiresAt).getTime()).toBe((payload.exp ?? 0) * 1000);
      // rs256 has defaultTokenLifetime 5m; the others the default 10m.
      expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(name === 'rs256' ? 300 : 600);
    });

  it('hs256: the token verifies with the shared secret from the generated Secret', async () => {
    const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'hs256-key' });
    const shared = Buffer.from(secret.data?.secret ?? '', 'base64');
    expect(shared).toHaveLength(32);
    const res = await sign('hs256', { sub: 'wp-user-1' });
    expect(res.status).toBe(200);
    const { payload, protectedHeader } = await jwtVerify(res.body.token as string, shared, { issuer: issuer('hs256'), algorithms: ['HS256'] });
    expect(protectedHeader.kid).toBe((await getAuthServer(ns.name, 'hs256')).status?.signingKeyID);
    expect(payload.sub).toBe('wp-user-1');
  });

  it('?typ=at+jwt makes an RFC 9068 access token header', async () => {
    const res = await sign('es256', { sub: 'svc', client_id: 'gw' }, signer, '?typ=at+jwt');
    expect(res.status).toBe(200);
    expect(decodeProtectedHeader(res.body.token as string).typ).toBe('at+jwt');
  });
});

describe('sign-fields (KrakenD signer shape)', () => {
  const document = {
    access_token: { aud: 'https://api.example.com', sub: '1234567890qwertyuio', jti: 'mnb23vcsrt756yuiomnbvcx98ertyuiop', roles: ['role_a', 'role_b'] },
    refresh_token: { aud: 'https://api.example.com', sub: '1234567890qwertyuio', jti: 'mnb23vcsrt756yuiomn12876bvcx98ertyuiop' },
    exp: 1735689600,
  };

  it('full false: compact tokens in place, other members untouched; both verify', async () => {
    const res = await call(signingPort, path('es256', 'sign-fields'), { token: signer, body: { document, keysToSign: ['access_token', 'refresh_token'], full: false } });
    expect(res.status).toBe(200);
    expect(res.body.exp).toBe(1735689600);
    const jwks = createRemoteJWKSet(jwksUrl('es256'));
    for (const member of ['access_token', 'refresh_token'] as const) {
      expect(typeof res.body[member]).toBe('string');
      const { payload } = await jwtVerify(res.body[member] as string, jwks, { issuer: issuer('es256'), audience: 'https://api.example.com' });
      expect(payload.jti).toBe(document[member].jti);
    }
  });

  it('full true: flattened JSON serializations; both verify', async () => {
    const res = await call(signingPort, path('rs256', 'sign-fields'), { token: signer, body: { document, keysToSign: ['access_token', 'refresh_token'], full: true } });
    expect(res.status).toBe(200);
    const jwks = createRemoteJWKSet(jwksUrl('rs256'));
    for (const member of ['access_token', 'refresh_token'] as const) {
      const jws = res.body[member] as FlattenedJWS;
      expect(Object.keys(jws).sort()).toEqual(['payload', 'protected', 'signature']);
      const { payload } = await flattenedVerify(jws, jwks);
      expect(JSON.parse(new TextDecoder().decode(payload))).toMatchObject({ iss: issuer('rs256'), sub: document[member].sub });
    }
  });

  it('a member that breaks a rule is named', async () => {
    const res = await call(signingPort, path('es256', 'sign-fields'), { token: signer, body: { document: { ...document, refresh_token: 'x' }, keysToSign: ['access_token', 'refresh_token'] } });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_claims', rule: 'claims_not_object' });
    expect(res.body.message).toContain('document.refresh_token');
  });
});

describe('authentication and authorisation', () => {
  it('401 with WWW-Authenticate for no token, garbage and an expired ServiceAccount token', async () => {
    // The control: the same construction, still valid, signs; so the 401 below is the expiry's.
    const valid = await serviceAccountTokenExpiringIn(ns.name, 'signer', 600);
    expect((await call(signingPort, path('rs256', 'sign'), { token: valid, body: { sub: 'x' } })).status).toBe(200);
    const expired = await serviceAccountTokenExpiringIn(ns.name, 'signer', -60);
    for (const token of [undefined, 'garbage', expired]) {
      const res = await call(signingPort, path('rs256', 'sign'), { token, body: { sub: 'x' } });
      expect({ token: token?.slice(0, 8), status: res.status, error: res.body.error }).toEqual({ token: token?.slice(0, 8), status: 401, error: 'unauthorized' });
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="signet"/);
    }
  });

  it('403 for a ServiceAccount without RBAC, the same whether the AuthServer exists or not', async () => {
    const existing = await sign('rs256', { sub: 'x' }, nobody);
    const missing = await sign('no-such-authserver', { sub: 'x' }, nobody);
    expect([existing.status, missing.status]).toEqual([403, 403]);
    expect((existing.body.message as string).replace('rs256', 'N')).toBe((missing.body.message as string).replace('no-such-authserver', 'N'));
  });

  it('403 for a ServiceAccount bound to a different AuthServer name', async () => {
    expect((await sign('rs256', { sub: 'x' }, other)).status).toBe(200);
    expect((await sign('es256', { sub: 'x' }, other)).status).toBe(403);
  });

  it('404 when allowed but signing is not enabled, or there is no such AuthServer', async () => {
    const res = await sign('disabled', { sub: 'x' });
    expect(res.status).toBe(404);
    expect(res.body.error).toBe('not_found');
  });
});

describe('claim rules and bodies', () => {
  const now = (): number => Math.floor(Date.now() / 1000);
  it.each([
    ['iss of another issuer', () => ({ iss: 'https://evil.example.com' }), 'iss_mismatch'],
    ['exp past maxTokenLifetime (30m)', () => ({ exp: now() + 3600 }), 'exp_beyond_max_lifetime'],
    ['exp in the past', () => ({ exp: now() - 5 }), 'exp_in_past'],
    ['claims that are not an object', () => ['sub', 'alice'], 'claims_not_object'],
  ])('400 for %s, naming the rule', async (_what, claims, rule) => {
    const res = await sign('rs256', claims());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_claims', rule });
  });

  it('413 over 64 KiB, 415 for a body that is not JSON, 405 for GET on sign', async () => {
    const big = await sign('rs256', { sub: 'x', padding: 'a'.repeat(70 * 1024) });
    expect(big.status).toBe(413);
    const text = await call(signingPort, path('rs256', 'sign'), { token: signer, body: 'sub=alice', contentType: 'text/plain' });
    expect(text.status).toBe(415);
    const get = await call(signingPort, path('rs256', 'sign'), { token: signer });
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });
});

describe('keyset export', () => {
  it('404 when allowKeysetExport is off, 403 without keyset RBAC', async () => {
    expect((await call(signingPort, path('es256', 'keyset'), { token: exporter })).status).toBe(404);
    expect((await call(signingPort, path('rs256', 'keyset'), { token: signer })).status).toBe(403);
  });

  it('a "view everything" role (get on every resource) does not export: export is create on authservers/keyset', async () => {
    await c.rbac.createNamespacedRole({ namespace: ns.name, body: { metadata: { name: 'view-all' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['get', 'list', 'watch'] }] } });
    await c.rbac.createNamespacedRoleBinding({ namespace: ns.name, body: {
      metadata: { name: 'viewer-view-all' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'view-all' },
      subjects: [{ kind: 'ServiceAccount', name: 'viewer', namespace: ns.name }],
    } });
    const viewer = await serviceAccountToken(ns.name, 'viewer');
    const res = await call(signingPort, path('rs256', 'keyset'), { token: viewer });
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('may not create on authservers/keyset');
  });

  it('on: the private JWK set, no-store, logged with who asked, counted', async () => {
    const as = await getAuthServer(ns.name, 'rs256');
    const res = await call(signingPort, path('rs256', 'keyset'), { token: exporter });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const keys = res.body.keys as Array<Record<string, string>>;
    expect(keys[0]).toMatchObject({ kty: 'RSA', kid: as.status?.signingKeyID, alg: 'RS256', use: 'sig' });
    expect(Object.keys(keys[0] ?? {})).toEqual(expect.arrayContaining(['d', 'p', 'q', 'dp', 'dq', 'qi']));
    const line = await eventually(() => op.logs.find((l) => l.includes('private keyset exported') && l.includes(`system:serviceaccount:${ns.name}:exporter`)), { what: 'export log line' });
    expect((JSON.parse(line) as { level: string }).level).toBe('warn');
    // On the AuthServer by uid, as `kubectl describe authserver` selects its Events.
    const recorded = await eventually(async () => (await c.core.listNamespacedEvent({ namespace: ns.name, fieldSelector: `involvedObject.uid=${as.metadata.uid ?? ''}` }))
      .items.find((e) => e.reason === 'KeysetExported'), { what: 'KeysetExported Event' });
    expect(recorded.type).toBe('Warning');
    expect(recorded.message).toContain(`system:serviceaccount:${ns.name}:exporter`);
    const text = await scrape(op.metricsPort);
    expect(metricValue(text, 'signet_keyset_exports_total', { namespace: ns.name, authserver: 'rs256' })).toBeGreaterThanOrEqual(1);
  });
});

describe('symmetric keys', () => {
  it('an HS key is never in the JWKS, the discovery document, status, events or logs', async () => {
    const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'hs256-key' });
    const raw = Buffer.from(secret.data?.secret ?? '', 'base64');
    const forms = [raw.toString('base64'), raw.toString('base64url'), raw.toString('hex')];
    const jwks = await (await fetch(jwksUrl('hs256'))).text();
    expect((JSON.parse(jwks) as { keys: Array<{ kty: string; alg: string }> }).keys.map((k) => [k.kty, k.alg])).toEqual([['EC', 'ES256']]);
    const discovery = await new Promise<string>((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: op.jwksPort, path: `/${ns.name}/hs256/.well-known/openid-configuration`, headers: { Host: 'issuer.test' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(res.statusCode === 200 ? body : `status ${res.statusCode}`));
      }).on('error', reject);
    });
    expect(JSON.parse(discovery)).toMatchObject({ issuer: issuer('hs256'), id_token_signing_alg_values_supported: ['ES256'] });
    const as = await getAuthServer(ns.name, 'hs256');
    expect(as.status?.keys?.find((k) => k.role === 'SignAndVerify')).toMatchObject({ algorithm: 'HS256', keySize: 256 });
    const everything = [jwks, discovery, JSON.stringify(as), JSON.stringify(await events(ns.name, 'hs256')), op.logs.join('\n')].join('\n');
    for (const form of forms) expect(everything).not.toContain(form);
  });

  it('an AuthServer without signing.enabled refuses a shared secret (UnsupportedKeyType)', async () => {
    await createAuthServer(ns.name, 'hs-off', { ...spec('hs-off', 'hs256-key'), signing: { enabled: false } });
    const as = await waitForStatus(ns.name, 'hs-off', (a) => a.status?.conditions?.some((x) => x.type === 'SignAndVerifyKeyResolved' && x.status === 'False') ?? false, 'refused');
    expect(as.status?.conditions?.find((x) => x.type === 'SignAndVerifyKeyResolved')).toMatchObject({ reason: 'UnsupportedKeyType', message: expect.stringContaining('spec.signing.enabled') as string });
  });
});

describe('key changes', () => {
  it('after a manual ref edit the next sign uses the new key at once', async () => {
    const before = (await getAuthServer(ns.name, 'es256')).status?.signingKeyID;
    await editAuthServer(ns.name, 'es256', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, signAndVerifyKeyRef: { name: 'es256-key-2' }, extraVerifyKeyRefs: [{ name: 'es256-key' }] } }));
    const as = await waitForStatus(ns.name, 'es256', (a) => isReady(a) && a.status?.signingKeyID !== before, 'new signing key');
    const res = await sign('es256', { sub: 'x' });
    expect(res.status).toBe(200);
    expect(res.body.kid).toBe(as.status?.signingKeyID);
    await jwtVerify(res.body.token as string, createRemoteJWKSet(jwksUrl('es256')), { issuer: issuer('es256') });
  });

  it('a rotation (signet.dev/rotate): the next key is exported after the active one, and signs as soon as it is promoted', async () => {
    await createAuthServer(ns.name, 'rot', {
      ...spec('rot', 'rot-key', { signing: { enabled: true, allowKeysetExport: true }, jwks: { cacheMaxAgeSeconds: 1 } }, 'ES256'),
    });
    await c.rbac.createNamespacedRoleBinding({ namespace: ns.name, body: {
      metadata: { name: 'exporter-rot' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'export-rot' },
      subjects: [{ kind: 'ServiceAccount', name: 'exporter', namespace: ns.name }],
    } });
    await c.rbac.createNamespacedRole({ namespace: ns.name, body: {
      metadata: { name: 'export-rot' },
      rules: [{ apiGroups: ['signet.dev'], resources: ['authservers/keyset', 'authservers/sign'], verbs: ['get', 'create'], resourceNames: ['rot'] }],
    } });
    await editAuthServer(ns.name, 'rot', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, rotation: { publishAhead: '3s', retainFor: '2h' } } }));
    const first = (await waitForStatus(ns.name, 'rot', isReady, 'Ready')).status?.signingKeyID;
    await c.custom.patchNamespacedCustomObject(
      { group: GROUP, version: VERSION, plural: PLURAL, namespace: ns.name, name: 'rot', body: { metadata: { annotations: { 'signet.dev/rotate': 'r1' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const next = (await waitForStatus(ns.name, 'rot', (a) => a.status?.keys?.some((k) => k.state === 'Next') ?? false, 'next key published'))
      .status?.keys?.find((k) => k.state === 'Next')?.kid;
    const exported = await eventually(async () => {
      const res = await call(signingPort, path('rot', 'keyset'), { token: exporter });
      const kids = (res.body.keys as Array<{ kid: string }> | undefined)?.map((k) => k.kid);
      return kids?.length === 2 ? kids : undefined;
    }, { what: 'active and next key exported' });
    expect(exported).toEqual([first, next]);
    const promoted = await waitForStatus(ns.name, 'rot', (a) => a.status?.signingKeyID === next, 'next key promoted');
    const res = await sign('rot', { sub: 'x' }, exporter);
    expect(res.body.kid).toBe(promoted.status?.signingKeyID);
    await jwtVerify(res.body.token as string, createRemoteJWKSet(jwksUrl('rot')), { issuer: issuer('rot') });
  });

  it('a scheduled rotation (rotation.period): sign uses the promoted key from the moment status names it, and never the next key before', async () => {
    await createAuthServer(ns.name, 'sched', {
      ...spec('sched', 'sched-key', { jwks: { cacheMaxAgeSeconds: 1 } }, 'ES256'),
    });
    await editAuthServer(ns.name, 'sched', (s) => ({ ...s, tokenSignature: { ...s.tokenSignature, rotation: { period: '6s', publishAhead: '3s', retainFor: '2h' } } }));
    const first = (await waitForStatus(ns.name, 'sched', isReady, 'Ready')).status?.signingKeyID;
    await grant(ns.name, 'sched-signer', ['sched']);
    const token = await serviceAccountToken(ns.name, 'sched-signer');
    await eventually(async () => (await sign('sched', { sub: 'x' }, token)).status === 200, { what: 'the new grant takes effect' });
    const jwks = createRemoteJWKSet(jwksUrl('sched'), { cooldownDuration: 0 });
    const samples: Array<{ statusKid: string | undefined; signedKid: string }> = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const statusKid = (await getAuthServer(ns.name, 'sched')).status?.signingKeyID;
      const res = await sign('sched', { sub: 'x' }, token);
      expect(res.status).toBe(200);
      samples.push({ statusKid, signedKid: String(res.body.kid) });
      await jwtVerify(res.body.token as string, jwks, { issuer: issuer('sched') });
      if (statusKid !== undefined && statusKid !== first && samples.filter((x) => x.statusKid === statusKid).length >= 5) break;
    }
    const promoted = samples.at(-1)?.statusKid;
    expect(typeof promoted).toBe('string');
    expect(promoted).not.toBe(first);
    // Once status named the new key, every token was signed with it; before, only the old one signed.
    expect(samples.filter((x) => x.statusKid === promoted).map((x) => x.signedKid)).toEqual(samples.filter((x) => x.statusKid === promoted).map(() => promoted));
    expect(new Set(samples.map((x) => x.signedKid))).toEqual(new Set([first, promoted]));
    const switched = samples.findIndex((x) => x.signedKid === promoted);
    expect(samples.slice(switched).every((x) => x.signedKid === promoted)).toBe(true);
  });

  it('signing turned off: 404 at once', async () => {
    await editAuthServer(ns.name, 'eddsa', (s) => ({ ...s, signing: { enabled: false } }));
    await eventually(async () => (await sign('eddsa', { sub: 'x' })).status === 404, { what: 'eddsa signing off' });
  });

  it('steady traffic is answered from the review cache', async () => {
    for (let i = 0; i < 20; i++) expect((await sign('rs256', { sub: `u${i}` })).status).toBe(200);
    const text = await scrape(op.metricsPort);
    const hits = metricValue(text, 'signet_signing_cache_lookups_total', { cache: 'authentication', result: 'hit' }) ?? 0;
    expect(hits).toBeGreaterThanOrEqual(19);
    expect(metricValue(text, 'signet_tokens_signed_total', { namespace: ns.name, authserver: 'rs256', alg: 'RS256' })).toBeGreaterThanOrEqual(20);
    expect(metricValue(text, 'signet_signing_requests_total', { endpoint: 'sign', code: '200' })).toBeGreaterThanOrEqual(20);
  });
});
