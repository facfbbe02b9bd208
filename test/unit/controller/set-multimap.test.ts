// SetMultimap (src/controller/set-multimap.ts) backs the Secret and issuer-route indexes: whatever
// its storage (one member as a string, more as a Set), it must answer as a Map of Sets would.
import { SetMultimap } from '../../../src/controller/set-multimap.js';

it('keeps each member once, in the order added, and forgets a key with its last member', () => {
  const m = new SetMultimap();
  expect(m.get('s')).toEqual([]);
  m.add('s', 'a');
  m.add('s', 'a');
  expect(m.get('s')).toEqual(['a']);
  m.add('s', 'b');
  m.add('s', 'c');
  m.add('s', 'b');
  expect(m.get('s')).toEqual(['a', 'b', 'c']);
  m.delete('s', 'b');
  m.delete('s', 'a');
  expect(m.get('s')).toEqual(['c']);
  expect(m.has('s')).toBe(true);
  m.delete('s', 'c');
  expect(m.has('s')).toBe(false);
  expect(m.get('s')).toEqual([]);
});

it('leaves a key alone when asked to delete a member it does not have', () => {
  const m = new SetMultimap();
  m.add('s', 'a');
  m.delete('s', 'x');
  m.delete('t', 'a');
  expect(m.get('s')).toEqual(['a']);
  m.add('s', 'b');
  m.delete('s', 'x');
  expect(m.get('s')).toEqual(['a', 'b']);
  m.add('s', 'x');
  expect(m.get('s')).toEqual(['a', 'b', 'x']);
});

it('agrees with a Map of Sets over a random sequence of changes', () => {
  const m = new SetMultimap();
  const ref = new Map<string, Set<string>>();
  let seed = 7;
  const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
  for (let i = 0; i < 5000; i++) {
    const key = `k${next(5)}`;
    const member = `m${next(4)}`;
    if (next(2) === 0) {
      m.add(key, member);
      ref.set(key, (ref.get(key) ?? new Set()).add(member));
    } else {
      m.delete(key, member);
      ref.get(key)?.delete(member);
      if (ref.get(key)?.size === 0) ref.delete(key);
    }
    expect([...m.get(key)].sort()).toEqual([...(ref.get(key) ?? [])].sort());
    expect(m.has(key)).toBe(ref.has(key));
  }
});
