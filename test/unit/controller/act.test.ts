// The order in which a plan takes effect (docs/architecture.md#rotation), with a fake executor: what is written
// first, and what is not written at all when an earlier write fails or this replica is not leader.
import { act, type Executor } from '../../../src/controller/act.js';
import type { Decision, SecretChange } from '../../../src/controller/decide.js';
import type { IssuerDocument } from '../../../src/jwks/types.js';
import type { NewSecret, Plan, SecretWrite } from '../../../src/controller/plan.js';
import type { AuthServer } from '../../../src/api/types.js';

const document: IssuerDocument = { namespace: 'ns', name: 'a', issuerURI: 'https://a.example.com', servedOnIssuer: true, issuerRoute: { hosts: ['a.example.com:443', 'a.example.com'], path: '' }, keys: [], cacheMaxAgeSeconds: 60, discoveryEnabled: true };
const authServer = { apiVersion: 'signet.dev/v1alpha1', kind: 'AuthServer', metadata: { namespace: 'ns', name: 'a' }, spec: { issuerURI: 'https://a.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'k' } } } } as AuthServer;
const views = { signing: undefined, privateOf: undefined, metrics: { namespace: 'ns', authserver: 'a', ready: true, keys: [] } };

function plan(over: Partial<Decision> = {}, write: Partial<SecretWrite> = {}): Plan {
  const decision: Decision = { status: { observedGeneration: 1 }, statusChanged: true, document, events: [{ type: 'Normal', reason: 'NextKeyPublished', message: 'm' }], ...over };
  return { kind: 'Apply', key: 'ns/a', authServer, decision, views, ...(decision.change ? { write: { change: decision.change, at: 0, requests: {}, rsaKeySize: 2048, ...write } } : {}) };
}
const next: SecretChange = { kind: 'GenerateNext', secretName: 'k', resourceVersion: '7', trigger: 'Scheduled', algorithm: 'RS256' };
const promote: SecretChange = { kind: 'Promote', secretName: 'k', resourceVersion: '7', trigger: 'Scheduled' };
const operations = [{ op: 'move' as const, from: '/data/next.key.pem', path: '/data/key.pem' }];
const newSecret = (name: string): NewSecret => ({ name, authServerName: 'a', algorithm: 'ES256', rsaKeySize: 2048, annotations: {}, announce: { type: 'Normal', reason: 'KeyGenerated', message: `generated ${name}` } });

function fake(opts: { leader?: boolean; status?: boolean; secret?: boolean; create?: (name: string) => boolean } = {}): Executor & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    serve: () => { calls.push('serve'); },
    keep: () => { calls.push('keep'); },
    forget: () => { calls.push('forget'); },
    canWrite: () => opts.leader ?? true,
    createSecret: (s) => {
      calls.push(`create:${s.name}`);
      return Promise.resolve().then(() => opts.create?.(s.name) ?? true);
    },
    generateKey: () => { calls.push('generateKey'); return Promise.resolve({ 'key.pem': 'k', 'pub.pem': 'p' }); },
    writeSecret: (c) => { calls.push(`secret:${c.kind}`); return Promise.resolve(opts.secret ?? true); },
    writeStatus: () => { calls.push('status'); return Promise.resolve(opts.status ?? true); },
    record: (e) => { calls.push(`event:${e.reason}`); return Promise.resolve(); },
  };
}

it('without a Secret change: serve, status, events, then wait for the next due time', async () => {
  const x = fake();
  expect(await act(plan({ requeueAfterMs: 1234 }), x)).toEqual({ result: 'success', requeueAfterMs: 1234 });
  expect(x.calls).toEqual(['serve', 'keep', 'status', 'event:NextKeyPublished']);
});

it('an unchanged status is not written', async () => {
  const x = fake();
  await act(plan({ statusChanged: false, events: [] }), x);
  expect(x.calls).toEqual(['serve', 'keep']);
});

