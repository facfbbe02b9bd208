// A time-boxed fuzz run of loadKey (FUZZ_SECONDS, default 60; FUZZ_SEED to replay a run). Inputs are
// random bytes and valid PEM / DER / JWK / certificate inputs mutated by bit flips, truncation,
// splicing and member surgery. Every call must return (never throw) within 200 ms, refusals must not
// echo PEM armour, and an accepted key's JWK must hold public members only.
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKey } from '../../src/keys/load.js';
import type { SecretKeyInput } from '../../src/keys/types.js';
import { badKeyCorpus } from '../support/bad-keys.js';
import { derToPem, makeCertChain, makeKeyMaterial, makeSelfSignedCert } from '../support/keys.js';
import type { KeyKind } from '../support/keys.js';

const SECONDS = Number(process.env.FUZZ_SECONDS ?? 60);
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const MAX_CALL_MS = 200;
const PUBLISHABLE = new Set(['kty', 'kid', 'use', 'alg', 'n', 'e', 'crv', 'x', 'y', 'x5c', 'x5t#S256']);
const DATA_KEYS = ['key.pem', 'pub.pem', 'tls.key', 'tls.crt', 'jwk.json'] as const;
const ALGS = ['RS256', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'none', 'HS256', ''];

/** mulberry32: small, seedable, good enough to pick mutations. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
function pick<T>(items: readonly T[]): T {
  const item = items[int(items.length)];
  if (item === undefined) throw new Error('empty list');
  return item;
}
const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));

// ---- seeds ----------------------------------------------------------------------------------

interface Seed {
  dataKey: (typeof DATA_KEYS)[number];
  value: Buffer;
}

const KINDS: readonly KeyKind[] = ['rsa2048', 'rsa3072', 'p256', 'p384', 'p521', 'ed25519'];
const seeds: Seed[] = [];
for (const kind of KINDS) {
  const m = makeKeyMaterial(kind);
  const add = (dataKey: Seed['dataKey'], text: string | undefined) => {
    if (text !== undefined) seeds.push({ dataKey, value: Buffer.from(text) });
  };
  add('key.pem', m.pkcs8);
  add('key.pem', m.pkcs1);
  add('key.pem', m.sec1);
  add('pub.pem', m.spki);
  add('pub.pem', m.pkcs1Public);
  add('tls.key', m.pkcs8);
  add('tls.crt', makeSelfSignedCert(m.privateKey));
  add('tls.crt', makeCertChain(m.privateKey).chainPem);
  add('jwk.json', m.privateJwk);
  add('jwk.json', m.publicJwk);
}
/** The well-formed JWKs, as donors of plausible but wrong members. */
const donorJwks = seeds.filter((s) => s.dataKey === 'jwk.json').map((s) => JSON.parse(s.value.toString('utf8')) as Record<string, unknown>);
for (const bad of badKeyCorpus()) {
  for (const [dataKey, value] of Object.entries(bad.data)) {
    if ((DATA_KEYS as readonly string[]).includes(dataKey) && value.length < 20_000) seeds.push({ dataKey: dataKey as Seed['dataKey'], value });
  }
}

// ---- mutations --------------------------------------------------------------------------------

type Mutator = (b: Buffer) => Buffer;

const flipBits: Mutator = (b) => {
  const out = Buffer.from(b);
  for (let i = 1 + int(8); i > 0 && out.length > 0; i--) {
    const at = int(out.length);
    out[at] = (out[at] ?? 0) ^ (1 << int(8));
  }
  return out;
};
const truncate: Mutator = (b) => b.subarray(0, int(b.length + 1));
const dropSlice: Mutator = (b) => {
  const at = int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(64))]);
};
const duplicateSlice: Mutator = (b) => {
  const at = int(b.length + 1);
  const len = int(256);
  return Buffer.concat([b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len)]);
};
const insertRandom: Mutator = (b) => {
  const at = int(b.length + 1);
  return Buffer.concat([b.subarray(0, at), randomBytes(1 + int(32)), b.subarray(at)]);
};
const splice: Mutator = (b) => {
  const other = pick(seeds).value;
  return Buffer.concat([b.subarray(0, int(b.length + 1)), other.subarray(int(other.length + 1))]);
};

