// Who may serve an issuer, as pure functions (docs/architecture.md#serving): whether an AuthServer's issuer is valid
// and allowed by the operator's policy, which routes it claims, and which of two AuthServers
// claiming a shared route keeps it. The IssuerIndex applies these to every AuthServer it sees.
import type { HostPolicy } from '../api/host-policy.js';
import { checkIssuer } from '../api/issuer.js';
import { fail, ok, type Result } from '../api/result.js';
import { routeKeys, type Route } from '../api/route.js';
import { ALLOW_UNSAFE_ISSUER_ANNOTATION, type AuthServer } from '../api/types.js';

/** The cluster admin's say over issuers, from the command line. */
export interface IssuerPolicy {
  /** --allow-insecure-issuers: the allow-unsafe annotation takes effect. */
  allowInsecure: boolean;
  /** --issuer-host-policy; undefined: every namespace may claim any host. */
  hostPolicy?: HostPolicy;
}

/** The reasons for which an issuer is not served (Ready=False). */
export const ISSUER_REASONS = ['InvalidIssuerURI', 'InsecureIssuerNotAllowed', 'IssuerNotAllowed', 'IssuerConflict'] as const;
export type IssuerReason = (typeof ISSUER_REASONS)[number];

/** Served, on this route (what the JWKS store routes by), or why not. */
export type IssuerVerdict = Result<Route, IssuerReason>;

type Admission = IssuerVerdict;

/** Everything but ownership: the issuer is valid and the policy lets this namespace claim it. */
function admit(as: AuthServer, policy: IssuerPolicy): Admission {
  const uri = as.spec?.issuerURI ?? '';
  const check = checkIssuer(uri, as.metadata.annotations?.[ALLOW_UNSAFE_ISSUER_ANNOTATION] === 'true');
  if (!check.ok) return check;
  const { scheme, hostname, route } = check.value;
  if (scheme === 'http' && !policy.allowInsecure) {
    return fail('InsecureIssuerNotAllowed',
      `spec.issuerURI "${uri}" uses http, which this Signet does not allow; use https, or (development only) start Signet with --allow-insecure-issuers`);
  }
  const namespace = as.metadata.namespace ?? '';
  if (policy.hostPolicy && !policy.hostPolicy.allows(namespace, hostname)) {
    return fail('IssuerNotAllowed',
      `the issuer host policy does not grant host "${hostname}" to namespace "${namespace}"; use a host granted to this namespace, or ask a cluster admin to add a rule to the --issuer-host-policy file`);
  }
  return ok(route);
}

/** The route keys an AuthServer claims, or undefined when its issuer may not be served at all. */
export function issuerClaim(as: AuthServer, policy: IssuerPolicy): string[] | undefined {
  const admission = admit(as, policy);
  return admission.ok ? routeKeys(admission.value) : undefined;
}

/**
 * The verdict on an AuthServer's issuer. `olderClaimant` is the AuthServer that keeps a route this
 * one claims (IssuerIndex.olderClaimant), if any.
 */
export function issuerVerdict(as: AuthServer, policy: IssuerPolicy, olderClaimant: string | undefined): IssuerVerdict {
  const admission = admit(as, policy);
  if (!admission.ok) return admission;
  if (olderClaimant !== undefined) {
    return fail('IssuerConflict', `issuer "${as.spec.issuerURI}" is already claimed by the older AuthServer ${olderClaimant} (the same host and path, however spelled); choose another issuerURI or delete that AuthServer`);
  }
  return admission;
}

const NOT_SERVED: ReadonlySet<string> = new Set(ISSUER_REASONS);

/** Whether the status says this AuthServer has been serving its issuer as written now. */
export function servedIssuer(as: AuthServer): boolean {
  const ready = as.status?.conditions?.find((c) => c.type === 'Ready');
  return !!ready && as.status?.issuerURI === as.spec?.issuerURI && !NOT_SERVED.has(ready.reason);
}

export interface IssuerClaim {
  /** namespace/name */
  key: string;
  /** Route keys (routeKeys): two claims overlap when they share one. */
  routes: readonly string[];
  creationTimestamp: string;
  /** Its status shows it served this issuer: it keeps it against a newcomer created in the same second. */
  incumbent: boolean;
}

/**
 * Whether `a` keeps a route it shares with `b`: the older AuthServer does (docs/architecture.md#serving). Creation
 * times have one-second resolution, so a tie goes to the incumbent, then to the lexically smaller
 * namespace/name, so that every replica agrees.
 */
export function precedes(a: IssuerClaim, b: IssuerClaim): boolean {
  if (a.creationTimestamp !== b.creationTimestamp) return a.creationTimestamp < b.creationTimestamp;
  if (a.incumbent !== b.incumbent) return a.incumbent;
  return a.key < b.key;
}
