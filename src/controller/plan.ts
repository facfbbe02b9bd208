// The decide step of a reconcile, pure: from the facts observe.ts gathered to every effect as data
// — the Secret change and what performing it needs, the status, the events, the document, the
// signing service's entry, the metrics view — for act.ts to perform in order. The rules are in
// ref-verdicts.ts (each Secret), decide.ts (status, document, events, which change) and
// rotation/; this file writes what a Secret change announces and the views of this process.
import type { EffectiveSpec } from '../api/defaults.js';
import { parseTime } from '../api/time.js';
import { API_VERSION, EXPORTABLE_ANNOTATION, KIND, type AttestedSecret, type AuthServer, type AuthServerStatus, type KeyStatus, type RsaKeySize } from '../api/types.js';
import type { IssuerMetrics } from '../observability/issuer-series.js';
import { sealOwner, type Sealer } from '../rotation/seal.js';
import { initialAnnotations, promoteOperations, readRequests, NEXT_KEY_PEM, type RotationRequests, type SecretPatchOperation } from '../rotation/secret-layout.js';
import type { ServiceAccountIssuerHook } from '../sa-signer/service.js';
import { signingEntryFor, type SigningEntry } from '../signing/key-store.js';
import { attest } from './attestation.js';
import { decide, type Decision, type RecordedEvent, type RefResolution, type SecretChange } from './decide.js';
import { issuerVerdict, type IssuerPolicy } from './issuer-ownership.js';
import type { Observation } from './observe.js';
import { resolveRefs } from './ref-verdicts.js';

/** A Secret to generate (keyGeneration.mode IfMissing), and the event that announces it once created. */
export interface NewSecret {
  name: string;
  authServerName: string;
  algorithm: EffectiveSpec['keyGeneration']['algorithm'];
  rsaKeySize: RsaKeySize;
  annotations: Record<string, string>;
  /** With deletionPolicy Delete: the garbage collector removes the Secret with its AuthServer. */
  owner?: { apiVersion: string; kind: string; name: string; uid: string };
  announce: RecordedEvent;
}

/** The one Secret change of a reconcile, with everything performing it needs but fresh key material. */
export interface SecretWrite {
  change: SecretChange;
  /** The decision's now: what the rotation record in the Secret says. */
  at: number;
  requests: RotationRequests;
  rsaKeySize: RsaKeySize;
  /** GenerateMissing: the Secrets to create. */
  create?: NewSecret[];
  /** Promote: the JSON Patch that moves the next key, from the version decided on; none if it holds no next key. */
  operations?: SecretPatchOperation[];
  /** Emergency: the Warning recorded once the Secret is written. */
  announce?: RecordedEvent;
}

/** What this process keeps of the reconcile, on every replica. */
export interface ProcessViews {
  /** The signing service's entry (docs/architecture.md#the-signing-service); undefined removes it. */
  signing: SigningEntry | undefined;
  /** namespace/name of the Secret whose private key is kept (signing service or service-account issuer). */
  privateOf: string | undefined;
  metrics: IssuerMetrics;
  /** For the cluster's service-account issuer (src/sa-signer/). */
  serviceAccountIssuer?: { spec: EffectiveSpec; resolutions: RefResolution[]; decision: Decision };
}

export type Plan =
  | { kind: 'Forget'; key: string }
  | { kind: 'Apply'; key: string; authServer: AuthServer; decision: Decision; write?: SecretWrite; views: ProcessViews };

export interface PlanContext {
  now: number;
  issuerPolicy: IssuerPolicy;
  sealer: Sealer;
  /** Why the AuthServer cannot be the cluster's service-account issuer (src/sa-signer/policy.ts). */
  issuerProblems?: ServiceAccountIssuerHook['problems'];
}

export function plan(o: Observation, ctx: PlanContext): Plan {
  if (o.gone) return { kind: 'Forget', key: o.key };
  const { authServer: as, spec, now } = { ...o, now: ctx.now };
  const namespace = as.metadata.namespace ?? '';
  const name = as.metadata.name ?? '';
  const resolutions = resolveRefs(o.refs, { spec, namespace, authServer: name, serviceAccountIssuer: o.serviceAccountIssuer });
  const problems = o.serviceAccountIssuer && ctx.issuerProblems ? ctx.issuerProblems(spec, resolutions) : undefined;
  const decision = decide({
    authServer: as, spec, resolutions, issuer: issuerVerdict(as, ctx.issuerPolicy, o.olderClaimant), now,
    jwkOf: o.jwkOf, sealer: ctx.sealer, ...(problems && { issuerProblems: problems }),
    attestedSecrets: attestations(sealOwner(as), o.refs, ctx.sealer),
  });
  const signing = resolutions.find((r) => r.role === 'SignAndVerify');
  const usable = signing?.outcome.ok && signing.refusal === undefined ? signing : undefined;
  const entry = signingEntryFor(spec, {
    active: usable?.outcome.ok ? usable.outcome.value : undefined,
    next: usable?.layout?.next?.ok ? usable.layout.next.value : undefined,
    servedOnIssuer: decision.document.servedOnIssuer,
    exportable: usable?.exportable === true,
  });
  const views: ProcessViews = {
    signing: entry,
    privateOf: (entry || o.serviceAccountIssuer) && signing ? `${namespace}/${signing.secretName}` : undefined,
    metrics: metricsView(as, decision.status, spec),
    ...(o.serviceAccountIssuer && { serviceAccountIssuer: { spec, resolutions, decision } }),
  };
  const write = decision.change && secretWrite(decision.change, o, now);
  return { kind: 'Apply', key: o.key, authServer: as, decision, views, ...(write && { write }) };
}

