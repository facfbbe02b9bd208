// status.attestedSecrets (src/controller/attestation.ts): a replica that joins serves from the
// AuthServer's status what the leader read from its Secrets, without a GET per Secret, and only
// what Signet sealed for that AuthServer and that version of the Secret.
import { generateKeyPairSync } from 'node:crypto';
import type { AuthServer } from '../../../src/api/types.js';
import { attest, attested } from '../../../src/controller/attestation.js';
import { ReconcileMemory } from '../../../src/controller/memory.js';
import { Reconciler } from '../../../src/controller/reconciler.js';
import { hmacSealer } from '../../../src/rotation/seal.js';
import { FakeCluster, NAMESPACE } from '../../support/fake-cluster.js';
import { testSealer } from '../../support/seal.js';

const KEY = `${NAMESPACE}/login`;
const pem = (): string => generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

function authServer(spec: Partial<AuthServer['spec']> = {}): AuthServer {
  return {
    apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer',
    metadata: { name: 'login', namespace: NAMESPACE, generation: 1, resourceVersion: '1', uid: 'uid-login' },
    spec: { issuerURI: 'https://login.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' }, extraVerifyKeyRefs: [{ name: 'old-key' }] }, ...spec },
  };
}

/** A reconciler of a replica with its own memory, over the shared cluster. */
function replica(cluster: FakeCluster) {
  const memory = new ReconcileMemory();
  cluster.restart(memory);
  return new Reconciler({
    reader: cluster.reader(), memory, executor: cluster.executor(), issuerPolicy: { allowInsecure: false }, sealer: testSealer,
    metrics: { setIssuers: () => undefined },
  });
}

async function leaderWrote(as: AuthServer = authServer()) {
  const cluster = new FakeCluster(new ReconcileMemory(), as);
  cluster.putSecret('login-key', { 'key.pem': pem() });
  cluster.putSecret('old-key', { 'key.pem': pem() });
  await replica(cluster).reconcile(KEY);
  const served = cluster.served?.keys.map((k) => k.kid);
  cluster.calls.length = 0;
  return { cluster, served };
}

it('the leader attests each Secret it only publishes; a replica that joins serves the same keys without reading a Secret', async () => {
  const { cluster, served } = await leaderWrote();
  expect(cluster.authServer?.status?.attestedSecrets?.map((e) => e.secretName)).toEqual(['login-key', 'old-key']);
  expect(served).toHaveLength(2);
  await replica(cluster).reconcile(KEY);
  expect(cluster.calls).toEqual([]);
  expect(cluster.served?.keys.map((k) => k.kid)).toEqual(served);
});

it('a Secret changed since it was attested is read', async () => {
  const { cluster, served } = await leaderWrote();
  cluster.putSecret('old-key', { 'key.pem': pem() });
  await replica(cluster).reconcile(KEY);
  expect(cluster.calls.filter((c) => c.startsWith('read:'))).toEqual(['read:old-key']);
  expect(cluster.served?.keys.map((k) => k.kid)[0]).toBe(served?.[0]);
  expect(cluster.served?.keys.map((k) => k.kid)[1]).not.toBe(served?.[1]);
});

/** The leader's entry for old-key with a kid no parse would give (sealed as Signet seals): which parse is served shows whether the Secret was parsed again. */
function markedEntry(cluster: FakeCluster, seal: boolean): string {
  const entry = cluster.authServer!.status!.attestedSecrets![1]!;
  const facts = JSON.parse(entry.facts) as { result: { value: { kid: string; publicJwk: Record<string, unknown> } } };
  facts.result.value.kid = 'from-the-earlier-parse';
  facts.result.value.publicJwk = { ...facts.result.value.publicJwk, kid: 'from-the-earlier-parse' };
  entry.facts = JSON.stringify(facts);
  if (seal) entry.seal = testSealer.sealAttestation(KEY, entry);
  return entry.facts;
}

it('a Secret touched but not in its key (another tool\'s annotation, a label) is read, and its sealed parse kept, not parsed again', async () => {
  const { cluster } = await leaderWrote();
  const data = { 'key.pem': cluster.secrets.get('old-key')!.data['key.pem']!.toString() };
  markedEntry(cluster, true);
  cluster.putSecret('old-key', data, { labels: { team: 'a' }, annotations: { 'backup.example.com/at': 'now' } });
  await replica(cluster).reconcile(KEY);
  expect(cluster.calls.filter((c) => c.startsWith('read:'))).toEqual(['read:old-key']);
  expect(cluster.served?.keys.map((k) => k.kid)[1]).toBe('from-the-earlier-parse');
  // The status attests the new version, with the parse it kept.
  const entry = cluster.authServer?.status?.attestedSecrets?.[1];
  expect(entry?.resourceVersion).toBe(cluster.secrets.get('old-key')?.resourceVersion);
  expect(entry?.facts).toContain('from-the-earlier-parse');
});

