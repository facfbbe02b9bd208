// The read step of a reconcile: facts only, no wording and no writes. The AuthServer (or that it
// is gone), each referenced Secret's parse result (or that it is missing, and why generating it
// failed last time), the next key's parse result, and who else claims the issuer. decide
// (plan.ts) turns them into messages and effects. A Secret is read from the API server only when
// the watch reports a version not parsed yet, and not attested at that version in the AuthServer's
// status (attestation.ts): a replica that joins serves from its LIST alone.
import { effectiveSpec, type EffectiveSpec } from '../api/defaults.js';
import { ok } from '../api/result.js';
import type { AttestedSecret, AuthServer, KeyRole } from '../api/types.js';
import { keyInputDigest, loadKey } from '../keys/load.js';
import { isPublishable } from '../keys/symmetric.js';
import type { AnyLoadedKey, KeyResult, PublicJwk } from '../keys/types.js';
import type { SecretSnapshot } from '../kube/secrets.js';
import { sealOwner, type Sealer } from '../rotation/seal.js';
import { NEXT_KEY_DATA_KEYS, nextKeyData, readSecretRecord } from '../rotation/secret-layout.js';
import { attestationFor, attested, sealedFacts } from './attestation.js';
import { custodyOf, mayRotate, maySign } from './key-custody.js';
import { SIGNING_VARIANT, type ParsedSecret, type ReconcileMemory } from './memory.js';

/** Where observe reads from: the informers' caches and the API server. */
export interface Reader {
  authServer(key: string): AuthServer | undefined;
  /** The resourceVersion the Secret watch has seen, if any. */
  secretVersion(namespace: string, name: string): string | undefined;
  /** A GET of the Secret; undefined when the API server says it does not exist. */
  readSecret(namespace: string, name: string): Promise<SecretSnapshot | undefined>;
  /** The AuthServer that claimed this one's issuer first, if another did (issuer-index.ts). */
  olderClaimant(key: string): string | undefined;
  /** The public JWKs this process serves now for the AuthServer under these kids (jwks/types.ts JwksPublisher). */
  servedJwks(namespace: string, name: string, kids: readonly string[]): Promise<PublicJwk[]>;
}

/** What was found for one referenced Secret. */
export type RefFact = { secretName: string; role: KeyRole } & (
  | { found: false; /** The API's message when the last attempt to generate it failed. */ generationFailure?: string }
  | {
    found: true; secret: Omit<ParsedSecret, 'results'>;
    /** How it was parsed: the private half required or not, the kid format, whether the private key is kept. */
    variant: string;
    result: KeyResult<AnyLoadedKey>;
    /** next.key.pem, in a Secret Signet may rotate. */
    next?: KeyResult<AnyLoadedKey>;
    /** The status entry (sealed, at this version) the facts were taken from instead of a GET. */
    attested?: AttestedSecret;
  }
);

export type Observation =
  | { key: string; gone: true }
  | {
    key: string;
    gone: false;
    authServer: AuthServer;
    spec: EffectiveSpec;
    /** Signing ref first, then the verify refs in spec order. */
    refs: RefFact[];
    olderClaimant: string | undefined;
    /** The AuthServer is the cluster's service-account issuer (docs/architecture.md#the-service-account-issuer). */
    serviceAccountIssuer: boolean;
    /** Public JWKs this process serves for it, by kid: those of the status's keys that no ref loaded now. */
    jwkOf: (kid: string) => PublicJwk | undefined;
    /** Whether generation failures were recorded for it (they are consumed by this reconcile). */
    failuresRecorded: boolean;
  };

export interface ObserveContext {
  memory: ReconcileMemory;
  isServiceAccountIssuer: (key: string) => boolean;
  /** Checks the seals of status.attestedSecrets. */
  sealer: Sealer;
}