it('generating the next key writes the Secret first and leaves the status to the reconcile that reads it back', async () => {
  const x = fake();
  expect(await act(plan({ change: next }), x)).toEqual({ result: 'success', requeueAfterMs: 0 });
  expect(x.calls).toEqual(['serve', 'keep', 'generateKey', 'secret:GenerateNext']);
});

it('generating missing Secrets creates them first, each announced once created, and no status', async () => {
  const x = fake({ create: (name) => name === 'a' });
  const change: SecretChange = { kind: 'GenerateMissing', secretNames: ['a', 'b'] };
  expect(await act(plan({ change }, { create: [newSecret('a'), newSecret('b')] }), x)).toEqual({ result: 'success', requeueAfterMs: 0 });
  // b existed already (another reconcile or a user won the race): not announced.
  expect(x.calls).toEqual(['serve', 'keep', 'create:a', 'create:b', 'event:KeyGenerated']);
});

it('a Secret that cannot be generated is a failure for the next reconcile, not an exception; the others are still created', async () => {
  const x = fake({ create: (name) => { if (name === 'a') throw new Error('secrets is forbidden.'); return true; } });
  const change: SecretChange = { kind: 'GenerateMissing', secretNames: ['a', 'b'] };
  const outcome = await act(plan({ change }, { create: [newSecret('a'), newSecret('b')] }), x);
  expect(outcome).toEqual({ result: 'success', requeueAfterMs: 0, generationFailures: new Map([['a', 'secrets is forbidden.']]) });
  expect(x.calls).toEqual(['serve', 'keep', 'create:a', 'create:b', 'event:KeyGenerated']);
});

it('promoting records the retired key in status before the Secret drops it', async () => {
  const x = fake();
  expect(await act(plan({ change: promote }, { operations }), x)).toEqual({ result: 'success', requeueAfterMs: 0 });
  expect(x.calls).toEqual(['serve', 'keep', 'status', 'event:NextKeyPublished', 'secret:Promote']);
});

it('a promotion whose status write lost a conflict does not touch the Secret', async () => {
  const x = fake({ status: false });
  expect(await act(plan({ change: promote }, { operations }), x)).toEqual({ result: 'conflict' });
  expect(x.calls).toEqual(['serve', 'keep', 'status']);
});

it('an emergency writes the Secret, then announces it', async () => {
  const x = fake();
  const emergency: SecretChange = { kind: 'Emergency', secretName: 'k', resourceVersion: '7', algorithm: 'ES256', replacedKid: 'old' };
  await act(plan({ change: emergency }, { announce: { type: 'Warning', reason: 'EmergencyRotation', message: 'm' } }), x);
  expect(x.calls).toEqual(['serve', 'keep', 'generateKey', 'secret:Emergency', 'event:EmergencyRotation']);
});

it('a Secret that changed meanwhile is a conflict: the next reconcile reads it again', async () => {
  const x = fake({ secret: false });
  expect(await act(plan({ change: next }), x)).toEqual({ result: 'conflict', requeueAfterMs: 0 });
});

it('a replica that is not the leader only serves, and says it held the writes back (a takeover runs it again)', async () => {
  for (const change of [undefined, next, promote]) {
    const x = fake({ leader: false });
    expect(await act(plan({ ...(change ? { change } : {}), requeueAfterMs: 50 }), x)).toEqual({ result: 'success', requeueAfterMs: 50, heldBack: true });
    expect(x.calls).toEqual(['serve', 'keep']);
  }
  expect(await act(plan({ statusChanged: false }), fake({ leader: false }))).toEqual({ result: 'success', heldBack: true });
});

it('a replica that is not the leader and has nothing to write holds nothing back', async () => {
  expect(await act(plan({ statusChanged: false, events: [], requeueAfterMs: 50 }), fake({ leader: false }))).toEqual({ result: 'success', requeueAfterMs: 50 });
});

it('a deleted AuthServer is forgotten, nothing written', async () => {
  const x = fake();
  expect(await act({ kind: 'Forget', key: 'ns/a' }, x)).toEqual({ result: 'success' });
  expect(x.calls).toEqual(['forget']);
});