/** What status attests of the Secrets read for this AuthServer (attestation.ts), each Secret once. */
function attestations(owner: string, refs: Extract<Observation, { gone: false }>['refs'], sealer: Sealer): AttestedSecret[] {
  const out: AttestedSecret[] = [];
  for (const r of refs) {
    if (!r.found || out.some((e) => e.secretName === r.secretName)) continue;
    // Taken from status at this version, its seal checked: the same entry again.
    const entry = r.attested ?? attest(owner, r, sealer);
    if (entry) out.push(entry);
  }
  return out;
}

function secretWrite(change: SecretChange, o: Extract<Observation, { gone: false }>, now: number): SecretWrite {
  const { authServer: as, spec } = o;
  const { algorithm, rsaKeySize, deletionPolicy } = spec.keyGeneration;
  const requests = readRequests(as.metadata.annotations);
  const base = { change, at: now, requests, rsaKeySize };
  switch (change.kind) {
    case 'GenerateMissing': {
      const size = algorithm.startsWith('RS') || algorithm.startsWith('PS') ? `${rsaKeySize}-bit ` : '';
      const annotations = {
        // Requests made before the Secret existed are not new to it.
        ...initialAnnotations(requests, now),
        // Exportability is fixed now: a key generated while export was off never becomes exportable.
        ...(spec.signing.enabled && spec.signing.allowKeysetExport ? { [EXPORTABLE_ANNOTATION]: 'true' } : {}),
      };
      const owner = deletionPolicy === 'Delete' ? { owner: { apiVersion: API_VERSION, kind: KIND, name: as.metadata.name ?? '', uid: as.metadata.uid ?? '' } } : {};
      return {
        ...base,
        create: change.secretNames.map((secretName) => ({
          name: secretName, authServerName: as.metadata.name ?? '', algorithm, rsaKeySize, annotations, ...owner,
          announce: { type: 'Normal', reason: 'KeyGenerated', message: `Generated a ${size}${algorithm} key in Secret "${secretName}" (deletionPolicy ${deletionPolicy})` },
        })),
      };
    }
    case 'Promote': {
      // The API server moves the next key inside the Secret: its private half never reaches the
      // operator. What moves where is known from the version the decision was made from.
      const seen = o.refs.find((r) => r.role === 'SignAndVerify' && r.secretName === change.secretName);
      const layout = seen?.found && seen.secret.version === change.resourceVersion && seen.secret.dataKeys.includes(NEXT_KEY_PEM) ? seen.secret : undefined;
      return { ...base, ...(layout && { operations: promoteOperations(layout, now) }) };
    }
    case 'Emergency':
      return {
        ...base,
        announce: {
          type: 'Warning', reason: 'EmergencyRotation',
          message: `Emergency rotation (annotation signet.dev/rotate-emergency "${requests.emergency ?? ''}"): a new key in Secret "${change.secretName}" signs from now on; ` +
            `the previous signing key kid "${change.replacedKid}" and any next key are no longer served, so tokens they signed no longer verify`,
        },
      };
    default:
      return base;
  }
}

function metricsView(as: AuthServer, status: AuthServerStatus, spec: EffectiveSpec): ProcessViews['metrics'] {
  const keys = status.keys ?? [];
  return {
    namespace: as.metadata.namespace ?? '',
    authserver: as.metadata.name ?? '',
    ready: status.conditions?.find((c) => c.type === 'Ready')?.status === 'True',
    // One literal with every member, absent ones undefined: objects built by spreads got a hidden
    // class each in V8 (about 240 bytes per served key, kept as long as the key is served).
    keys: keys.map((k) => ({ kid: k.kid, role: k.role, publishedSince: k.publishedSince, state: k.state || undefined, transitionAt: transitionOf(k, keys, spec) })),
  };
}

/** When a key next changes state: a Next key signs, a Retired one leaves, an Active one is replaced. */
function transitionOf(k: KeyStatus, keys: readonly KeyStatus[], spec: EffectiveSpec): number | undefined {
  switch (k.state) {
    case 'Next':
      return parseTime(k.activatesAt);
    case 'Retired':
      return parseTime(k.retiresAt);
    case 'Active': {
      const next = keys.find((n) => n.state === 'Next');
      if (next) return parseTime(next.activatesAt);
      const since = parseTime(k.activatesAt);
      return since !== undefined && spec.rotation.periodMs !== undefined ? since + spec.rotation.periodMs : undefined;
    }
    default:
      return undefined;
  }
}
