// Private key material never leaves the Secrets (docs/architecture.md#key-material-in-secrets and §4, issue 9 point 8): with the
// operator at --log-level debug and a Secret of every key type Signet reads (PKCS#1, PKCS#8 and
// SEC1 PEM, RSA, P-256/384/521 and Ed25519, tls.key with its certificate chain, a private
// jwk.json, a generated key, a Secret written by `kubectl apply` whose last-applied annotation
// holds the whole Secret, and keys Signet refuses), no log line, Event, AuthServer status, metric or
// served document holds any private key in any encoding a dump would produce: PEM body lines,
// base64 of the Secret's data as the API returns it, the private JWK members (d, p, q, dp, dq, qi)
// in base64url, base64 and hex, and a Buffer's JSON byte list.
import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { clients, useNamespace } from '../../support/kube.js';
import { getJwks, useOperator } from '../../support/operator.js';
import { condition, createAuthServer, isReady, waitForEvent, waitForStatus } from '../../support/authservers.js';
import { scrape } from '../../support/metrics.js';
import { kubectl, run } from '../../support/helm.js';
import { makeCertChain, makeKeyMaterial } from '../../support/keys.js';
import type { AuthServer } from '../../../src/api/types.js';

const c = clients();
const ns = useNamespace('no-key-leak');
const op = useOperator(ns);

interface Needle {
  /** Which key and which encoding, for the failure message. */
  what: string;
  text: string;
}

const CHUNK = 64;

function chunks(s: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 24 <= s.length; i += CHUNK) out.push(s.slice(i, i + CHUNK));
  return out;
}

/** A run of bytes as JSON.stringify(buffer) or util.inspect would list them. */
function byteLists(b: Buffer): string[] {
  const mid = b.subarray(Math.floor(b.length / 2) - 8, Math.floor(b.length / 2) + 8);
  return [[...mid].join(','), [...mid].map((x) => x.toString(16).padStart(2, '0')).join(' ')];
}

/** Every form in which the private key `key` could appear in a dump. */
function keyNeedles(label: string, key: KeyObject): Needle[] {
  const needles: Needle[] = [];
  const add = (what: string, texts: string[]): void => { for (const text of texts) needles.push({ what: `${label}: ${what}`, text }); };
  const ders: Array<[string, Buffer]> = [['PKCS#8', key.export({ type: 'pkcs8', format: 'der' })]];
  if (key.asymmetricKeyType === 'rsa') ders.push(['PKCS#1', key.export({ type: 'pkcs1', format: 'der' })]);
  if (key.asymmetricKeyType === 'ec') ders.push(['SEC1', key.export({ type: 'sec1', format: 'der' })]);
  for (const [name, der] of ders) {
    add(`${name} PEM body line`, chunks(der.toString('base64')));
    add(`${name} DER bytes`, byteLists(der));
    add(`${name} DER hex`, [der.toString('hex').slice(der.length - 32, der.length + 32)]);
  }
  const jwk = key.export({ format: 'jwk' }) as Record<string, string>;
  for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) {
    const v = jwk[member];
    if (!v) continue;
    const bytes = Buffer.from(v, 'base64url');
    add(`JWK "${member}" base64url`, [v.slice(0, 43)]);
    add(`JWK "${member}" base64`, [bytes.toString('base64').slice(0, 43)]);
    add(`JWK "${member}" hex`, [bytes.toString('hex').slice(0, 64)]);
    if (bytes.length >= 16) add(`JWK "${member}" bytes`, byteLists(bytes));
  }
  return needles;
}

/** A Secret's private data value as `kubectl get -o json` shows it (base64), and as a Buffer's JSON. */
function valueNeedles(label: string, value: string): Needle[] {
  const b64 = Buffer.from(value).toString('base64');
  return [
    { what: `${label}: base64 of the data value`, text: b64.slice(0, CHUNK) },
    { what: `${label}: base64 of the data value (middle)`, text: b64.slice(Math.floor(b64.length / 2), Math.floor(b64.length / 2) + CHUNK) },
    ...byteLists(Buffer.from(value)).map((text) => ({ what: `${label}: data value bytes`, text })),
  ];
}

