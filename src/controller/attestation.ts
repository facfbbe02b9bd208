// Sealed facts of Secrets in status (issue 21): what the leader parsed from each referenced Secret
// whose key it only publishes, so that a replica that joins (or takes over) serves every AuthServer
// from one LIST of AuthServers and of Secrets' metadata instead of a GET per Secret. An entry is
// used only while the Secret is at the resourceVersion it was read at, and only with Signet's seal
// (rotation/seal.ts): status is not a source of key material anyone else can write. A Secret whose
// private key is kept (a signer) is never attested: that replica reads it.
import type { AttestedSecret, AuthServer } from '../api/types.js';
import type { AnyLoadedKey, KeyResult, LoadedKey } from '../keys/types.js';
import type { Sealer } from '../rotation/seal.js';
import type { SecretRecord } from '../rotation/secret-layout.js';
import { SIGNING_VARIANT, type ParsedSecret } from './memory.js';

/** The facts' format: an entry of another format is not used (and the leader rewrites it). */
const FORMAT = 1;
/** As the CRD's maxLength: a larger entry (a long certificate chain) is left out, its Secret read instead. */
const MAX_FACTS_LENGTH = 65_536;

interface Facts {
  format: typeof FORMAT;
  /** The parse variant (observe.ts): the private half required or not, the kid format. */
  variant: string;
  custody: { generated: boolean; generatedFor?: string; signers: string[]; exportable: boolean };
  dataKeys: string[];
  annotationKeys: string[];
  record: SecretRecord;
  result: KeyResult<LoadedKey>;
  next?: KeyResult<LoadedKey>;
  /** What the results were parsed from (keys/load.ts keyInputDigest); absent in entries written before it was. */
  keyInput?: string;
}

/** One referenced Secret as observe.ts found it. */
export interface AttestableRef {
  secretName: string;
  variant: string;
  secret: Omit<ParsedSecret, 'results'>;
  result: KeyResult<AnyLoadedKey>;
  next?: KeyResult<AnyLoadedKey>;
}

/** The public part of a result, or undefined when it holds a private key (never attested). */
function publicResult(r: KeyResult<AnyLoadedKey>): KeyResult<LoadedKey> | undefined {
  if (!r.ok) return { ok: false, problem: { reason: r.problem.reason, message: r.problem.message } };
  const k = r.value;
  if (k.privateKey || !k.publicJwk) return undefined;
  return { ok: true, value: { kid: k.kid, algorithm: k.algorithm, keySize: k.keySize, publicJwk: k.publicJwk, dataKey: k.dataKey } };
}

/** The sealed entry for `owner` (namespace/name) of what was read from one Secret; undefined when it may not be attested. */
export function attest(owner: string, ref: AttestableRef, sealer: Sealer): AttestedSecret | undefined {
  if (ref.variant.endsWith(SIGNING_VARIANT)) return undefined;
  const result = publicResult(ref.result);
  const next = ref.next && publicResult(ref.next);
  if (!result || (ref.next && !next)) return undefined;
  const { custody, dataKeys, annotationKeys, record, version, keyInput } = ref.secret;
  const facts: Facts = {
    format: FORMAT,
    variant: ref.variant,
    custody: { generated: custody.generated, ...(custody.generatedFor !== undefined && { generatedFor: custody.generatedFor }), signers: [...custody.signers].sort(), exportable: custody.exportable },
    dataKeys: [...dataKeys].sort(),
    annotationKeys: [...annotationKeys].sort(),
    record,
    result,
    ...(next && { next }),
    ...(keyInput !== undefined && { keyInput }),
  };
  const json = JSON.stringify(facts);
  if (json.length > MAX_FACTS_LENGTH) return undefined;
  const entry = { secretName: ref.secretName, resourceVersion: version, facts: json };
  return { ...entry, seal: sealer.sealAttestation(owner, entry) };
}

/** The AuthServer's status entry for this Secret, if it has one (sealed or not). */
export function attestationFor(as: AuthServer | undefined, secretName: string): AttestedSecret | undefined {
  return as?.status?.attestedSecrets?.find((e) => e.secretName === secretName);
}

/** What an entry says of its Secret at `resourceVersion`: its variant and the parse, or undefined when it may not be used. */
export function attested(owner: string, entry: AttestedSecret, resourceVersion: string, sealer: Sealer): { variant: string; parsed: ParsedSecret } | undefined {
  return entry.resourceVersion === resourceVersion ? sealedFacts(owner, entry, sealer) : undefined;
}

/**
 * What a sealed entry says of its Secret at the version it names, whatever the Secret's version
 * now: a parse to keep when the Secret changed but not its key input (observe.ts). Its results
 * are used only for that input, and only for the variant they were parsed for.
 */
export function sealedFacts(owner: string, entry: AttestedSecret, sealer: Sealer): { variant: string; parsed: ParsedSecret } | undefined {
  if (!sealer.verifyAttestation(owner, entry)) return undefined;
  let facts: Facts;
  try {
    facts = JSON.parse(entry.facts) as Facts;
  } catch {
    return undefined;
  }
  if (facts.format !== FORMAT) return undefined;
  const { custody } = facts;
  const results = new Map<string, KeyResult<AnyLoadedKey>>([[facts.variant, facts.result]]);
  if (facts.next) results.set(`next/${facts.variant}`, facts.next);
  return {
    variant: facts.variant,
    parsed: {
      version: entry.resourceVersion,
      custody: { generated: custody.generated, generatedFor: custody.generatedFor, signers: custody.signers, exportable: custody.exportable },
      dataKeys: facts.dataKeys,
      annotationKeys: facts.annotationKeys,
      record: facts.record,
      results,
      ...(facts.keyInput !== undefined && { keyInput: facts.keyInput }),
    },
  };
}