/** Mutate the DER inside each PEM block and re-armour it, so that OpenSSL's decoders see the damage. */
const mutateDer: Mutator = (b) => {
  const text = b.toString('latin1');
  const out = text.replace(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----\r?\n?/g, (whole, label: string, body: string) => {
    if (rand() < 0.3) return whole;
    const der = Buffer.from(body.replace(/^[A-Za-z-]+:.*$/gm, '').replace(/\s+/g, ''), 'base64');
    const mutated = pick([flipBits, truncate, dropSlice, duplicateSlice, insertRandom, (d: Buffer) => {
      // Overwrite a length or tag byte near the start, where the structure is decided.
      const copy = Buffer.from(d);
      if (copy.length > 0) copy[int(Math.min(copy.length, 40))] = pick([0x00, 0x01, 0x02, 0x30, 0x80, 0x81, 0x82, 0x84, 0xff, int(256)]);
      return copy;
    }])(der);
    return derToPem(mutated, label);
  });
  return Buffer.from(out, 'latin1');
};

const JUNK_VALUES: unknown[] = [null, 0, -1, 1e308, true, '', 'AQAB', 'AA', '====', '\u0000', [], {}, [{ r: 'AQAB', d: 'AQAB', t: 'AQAB' }], 'x'.repeat(3000)];

/** Change, drop, retype or add members of a JWK. */
const mutateJwk: Mutator = (b) => {
  let jwk: unknown;
  try {
    jwk = JSON.parse(b.toString('utf8'));
  } catch {
    return flipBits(b);
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return flipBits(b);
  const obj = { ...(jwk as Record<string, unknown>) };
  const names = [...Object.keys(obj), 'kty', 'crv', 'alg', 'kid', 'use', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'x5c', 'keys'];
  for (let i = 1 + int(3); i > 0; i--) {
    const name = pick(names);
    switch (int(5)) {
      case 0: delete obj[name]; break;
      case 1: obj[name] = pick(JUNK_VALUES); break;
      case 2: {
        // A member of the same name from another key: plausible but wrong.
        const other = pick(donorJwks);
        if (name in other) obj[name] = other[name];
        break;
      }
      case 3: {
        const v = obj[name];
        if (typeof v === 'string' && v.length > 0) {
          const at = int(v.length);
          obj[name] = v.slice(0, at) + pick([...'AZaz09-_+/=.']) + v.slice(at + 1);
        }
        break;
      }
      default: obj[name] = pick(['RSA', 'EC', 'OKP', 'oct', 'P-256', 'P-384', 'P-521', 'Ed25519', 'X25519', 'secp256k1', 'RS256', 'ES512', 'sig', 'enc']);
    }
  }
  return Buffer.from(rand() < 0.1 ? JSON.stringify({ keys: [obj] }) : JSON.stringify(obj));
};

const MUTATORS: Array<[string, Mutator]> = [
  ['flipBits', flipBits], ['truncate', truncate], ['dropSlice', dropSlice], ['duplicateSlice', duplicateSlice],
  ['insertRandom', insertRandom], ['splice', splice], ['mutateDer', mutateDer], ['mutateDer', mutateDer], ['mutateJwk', mutateJwk],
];

function mutate(value: Buffer): { value: Buffer; steps: string[] } {
  const steps: string[] = [];
  let out = value;
  for (let i = 1 + int(3); i > 0; i--) {
    const [name, fn] = pick(MUTATORS);
    steps.push(name);
    out = fn(out);
  }
  return { value: out, steps };
}

/** A Secret: one or two mutated (or entirely random) data keys, a random annotation and ref role. */
function nextInput(): { input: SecretKeyInput; steps: string[] } {
  const data: Record<string, Buffer> = {};
  const steps: string[] = [];
  if (rand() < 0.1) {
    const dataKey = pick(DATA_KEYS);
    data[dataKey] = randomBytes(int(4096));
    steps.push(`random ${dataKey}`);
  } else {
    const seed = pick(seeds);
    // Now and then the seed goes in intact, so that a mutated partner, annotation or role reaches the later checks.
    const m = rand() < 0.15 ? { value: seed.value, steps: ['intact'] } : mutate(seed.value);
    data[seed.dataKey] = m.value;
    steps.push(`${seed.dataKey}: ${m.steps.join('+')}`);
    // Sometimes the partner data key too, intact or mutated.
    const partner = seed.dataKey === 'key.pem' ? 'pub.pem' : seed.dataKey === 'tls.key' ? 'tls.crt' : seed.dataKey === 'tls.crt' ? 'tls.key' : undefined;
    if (partner !== undefined && rand() < 0.6) {
      const p = pick(seeds.filter((s) => s.dataKey === partner));
      data[partner] = rand() < 0.5 ? p.value : mutate(p.value).value;
      steps.push(`+${partner}`);
    }
  }
  const alg = rand() < 0.3 ? pick(ALGS) : undefined;
  return {
    input: {
      secretName: 'fuzz',
      data,
      annotations: alg === undefined ? {} : { 'signet.dev/algorithm': alg },
      requirePrivate: rand() < 0.5,
      keyIdFormat: rand() < 0.8 ? 'Thumbprint' : 'SecretName',
    },
    steps,
  };
}

/** Keys are generated afresh each run, so a seed alone does not replay a failure: the input is saved. */
function saveReproducer(input: SecretKeyInput, call: number): string {
  const dir = join(tmpdir(), 'signet-fuzz');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `seed-${SEED}-call-${call}.json`);
  const data = Object.fromEntries(Object.entries(input.data).map(([k, v]) => [k, v.toString('base64')]));
  writeFileSync(file, JSON.stringify({ ...input, data }, null, 2));
  return file;
}

