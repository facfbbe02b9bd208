// Condition bookkeeping as `kubectl describe` and `kubectl wait` see it: lastTransitionTime moves
// only on a flip of status, the order is fixed, and Ready summarises everything else.
import { findCondition, mergeConditions, readyCondition, type ConditionInput } from '../../../src/api/conditions.js';
import type { Condition } from '../../../src/api/types.js';

const T0 = '2026-11-02T10:00:00Z';
const T1 = '2026-11-02T11:00:00Z';

const resolvedSigning: ConditionInput = { type: 'SignAndVerifyKeyResolved', status: 'True', reason: 'Resolved', message: 'Secret "k" holds a key' };
const resolvedExtras: ConditionInput = { type: 'ExtraVerifyKeysResolved', status: 'True', reason: 'Resolved', message: 'No extra verify keys are referenced' };
const ready: ConditionInput = { type: 'Ready', status: 'True', reason: 'Resolved', message: 'Serving 1 key(s)' };

describe('mergeConditions', () => {
  it('stamps every condition with now and the observed generation when there was no status', () => {
    const merged = mergeConditions(undefined, [resolvedSigning, resolvedExtras, ready], 3, T0);
    expect(merged).toEqual([
      { ...resolvedSigning, observedGeneration: 3, lastTransitionTime: T0 },
      { ...resolvedExtras, observedGeneration: 3, lastTransitionTime: T0 },
      { ...ready, observedGeneration: 3, lastTransitionTime: T0 },
    ]);
  });

  it('keeps lastTransitionTime when the status is unchanged, even if reason, message and generation change', () => {
    const previous = mergeConditions(undefined, [
      { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'SecretNotFound', message: 'Secret "k" does not exist' },
      resolvedExtras,
      { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'Secret "k" does not exist' },
    ], 3, T0);
    const merged = mergeConditions(previous, [
      { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'KeyParseError', message: 'Secret "k" data key "key.pem": not a PEM' },
      resolvedExtras,
      { type: 'Ready', status: 'False', reason: 'KeyParseError', message: 'Secret "k" data key "key.pem": not a PEM' },
    ], 4, T1);
    const signing = findCondition(merged, 'SignAndVerifyKeyResolved');
    expect(signing).toEqual({
      type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'KeyParseError', message: 'Secret "k" data key "key.pem": not a PEM',
      observedGeneration: 4, lastTransitionTime: T0,
    });
    expect(merged.map((c) => c.lastTransitionTime)).toEqual([T0, T0, T0]);
    expect(merged.map((c) => c.observedGeneration)).toEqual([4, 4, 4]);
  });

  it('sets lastTransitionTime to now on a flip, and only on the conditions that flipped', () => {
    const previous = mergeConditions(undefined, [
      { type: 'SignAndVerifyKeyResolved', status: 'False', reason: 'SecretNotFound', message: 'missing' },
      resolvedExtras,
      { type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'missing' },
    ], 1, T0);
    const merged = mergeConditions(previous, [resolvedSigning, resolvedExtras, ready], 1, T1);
    expect(merged.map((c) => [c.type, c.status, c.lastTransitionTime])).toEqual([
      ['SignAndVerifyKeyResolved', 'True', T1],
      ['ExtraVerifyKeysResolved', 'True', T0],
      ['Ready', 'True', T1],
    ]);
  });

  it('treats Unknown as a status of its own: True → Unknown is a flip', () => {
    const previous = mergeConditions(undefined, [ready], 1, T0);
    const merged = mergeConditions(previous, [{ ...ready, status: 'Unknown', reason: 'GenerationFailed' }], 1, T1);
    expect(merged[0]!.lastTransitionTime).toBe(T1);
  });

  it('orders conditions canonically whatever the input order: the signing key, the verify keys, Ready', () => {
    const merged = mergeConditions(undefined, [ready, resolvedExtras, resolvedSigning], 1, T0);
    expect(merged.map((c) => c.type)).toEqual(['SignAndVerifyKeyResolved', 'ExtraVerifyKeysResolved', 'Ready']);
  });

  it('matches previous conditions by type, not by position', () => {
    const previous: Condition[] = [
      { ...ready, status: 'True', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
      { ...resolvedSigning, status: 'True', observedGeneration: 1, lastTransitionTime: '2026-02-01T00:00:00Z' },
    ];
    const merged = mergeConditions(previous, [resolvedSigning, resolvedExtras, ready], 1, T1);
    expect(merged.map((c) => c.lastTransitionTime)).toEqual(['2026-02-01T00:00:00Z', T1, '2026-01-01T00:00:00Z']);
  });
});

describe('readyCondition', () => {
  it('is True with reason Resolved and the given message when every other check is True', () => {
    expect(readyCondition([resolvedSigning, resolvedExtras], 'Serving 2 key(s) at https://x/oauth2/jwks')).toEqual({
      type: 'Ready', status: 'True', reason: 'Resolved', message: 'Serving 2 key(s) at https://x/oauth2/jwks',
    });
  });

  it('is True when there is nothing else to check', () => {
    expect(readyCondition([], 'ok').status).toBe('True');
  });

  it("is False with the first failure's reason and message", () => {
    const issuer = { status: 'False' as const, reason: 'IssuerConflict', message: 'issuer taken by team-b/login' };
    const signing = { status: 'False' as const, reason: 'SecretNotFound', message: 'Secret "k" does not exist' };
    expect(readyCondition([resolvedSigning, signing, issuer], 'unused')).toEqual({
      type: 'Ready', status: 'False', reason: 'SecretNotFound', message: 'Secret "k" does not exist',
    });
    expect(readyCondition([issuer, signing], 'unused')).toEqual({
      type: 'Ready', status: 'False', reason: 'IssuerConflict', message: 'issuer taken by team-b/login',
    });
  });

  it('is Unknown when the first failing check is Unknown', () => {
    const unknown = { status: 'Unknown' as const, reason: 'GenerationFailed', message: 'generation pending' };
    expect(readyCondition([resolvedSigning, unknown], 'unused')).toMatchObject({ status: 'Unknown', reason: 'GenerationFailed', message: 'generation pending' });
  });
});