it('a touched Secret is parsed again when the earlier parse is not sealed, or its key input changed', async () => {
  for (const change of ['unsealed', 'uid', 'algorithm'] as const) {
    const { cluster, served } = await leaderWrote();
    const data = { 'key.pem': cluster.secrets.get('old-key')!.data['key.pem']!.toString() };
    markedEntry(cluster, change !== 'unsealed');
    cluster.putSecret('old-key', data, change === 'algorithm' ? { annotations: { 'signet.dev/algorithm': 'ES256' } } : {});
    if (change === 'uid') cluster.secrets.get('old-key')!.uid = 'uid-recreated';
    await replica(cluster).reconcile(KEY);
    expect(cluster.served?.keys.map((k) => k.kid)[1]).toBe(served?.[1]);
  }
});

it('an attestation edited by a status writer is not served: the Secret is read, and the leader writes the status back', async () => {
  const { cluster, served } = await leaderWrote();
  const entry = cluster.authServer!.status!.attestedSecrets![1]!;
  const theirs = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const facts = JSON.parse(entry.facts) as { result: { value: { publicJwk: Record<string, unknown> } } };
  facts.result.value.publicJwk = { ...facts.result.value.publicJwk, x: theirs.x, y: theirs.y };
  const forged = JSON.stringify(facts);
  entry.facts = forged;
  cluster.authServer!.metadata.resourceVersion = '9999';
  await replica(cluster).reconcile(KEY);
  expect(cluster.calls.filter((c) => c.startsWith('read:'))).toEqual(['read:old-key']);
  expect(cluster.served?.keys.map((k) => k.kid)).toEqual(served);
  expect(JSON.stringify(cluster.served?.keys)).not.toContain(String(theirs.x));
  // That reconcile was the leader's (it may write): the status says again what the Secret holds.
  expect(cluster.calls).toContain('status');
  expect(cluster.authServer?.status?.attestedSecrets?.[1]?.facts).not.toBe(forged);
});

it('a signing AuthServer\'s own Secret is not attested: its private key is read by each replica', async () => {
  const as = authServer({ tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' }, extraVerifyKeyRefs: [{ name: 'old-key' }] }, signing: { enabled: true } });
  const cluster = new FakeCluster(new ReconcileMemory(), as);
  // Generated by Signet for this AuthServer, so it may sign with it.
  await replica(cluster).reconcile(KEY);
  cluster.putSecret('old-key', { 'key.pem': pem() });
  await replica(cluster).reconcile(KEY);
  expect(cluster.authServer?.status?.attestedSecrets?.map((e) => e.secretName)).toEqual(['old-key']);
  expect(cluster.authServer?.status?.attestedSecrets?.[0]?.facts).not.toContain('PRIVATE');
  cluster.calls.length = 0;
  await replica(cluster).reconcile(KEY);
  expect(cluster.calls.filter((c) => c.startsWith('read:'))).toEqual(['read:login-key']);
});

describe('an entry', () => {
  const ref = {
    secretName: 'old-key', variant: 'false/Thumbprint',
    secret: { version: '42', custody: { generated: false, signers: [], exportable: false }, dataKeys: ['key.pem'], annotationKeys: [], record: {} },
    result: { ok: false as const, problem: { reason: 'KeyParseError' as const, message: 'Secret "old-key": key.pem is not a PEM key' } },
  };

  it('is used for its AuthServer at its version only, with the seal of Signet\'s key', () => {
    const entry = attest('team-a/login', ref, testSealer)!;
    expect(attested('team-a/login', entry, '42', testSealer)?.parsed.results.get('false/Thumbprint')).toEqual(ref.result);
    expect(attested('team-a/other', entry, '42', testSealer)).toBeUndefined();
    expect(attested('team-a/login', entry, '43', testSealer)).toBeUndefined();
    expect(attested('team-a/login', { ...entry, secretName: 'login-key' }, '42', testSealer)).toBeUndefined();
    expect(attested('team-a/login', entry, '42', hmacSealer(Buffer.alloc(32, 8)))).toBeUndefined();
  });

  it('is not made for a private key', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const signing = { ...ref, result: { ok: true as const, value: { kid: 'k', algorithm: 'ES256' as const, keySize: 256, dataKey: 'key.pem', privateKey, publicJwk: { kty: 'EC' as const, kid: 'k', use: 'sig' as const, alg: 'ES256' as const } } } };
    expect(attest('team-a/login', signing, testSealer)).toBeUndefined();
    expect(attest('team-a/login', { ...ref, variant: 'true/Thumbprint/signing' }, testSealer)).toBeUndefined();
  });

  it('and a retired key\'s seal do not pass for each other', () => {
    const entry = attest('team-a/login', ref, testSealer)!;
    const retired = { kid: 'k', secretName: 'old-key', retiresAt: '2026-11-02T10:00:00Z', jwk: { kty: 'EC', kid: 'k', use: 'sig', alg: 'ES256' } };
    expect(testSealer.verify('team-a/login', { ...retired, seal: entry.seal })).toBe(false);
    expect(testSealer.verifyAttestation('team-a/login', { ...entry, seal: testSealer.seal('team-a/login', retired) })).toBe(false);
  });
});
