// The controller's verdict that an issuer is served, with the route checkIssuer reads from it.
import { checkIssuer } from '../../src/api/issuer.js';
import type { IssuerVerdict } from '../../src/controller/issuer-ownership.js';

export function servedOn(issuerURI: string): IssuerVerdict {
  const check = checkIssuer(issuerURI, true);
  if (!check.ok) throw new Error(`test issuer ${issuerURI} is not valid: ${check.problem.message}`);
  return { ok: true, value: check.value.route };
}