describe(`loadKey fuzz (${SECONDS}s, FUZZ_SEED=${SEED})`, () => {
  it('never throws, answers within 200 ms, and never publishes a private member', () => {
    const failures: string[] = [];
    const reasons = new Map<string, number>();
    let calls = 0;
    let slowest = 0;
    let stalls = 0;
    let slowestRepeatable = 0;
    const deadline = Date.now() + SECONDS * 1000;
    // Warm up the code paths once so that JIT compilation is not counted against the first calls.
    for (const s of seeds.slice(0, 20)) loadKey({ secretName: 'warm', data: { [s.dataKey]: s.value }, annotations: {}, requirePrivate: false, keyIdFormat: 'Thumbprint' });

    while (Date.now() < deadline && failures.length < 20) {
      const { input, steps } = nextInput();
      const call = calls++;
      const where = () => `call ${call} (${steps.join(', ')}; sizes ${Object.entries(input.data).map(([k, v]) => `${k}=${v.length}`).join(' ')}; input in ${saveReproducer(input, call)})`;
      const started = performance.now();
      let result;
      try {
        result = loadKey(input);
      } catch (err) {
        failures.push(`${where()}: threw ${String(err)}`);
        continue;
      }
      const elapsed = performance.now() - started;
      slowest = Math.max(slowest, elapsed);
      if (elapsed > MAX_CALL_MS / 4) {
        // A GC pause or a busy machine can stall any one call: slow only counts when the input is slow every time.
        const again = Math.min(...[0, 1].map(() => {
          const t = performance.now();
          loadKey(input);
          return performance.now() - t;
        }));
        slowestRepeatable = Math.max(slowestRepeatable, Math.min(elapsed, again));
        if (again > MAX_CALL_MS) failures.push(`${where()}: took ${elapsed.toFixed(0)} ms, then ${again.toFixed(0)} ms again`);
        else if (elapsed > MAX_CALL_MS) stalls++;
      }
      const reason = result.ok ? 'ok' : result.problem.reason;
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (result.ok) {
        const extra = Object.keys(result.value.publicJwk).filter((k) => !PUBLISHABLE.has(k));
        if (extra.length > 0) failures.push(`${where()}: published ${extra.join(', ')}`);
      } else if (result.problem.message.includes('-----BEGIN') || /[A-Za-z0-9+/=_-]{40,}/.test(result.problem.message)) {
        failures.push(`${where()}: message echoes material: ${result.problem.message.slice(0, 200)}`);
      }
    }
    console.log(`fuzz: seed ${SEED}, ${calls} calls in ${SECONDS}s, slowest ${slowest.toFixed(1)} ms (${stalls} one-off stalls over ${MAX_CALL_MS} ms; slowest on a rerun ${slowestRepeatable.toFixed(1)} ms), verdicts ${JSON.stringify(Object.fromEntries(reasons))}`);
    expect(failures).toEqual([]);
    expect(calls).toBeGreaterThan(0);
  });
});