export async function observe(key: string, reader: Reader, ctx: ObserveContext): Promise<Observation> {
  const { memory, isServiceAccountIssuer } = ctx;
  const authServer = memory.current(key, reader.authServer(key));
  if (!authServer) return { key, gone: true };
  const spec = effectiveSpec(authServer.spec);
  const saIssuer = isServiceAccountIssuer(key);
  const failures = memory.generationFailures(key);
  const refs = [
    { name: spec.signAndVerifyKeyRef.name, role: 'SignAndVerify' as const },
    ...spec.extraVerifyKeyRefs.map((r) => ({ name: r.name, role: 'VerifyOnly' as const })),
  ];
  const facts = await Promise.all(refs.map(async (ref): Promise<RefFact> => {
    const fact = await readRef(authServer, spec, ref.name, ref.role, saIssuer, reader, ctx);
    const failure = failures.get(ref.name);
    return !fact.found && failure !== undefined ? { ...fact, generationFailure: failure } : fact;
  }));
  const served = await vanishedJwks(authServer, facts, reader);
  return {
    key, gone: false, authServer, spec, refs: facts, olderClaimant: reader.olderClaimant(key),
    serviceAccountIssuer: saIssuer, failuresRecorded: failures.size > 0,
    jwkOf: (kid) => served.find((k) => k.kid === kid),
  };
}

/**
 * What the JWKS serves of the keys the status lists that no ref loads now: all that rotation/retention.ts
 * may ask for (a key replaced in place, a promotion not seen yet). Usually none, and then the JWKS
 * listener's thread is not asked.
 */
async function vanishedJwks(as: AuthServer, facts: readonly RefFact[], reader: Reader): Promise<PublicJwk[]> {
  const loaded = new Set<string>();
  for (const f of facts) {
    if (!f.found) continue;
    if (f.result.ok) loaded.add(f.result.value.kid);
    if (f.next?.ok) loaded.add(f.next.value.kid);
  }
  const vanished = (as.status?.keys ?? []).map((k) => k.kid).filter((kid) => !loaded.has(kid));
  return vanished.length === 0 ? [] : reader.servedJwks(as.metadata.namespace ?? '', as.metadata.name ?? '', vanished);
}

async function readRef(as: AuthServer, spec: EffectiveSpec, secretName: string, role: KeyRole, saIssuer: boolean, reader: Reader, ctx: ObserveContext): Promise<RefFact> {
  const { memory } = ctx;
  const namespace = as.metadata.namespace ?? '';
  const authServer = as.metadata.name ?? '';
  const requirePrivate = role === 'SignAndVerify';
  // While the watch reports the version already parsed, the Secret has not changed: no GET.
  const known = reader.secretVersion(namespace, secretName);
  const cached = memory.parsedSecret(`${namespace}/${secretName}`);
  let entry = known !== undefined && cached?.version === known && cached.results.has(variantOf(requirePrivate, spec, maySign(cached.custody, authServer), saIssuer)) ? cached : undefined;
  const attested = !entry && known !== undefined ? fromStatus(as, secretName, known, (custody) => variantOf(requirePrivate, spec, maySign(custody, authServer), saIssuer), ctx) : undefined;
  entry ??= attested?.parsed;
  if (!entry) {
    const secret = await reader.readSecret(namespace, secretName);
    if (!secret) return { secretName, role, found: false };
    entry = load(secret, requirePrivate, spec, authServer, saIssuer, memory, () => sealedParse(as, secretName, ctx));
  }
  const { results, ...facts } = entry;
  const variant = variantOf(requirePrivate, spec, maySign(entry.custody, authServer), saIssuer);
  const next = results.get(`next/${variant}`);
  return { secretName, role, found: true, secret: facts, variant, result: results.get(variant)!, ...(next ? { next } : {}), ...(attested && { attested: attested.entry }) };
}

/**
 * The Secret as the status attests it at this version, for the variant wanted here. Not kept in
 * memory: the status holds it, and is checked and parsed again at each reconcile (microseconds).
 */