function found(haystack: string, needles: Needle[]): Needle[] {
  return needles.filter((n) => haystack.includes(n.text));
}

/**
 * What is public about the keys (public JWKs, SPKI, certificates), in the encodings JWKS and
 * status use: a needle that happens to occur there says nothing about a leak, so it is dropped.
 */
function withoutPublic(needles: Needle[], keys: KeyObject[], certificatesPem: string[]): Needle[] {
  const text = [
    ...keys.flatMap((k) => {
      const pub = createPublicKey(k);
      const spki = pub.export({ type: 'spki', format: 'der' });
      return [JSON.stringify(pub.export({ format: 'jwk' })), spki.toString('base64'), spki.toString('hex'), ...byteLists(spki)];
    }),
    ...certificatesPem.map((pem) => pem.replace(/-----[A-Z ]+-----|\s/g, '')),
  ].join('\n');
  return needles.filter((n) => !text.includes(n.text));
}

// ---- the Secrets ---------------------------------------------------------------------------

const rsaPkcs1 = makeKeyMaterial('rsa2048', 20);
const rsaPkcs8 = makeKeyMaterial('rsa2048', 21);
const rsaJwk = makeKeyMaterial('rsa2048', 22);
const p256 = makeKeyMaterial('p256', 20);
const p384 = makeKeyMaterial('p384', 20);
const p521 = makeKeyMaterial('p521', 20);
const ed = makeKeyMaterial('ed25519', 20);
const tlsKey = makeKeyMaterial('p256', 21);
const p256Jwk = makeKeyMaterial('p256', 22);
const refusedRsa = makeKeyMaterial('rsa2048', 23);
const refusedEc = makeKeyMaterial('p384', 21);
const refusedEd = makeKeyMaterial('ed25519', 21);
const replacement = makeKeyMaterial('p521', 21);

interface Case {
  authserver: string;
  secret: string;
  type?: string;
  data: Record<string, string>;
  /** The private keys in the Secret. */
  keys: KeyObject[];
  /** The data keys that hold private material. */
  privateValues: string[];
  /** Expected: served (Ready) or refused with this condition reason. */
  refused?: string;
  /** Applied with `kubectl apply` (last-applied-configuration holds the whole Secret). */
  applied?: boolean;
}

