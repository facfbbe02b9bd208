// What the controller hands the JWKS server: one AuthServer's published keys and settings.
import type { Route } from '../api/route.js';
import type { PublicJwk } from '../keys/types.js';

export type IssuerDocument = PublishedSettings & IssuerRouting;

export interface PublishedSettings {
  namespace: string;
  name: string;
  /** The AuthServer's spec.issuerURI as written (the discovery document's `issuer`). */
  issuerURI: string;
  /** Signing key first, then the verify keys in spec order; public members only. */
  keys: PublicJwk[];
  cacheMaxAgeSeconds: number;
  discoveryEnabled: boolean;
}

/** What /readyz answers (observability/health.ts): the controller's verdict, held back until the JWKS listener serves it. */
export interface Readiness {
  ready: boolean;
  message: string;
}

/**
 * Where the controller publishes documents: the JWKS listener's thread (jwks/serving-thread.ts).
 * servedJwks answers the one question a reconcile asks of what is served: the public JWKs an
 * AuthServer's JWKS holds under these kids (rotation/retention.ts: what a key replaced in place
 * looked like).
 */
export interface JwksPublisher {
  set(doc: IssuerDocument): void;
  delete(namespace: string, name: string): void;
  servedJwks(namespace: string, name: string, kids: readonly string[]): Promise<PublicJwk[]>;
}

/**
 * Whether the issuer URI routes here, and where: the controller's verdict (valid, allowed by the
 * operator's issuer policy, and no older AuthServer claims one of its routes) with the route it
 * judged. The store follows it and neither parses the URI nor has an ownership rule of its own.
 * The host-independent path is served either way.
 */
export type IssuerRouting = { servedOnIssuer: true; issuerRoute: Route } | { servedOnIssuer: false };
