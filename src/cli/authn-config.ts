// kubectl signet authn-config NAME: the AuthenticationConfiguration (kube-apiserver
// --authentication-config) whose jwt[] entry makes a kube-apiserver trust the AuthServer's issuer.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { getAuthServer } from './authservers.js';
import { connect, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { serialize } from './output.js';
import { kubeAuthenticatorProblems } from '../api/kube-authenticator.js';
import type { AuthServer } from '../api/types.js';
import { nameOf } from './view.js';

/** v1beta1 is served from Kubernetes 1.30 on; v1 from 1.34. */
export const AUTHN_API_VERSIONS = ['apiserver.config.k8s.io/v1beta1', 'apiserver.config.k8s.io/v1'] as const;

export interface AuthnOptions {
  audiences: string[];
  caPem?: string;
  usernameClaim: string;
  /** Default: "<issuer>#", as the kube-apiserver prefixes non-email usernames of an --oidc-issuer-url. */
  usernamePrefix?: string;
  discoveryURL?: string;
  apiVersion: (typeof AUTHN_API_VERSIONS)[number];
}

/** The whole document; its jwt[0] is the stanza to merge into an existing configuration. */
export function authenticationConfiguration(as: AuthServer, o: AuthnOptions) {
  const issuer = as.status?.issuerURI ?? as.spec.issuerURI;
  // The authenticator's own limits (api/kube-authenticator.ts); --discovery-url stands in for discovery.
  const problems = kubeAuthenticatorProblems({ issuerURI: issuer, discoveryEnabled: as.spec.discovery?.enabled !== false || o.discoveryURL !== undefined });
  if (problems.length > 0) {
    const hint = problems.some((p) => p.startsWith('spec.discovery')) ? ' (or pass --discovery-url)' : '';
    throw new CliError(`${nameOf(as)} has the issuer ${issuer}, which the kube-apiserver cannot trust: ${problems.join('; ')}${hint}`);
  }
  return {
    apiVersion: o.apiVersion,
    kind: 'AuthenticationConfiguration',
    jwt: [{
      issuer: {
        url: issuer,
        ...(o.discoveryURL ? { discoveryURL: o.discoveryURL } : {}),
        audiences: o.audiences,
        ...(o.audiences.length > 1 ? { audienceMatchPolicy: 'MatchAny' } : {}),
        ...(o.caPem ? { certificateAuthority: o.caPem } : {}),
      },
      claimMappings: { username: { claim: o.usernameClaim, prefix: o.usernamePrefix ?? `${issuer}#` } },
    }],
  };
}

export function authnConfigCommand(): Command {
  return new Command('authn-config')
    .description('the AuthenticationConfiguration (kube-apiserver --authentication-config) that trusts this issuer; jwt[0] is the stanza to merge')
    .argument('<name>', 'AuthServer name')
    .option('--audience <aud>', 'an aud the tokens carry (repeatable; default: the issuer URI)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--ca-file <file>', 'PEM CA bundle that signed the issuer\'s TLS certificate (default: the system roots)')
    .option('--username-claim <claim>', 'the claim that becomes the username', 'sub')
    .option('--username-prefix <prefix>', 'prefix of usernames (default "<issuer>#", as --oidc-issuer-url does; "" for none)')
    .option('--discovery-url <url>', 'where the kube-apiserver fetches discovery, when it cannot reach the issuer URL itself')
    .addOption(new Option('--api-version <v>', 'apiVersion of the document').choices(AUTHN_API_VERSIONS).default(AUTHN_API_VERSIONS[0]))
    .action(async (name: string, opts: { audience?: string[]; caFile?: string; usernameClaim: string; usernamePrefix?: string; discoveryUrl?: string; apiVersion: AuthnOptions['apiVersion'] }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      let caPem: string | undefined;
      if (opts.caFile) {
        try {
          caPem = readFileSync(opts.caFile, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read --ca-file ${opts.caFile}: ${(err as Error).message}`);
        }
        if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new CliError(`--ca-file ${opts.caFile} holds no PEM certificate`);
      }
      const as = await getAuthServer(connect(g), name);
      const issuer = as.status?.issuerURI ?? as.spec.issuerURI;
      const doc = authenticationConfiguration(as, {
        audiences: opts.audience ?? [issuer], usernameClaim: opts.usernameClaim, apiVersion: opts.apiVersion,
        ...(caPem ? { caPem } : {}), ...(opts.usernamePrefix !== undefined ? { usernamePrefix: opts.usernamePrefix } : {}),
        ...(opts.discoveryUrl ? { discoveryURL: opts.discoveryUrl } : {}),
      });
      process.stdout.write(serialize(doc, g.output === 'json' ? 'json' : 'yaml'));
    });
}