const cases: Case[] = [
  { authserver: 'rsa-pkcs1', secret: 'rsa-pkcs1', data: { 'key.pem': rsaPkcs1.pkcs1! }, keys: [rsaPkcs1.privateKey], privateValues: ['key.pem'] },
  { authserver: 'rsa-pkcs8', secret: 'rsa-pkcs8', data: { 'key.pem': rsaPkcs8.pkcs8, 'pub.pem': rsaPkcs8.spki }, keys: [rsaPkcs8.privateKey], privateValues: ['key.pem'], applied: true },
  { authserver: 'p256-sec1', secret: 'p256-sec1', data: { 'key.pem': p256.sec1! }, keys: [p256.privateKey], privateValues: ['key.pem'] },
  { authserver: 'p384-pkcs8', secret: 'p384-pkcs8', data: { 'key.pem': p384.pkcs8 }, keys: [p384.privateKey], privateValues: ['key.pem'], applied: true },
  { authserver: 'p521-sec1', secret: 'p521-sec1', data: { 'key.pem': p521.sec1! }, keys: [p521.privateKey], privateValues: ['key.pem'] },
  { authserver: 'ed25519', secret: 'ed25519', data: { 'key.pem': ed.pkcs8 }, keys: [ed.privateKey], privateValues: ['key.pem'] },
  {
    authserver: 'tls', secret: 'tls', type: 'kubernetes.io/tls', data: { 'tls.key': tlsKey.pkcs8, 'tls.crt': makeCertChain(tlsKey.privateKey).chainPem },
    keys: [tlsKey.privateKey], privateValues: ['tls.key'],
  },
  { authserver: 'jwk-rsa', secret: 'jwk-rsa', data: { 'jwk.json': rsaJwk.privateJwk }, keys: [rsaJwk.privateKey], privateValues: ['jwk.json'], applied: true },
  { authserver: 'jwk-p256', secret: 'jwk-p256', data: { 'jwk.json': p256Jwk.privateJwk }, keys: [p256Jwk.privateKey], privateValues: ['jwk.json'] },
  // Refused keys: their error messages must not quote them.
  { authserver: 'mismatch', secret: 'mismatch', data: { 'key.pem': refusedRsa.pkcs8, 'pub.pem': rsaPkcs1.spki }, keys: [refusedRsa.privateKey], privateValues: ['key.pem'], refused: 'KeyMismatch' },
  { authserver: 'jwk-in-pem', secret: 'jwk-in-pem', data: { 'key.pem': refusedEc.privateJwk }, keys: [refusedEc.privateKey], privateValues: ['key.pem'], refused: 'KeyParseError' },
  {
    authserver: 'truncated', secret: 'truncated', data: { 'key.pem': refusedEd.pkcs8.slice(0, Math.floor(refusedEd.pkcs8.length * 0.8)) },
    keys: [refusedEd.privateKey], privateValues: ['key.pem'], refused: 'KeyParseError',
  },
  {
    authserver: 'private-in-pub', secret: 'private-in-pub', data: { 'key.pem': refusedEd.pkcs8, 'pub.pem': refusedEd.pkcs8 },
    keys: [refusedEd.privateKey], privateValues: ['key.pem', 'pub.pem'], refused: 'KeyParseError',
  },
];

async function createSecret(k: Case): Promise<void> {
  const body = { apiVersion: 'v1', kind: 'Secret', metadata: { name: k.secret, namespace: ns.name }, type: k.type ?? 'Opaque', stringData: k.data };
  if (!k.applied) {
    await c.core.createNamespacedSecret({ namespace: ns.name, body });
    return;
  }
  const r = await run(kubectl(), ['--kubeconfig', process.env.KUBECONFIG ?? '', 'apply', '-f', '-'], { input: JSON.stringify(body) });
  if (r.code !== 0) throw new Error(`kubectl apply failed: ${r.stderr}`);
}

function issuer(name: string): string {
  return `https://${name}.example.com`;
}

/** Every needle of every case, and of the generated key (read from its Secret once Signet made it). */
async function allNeedles(): Promise<Needle[]> {
  const needles = cases.flatMap((k) => [
    ...k.keys.flatMap((key, i) => keyNeedles(`Secret ${k.secret} key ${i}`, key)),
    ...k.privateValues.flatMap((d) => valueNeedles(`Secret ${k.secret} ${d}`, k.data[d]!)),
  ]);
  const generated = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'generated' });
  const pem = Buffer.from(generated.data?.['key.pem'] ?? '', 'base64').toString();
  needles.push(...keyNeedles('generated Secret', createPrivateKey(pem)), ...valueNeedles('generated Secret key.pem', pem));
  needles.push(...keyNeedles('replacement key', replacement.privateKey), ...valueNeedles('replacement key.pem', replacement.pkcs8));
  const keys = [...cases.flatMap((k) => k.keys), createPrivateKey(pem), replacement.privateKey];
  const certificates = cases.flatMap((k) => (k.data['tls.crt'] ? [k.data['tls.crt']] : []));
  return withoutPublic(needles, keys, certificates);
}

it('finds key material where it is: in the Secrets themselves (the search can fail)', () => {
  for (const k of cases) {
    const needles = [...k.keys.flatMap((key) => keyNeedles(k.secret, key)), ...k.privateValues.flatMap((d) => valueNeedles(k.secret, k.data[d]!))];
    expect(needles.length).toBeGreaterThan(0);
    // As the API returns the Secret (data in base64): the value needles match it.
    const asApi = JSON.stringify({ data: Object.fromEntries(Object.entries(k.data).map(([d, v]) => [d, Buffer.from(v).toString('base64')])) });
    expect(found(asApi, needles).length).toBeGreaterThan(0);
    // The PEM or JWK text itself, as a log of the raw value would hold it.
    expect(found(JSON.stringify(k.data), needles).length).toBeGreaterThan(0);
  }
});

