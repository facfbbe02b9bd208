// The order in which a decision takes effect (DESIGN §8), with a fake executor: what is written
// first, and what is not written at all when an earlier write fails or this replica is not leader.
import { act, type Executor } from '../../../src/controller/act.js';
import type { Decision, SecretChange } from '../../../src/controller/decide.js';
import type { IssuerDocument } from '../../../src/jwks/types.js';

const document: IssuerDocument = {
  namespace: 'ns', name: 'a', issuerURI: 'https://a.example.com', servedOnIssuer: true, issuerRoute: { hosts: ['a.example.com:443', 'a.example.com'], path: '' },
  keys: [], cacheMaxAgeSeconds: 60, discoveryEnabled: true,
};
const decision = (over: Partial<Decision> = {}): Decision => ({
  status: { observedGeneration: 1 }, statusChanged: true, document, events: [{ type: 'Normal', reason: 'NextKeyPublished', message: 'm' }], ...over,
});
const next: SecretChange = { kind: 'GenerateNext', secretName: 'k', resourceVersion: '7', trigger: 'Scheduled', algorithm: 'RS256' };
const promote: SecretChange = { kind: 'Promote', secretName: 'k', resourceVersion: '7', trigger: 'Scheduled' };

function fake(opts: { leader?: boolean; status?: boolean; secret?: boolean } = {}): Executor & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    serve: () => { calls.push('serve'); },
    canWrite: () => opts.leader ?? true,
    changeSecret: (c) => { calls.push(`secret:${c.kind}`); return Promise.resolve(opts.secret ?? true); },
    writeStatus: () => { calls.push('status'); return Promise.resolve(opts.status ?? true); },
    record: (e) => { calls.push(`event:${e.reason}`); return Promise.resolve(); },
  };
}

it('without a Secret change: serve, status, events, then wait for the next due time', async () => {
  const x = fake();
  expect(await act(decision({ requeueAfterMs: 1234 }), x)).toEqual({ result: 'success', requeueAfterMs: 1234 });
  expect(x.calls).toEqual(['serve', 'status', 'event:NextKeyPublished']);
});

it('an unchanged status is not written', async () => {
  const x = fake();
  await act(decision({ statusChanged: false, events: [] }), x);
  expect(x.calls).toEqual(['serve']);
});

it('generating (a missing Secret, the next key) writes the Secret first and leaves the status to the reconcile that reads it back', async () => {
  for (const change of [next, { kind: 'GenerateMissing', secretNames: ['a', 'b'] } as SecretChange]) {
    const x = fake();
    expect(await act(decision({ change }), x)).toEqual({ result: 'success', requeueAfterMs: 0 });
    expect(x.calls).toEqual(['serve', `secret:${change.kind}`]);
  }
});

it('promoting records the retired key in status before the Secret drops it', async () => {
  const x = fake();
  expect(await act(decision({ change: promote }), x)).toEqual({ result: 'success', requeueAfterMs: 0 });
  expect(x.calls).toEqual(['serve', 'status', 'event:NextKeyPublished', 'secret:Promote']);
});

it('a promotion whose status write lost a conflict does not touch the Secret', async () => {
  const x = fake({ status: false });
  expect(await act(decision({ change: promote }), x)).toEqual({ result: 'conflict' });
  expect(x.calls).toEqual(['serve', 'status']);
});

it('a Secret that changed meanwhile is a conflict: the next reconcile reads it again', async () => {
  const x = fake({ secret: false });
  expect(await act(decision({ change: next }), x)).toEqual({ result: 'conflict', requeueAfterMs: 0 });
});

it('a replica that is not the leader only serves', async () => {
  for (const change of [undefined, next, promote]) {
    const x = fake({ leader: false });
    await act(decision({ ...(change ? { change } : {}), requeueAfterMs: 50 }), x);
    expect(x.calls).toEqual(['serve']);
  }
});
