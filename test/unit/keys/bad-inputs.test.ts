// Every refusal in the corpus: the right reason, a message that names the Secret and the data key and
// says how to fix it, and never a trace of the key material that went in.
import { loadKey } from '../../../src/keys/load.js';
import { badKeyCorpus } from '../../support/bad-keys.js';
import type { BadKeyCase } from '../../support/bad-keys.js';

const corpus = badKeyCorpus();

/** Every base64/base64url run of 16+ characters in the input: none may reach the message. */
function secretRuns(c: BadKeyCase): string[] {
  const runs = new Set<string>();
  for (const buf of Object.values(c.data)) {
    for (const m of buf.toString('latin1').matchAll(/[A-Za-z0-9+/_-]{16,}/g)) runs.add(m[0].slice(0, 16));
  }
  return [...runs];
}

describe('bad key corpus', () => {
  it('has at least 30 cases, with distinct names, covering every reason', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(30);
    expect(new Set(corpus.map((c) => c.name)).size).toBe(corpus.length);
    expect(new Set(corpus.map((c) => c.reason))).toEqual(new Set(['KeyMaterialMissing', 'KeyParseError', 'UnsupportedKeyType', 'KeyTooWeak', 'KeyMismatch', 'AlgorithmMismatch']));
  });

  it.each(corpus.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = corpus[i];
    if (c === undefined) throw new Error('no case');
    const secretName = `bad-key-${i}`;
    const result = loadKey({ secretName, data: c.data, annotations: c.annotations ?? {}, requirePrivate: c.requirePrivate, keyIdFormat: 'Thumbprint' });
    if (result.ok) throw new Error(`accepted: ${JSON.stringify(result.value.publicJwk)}`);
    const { reason, message } = result.problem;

    expect(reason).toBe(c.reason);
    expect(message).toContain(`Secret "${secretName}"`);
    expect(message).toContain(c.dataKey);
    expect(message).toMatch(c.hint);

    // No key material: no PEM armour, no long base64 run, nothing copied from the input.
    expect(message).not.toContain('-----BEGIN');
    expect(message).not.toMatch(/[A-Za-z0-9+/=_-]{40,}/);
    for (const run of secretRuns(c)) expect(message).not.toContain(run);
    expect(message.length).toBeLessThan(700);
  });

  it('gives the same verdict every time (no hidden state)', () => {
    for (const c of corpus.slice(0, 10)) {
      const input = { secretName: 's', data: c.data, annotations: c.annotations ?? {}, requirePrivate: c.requirePrivate, keyIdFormat: 'Thumbprint' as const };
      expect(loadKey(input)).toEqual(loadKey(input));
    }
  });
});