function fromStatus(as: AuthServer, secretName: string, version: string, wanted: (custody: ParsedSecret['custody']) => string, ctx: ObserveContext): { parsed: ParsedSecret; entry: AttestedSecret } | undefined {
  const entry = attestationFor(as, secretName);
  const found = entry && attested(sealOwner(as), entry, version, ctx.sealer);
  if (!entry || !found || wanted(found.parsed.custody) !== found.variant) return undefined;
  return { parsed: found.parsed, entry };
}

/** The parse the status attests of this Secret at whatever version it was read, its seal checked. */
function sealedParse(as: AuthServer, secretName: string, ctx: ObserveContext): ParsedSecret | undefined {
  const entry = attestationFor(as, secretName);
  return entry && sealedFacts(sealOwner(as), entry, ctx.sealer)?.parsed;
}

function load(secret: SecretSnapshot, requirePrivate: boolean, spec: EffectiveSpec, authServer: string, saIssuer: boolean, memory: ReconcileMemory, attestedParse: () => ParsedSecret | undefined): ParsedSecret {
  const id = `${secret.namespace}/${secret.name}`;
  let entry = memory.parsedSecret(id);
  if (!entry || entry.version !== secret.resourceVersion) {
    // A Secret that changed but not in what its keys are parsed from (a label, another tool's
    // annotation, a re-apply) keeps the results of the last parse: at thousands of Secrets touched
    // at once, parsing each RSA key again would hold the event loop for a millisecond each.
    const keyInput = keyInputDigest(secret);
    const sameInput = (p: ParsedSecret | undefined): ParsedSecret | undefined => (p?.keyInput === keyInput ? p : undefined);
    const earlier = sameInput(entry) ?? sameInput(attestedParse());
    entry = {
      version: secret.resourceVersion, custody: custodyOf(secret.labels, secret.annotations), dataKeys: Object.keys(secret.data).sort(), annotationKeys: Object.keys(secret.annotations).sort(),
      record: readSecretRecord(secret.annotations), results: new Map(earlier?.results), keyInput,
    };
    memory.keepParsed(id, entry);
  }
  const signable = maySign(entry.custody, authServer);
  const variant = variantOf(requirePrivate, spec, signable, saIssuer);
  // The private half stays in memory only for the signing service (spec.signing.enabled) or the
  // cluster's service-account issuer, and only of a Secret it may sign with (key-custody.ts); a
  // shared secret is accepted only with the signing service.
  const keepPrivate = keepsPrivate(requirePrivate, spec, signable, saIssuer);
  const parse = (data: Record<string, Buffer>, dataKeyNames?: Readonly<Record<string, string>>): KeyResult<AnyLoadedKey> => {
    const result = loadKey({ secretName: secret.name, data, annotations: secret.annotations, uid: secret.uid, requirePrivate, keyIdFormat: spec.keyIdFormat, allowSymmetric: keepPrivate && spec.signing.enabled, ...(dataKeyNames && { dataKeyNames }) });
    return result.ok && !keepPrivate && isPublishable(result.value) ? ok({ ...result.value, privateKey: undefined }) : result;
  };
  if (!entry.results.has(variant)) entry.results.set(variant, parse(secret.data));
  // The pre-published next key of a rotation, in a Secret Signet generated.
  const next = mayRotate(entry.custody, authServer) ? nextKeyData(secret.data) : undefined;
  if (next && !entry.results.has(`next/${variant}`)) entry.results.set(`next/${variant}`, parse(next, NEXT_KEY_DATA_KEYS));
  return entry;
}

function keepsPrivate(requirePrivate: boolean, spec: EffectiveSpec, signable: boolean, saIssuer: boolean): boolean {
  return requirePrivate && signable && (spec.signing.enabled || saIssuer);
}

function variantOf(requirePrivate: boolean, spec: EffectiveSpec, signable: boolean, saIssuer: boolean): string {
  return `${requirePrivate}/${spec.keyIdFormat}${keepsPrivate(requirePrivate, spec, signable, saIssuer) ? SIGNING_VARIANT : ''}`;
}
