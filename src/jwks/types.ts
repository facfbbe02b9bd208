// What the controller hands the JWKS server: one AuthServer's published keys and settings.
import type { PublicJwk } from '../keys/types.js';

export interface IssuerDocument {
  namespace: string;
  name: string;
  /** The AuthServer's spec.issuerURI as written. */
  issuerURI: string;
  /**
   * Whether the issuer URI routes here (valid, and this AuthServer owns it: no older AuthServer
   * claims the same issuer). The host-independent path is served either way.
   */
  servedOnIssuer: boolean;
  /** Signing key first, then the verify keys in spec order; public members only. */
  keys: PublicJwk[];
  cacheMaxAgeSeconds: number;
  discoveryEnabled: boolean;
}
