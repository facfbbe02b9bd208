// What the controller hands the JWKS server: one AuthServer's published keys and settings.
import type { PublicJwk } from '../keys/types.js';

export interface IssuerDocument {
  namespace: string;
  name: string;
  /** The AuthServer's spec.issuerURI as written. */
  issuerURI: string;
  /**
   * Whether the issuer URI routes here: the controller's verdict (valid, allowed by the operator's
   * issuer policy, and no older AuthServer claims one of its routes). The store follows it and has
   * no ownership rule of its own. The host-independent path is served either way.
   */
  servedOnIssuer: boolean;
  /** Signing key first, then the verify keys in spec order; public members only. */
  keys: PublicJwk[];
  cacheMaxAgeSeconds: number;
  discoveryEnabled: boolean;
}