it('no log line at debug level, Event, status, metric or served document holds private key material', async () => {
  for (const k of cases) await createSecret(k);
  for (const k of cases) await createAuthServer(ns.name, k.authserver, { issuerURI: issuer(k.authserver), tokenSignature: { signAndVerifyKeyRef: { name: k.secret } } });
  // A private key as a verify-only ref, and a key Signet generates.
  await createAuthServer(ns.name, 'verify-only', { issuerURI: issuer('verify-only'), tokenSignature: { signAndVerifyKeyRef: { name: 'generated' }, extraVerifyKeyRefs: [{ name: 'ed25519' }, { name: 'private-in-pub' }] } });

  for (const k of cases.filter((x) => !x.refused)) await waitForStatus(ns.name, k.authserver, isReady, 'Ready');
  for (const k of cases.filter((x) => x.refused)) {
    await waitForStatus(ns.name, k.authserver, (as) => condition(as, 'SignAndVerifyKeyResolved')?.reason === k.refused, k.refused!);
  }
  await waitForStatus(ns.name, 'verify-only', (as) => condition(as, 'ExtraVerifyKeysResolved')?.status === 'False', 'the private key in pub.pem refused');

  // A key replaced in place: SigningKeyChanged, and the old and new keys both pass through the operator.
  const before = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'p521-sec1' });
  await c.core.replaceNamespacedSecret({ namespace: ns.name, name: 'p521-sec1', body: { ...before, data: undefined, stringData: { 'key.pem': replacement.pkcs8 } } });
  const replacedKid = await calculateJwkThumbprint(JSON.parse(replacement.publicJwk) as JWK);
  await waitForStatus(ns.name, 'p521-sec1', (as) => as.status?.signingKeyID === replacedKid, 'the replaced key signing');
  await waitForEvent(ns.name, 'p521-sec1', 'SigningKeyChanged');

  const needles = await allNeedles();
  const sources: Array<[string, string]> = [];
  for (const line of op.logs) sources.push(['log line', line]);
  const evs = await c.core.listNamespacedEvent({ namespace: ns.name });
  expect(evs.items.length).toBeGreaterThan(0);
  for (const e of evs.items) sources.push([`Event ${e.reason ?? ''}`, JSON.stringify(e)]);
  const list = (await c.custom.listNamespacedCustomObject({ group: 'signet.dev', version: 'v1alpha1', namespace: ns.name, plural: 'authservers' })) as { items: AuthServer[] };
  expect(list.items).toHaveLength(cases.length + 1);
  for (const as of list.items) sources.push([`AuthServer ${as.metadata.name ?? ''} status`, JSON.stringify(as.status)]);
  sources.push(['/metrics', await scrape(op.metricsPort)]);
  for (const as of list.items) {
    const name = as.metadata.name ?? '';
    const jwks = await getJwks(op.jwksPort, `/authservers/${ns.name}/${name}/oauth2/jwks`);
    sources.push([`JWKS of ${name}`, JSON.stringify(jwks.keys)]);
    const discovery = await fetch(`http://127.0.0.1:${op.jwksPort}/.well-known/openid-configuration`, { headers: { Host: `${name}.example.com` } });
    sources.push([`discovery of ${name}`, await discovery.text()]);
  }
  // Not vacuous: the operator did log at debug level about these AuthServers.
  expect(op.logs.some((l) => l.includes('generated key'))).toBe(true);

  const leaks = sources.flatMap(([where, text]) => found(text, needles).map((n) => `${where} holds ${n.what}`));
  expect([...new Set(leaks)]).toEqual([]);
});
