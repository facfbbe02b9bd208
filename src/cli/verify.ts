// kubectl signet verify NAME TOKEN: decodes the token and says which served key verifies it, or
// exactly why none does.
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { getAuthServer } from './authservers.js';
import { connect, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { relative, serialize } from './output.js';
import { servedKeys } from './served-keys.js';
import { checkToken } from './token-check.js';
import { nameOf } from './view.js';

function readToken(arg: string): string {
  const text = arg === '-' ? readFileSync(0, 'utf8') : arg;
  return text.trim().replace(/^Bearer\s+/i, '');
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description('which key the AuthServer serves verifies TOKEN ("-" reads it from stdin), or why none does')
    .argument('<name>', 'AuthServer name')
    .argument('<token>', 'a compact JWS, or - for stdin')
    .option('--jwks-url <url>', 'fetch the served keys from this URL instead of status.jwksURI (e.g. through a port-forward)')
    .option('--ca-file <file>', 'CA bundle that signed the JWKS server certificate')
    .action(async (name: string, tokenArg: string, opts: { jwksUrl?: string; caFile?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const cluster = connect(g);
      const as = await getAuthServer(cluster, name);
      const full = nameOf(as);
      const token = readToken(tokenArg);
      const issuer = as.status?.issuerURI ?? as.spec.issuerURI;
      let ca: string | undefined;
      if (opts.caFile) {
        try {
          ca = readFileSync(opts.caFile, 'utf8');
        } catch (err) {
          throw new CliError(`cannot read --ca-file ${opts.caFile}: ${(err as Error).message}`);
        }
      }
      const fetched = await servedKeys(cluster, as, { ...opts, ...(ca ? { ca } : {}) });
      if (fetched.keys.length === 0) {
        throw new CliError(`cannot get the keys ${full} serves: ${fetched.attempts.join('; ') || 'status has no jwksURI'}. ` +
          'Reach the JWKS with a port-forward (kubectl port-forward -n signet-system svc/signet 8080:80) and pass --jwks-url', 3);
      }
      const verdict = await checkToken(token, fetched.keys, issuer, new Date());
      if (g.output === 'json' || g.output === 'yaml') {
        process.stdout.write(serialize({ authServer: full, issuer, keysFrom: fetched.source || 'status.retiredKeys', ...verdict }, g.output));
        if (!verdict.verified) process.exitCode = 1;
        return;
      }
      const now = Date.now();
      const facts = [
        `keys from: ${fetched.source || 'status.retiredKeys (the JWKS was not reachable)'}`,
        `token: alg=${verdict.alg ?? ''} kid=${verdict.kid ?? '<none>'} iss=${String(verdict.claims?.iss ?? '<none>')} sub=${String(verdict.claims?.sub ?? '<none>')}` +
          (typeof verdict.claims?.exp === 'number' ? ` exp=${new Date(verdict.claims.exp * 1000).toISOString()} (${relative(new Date(verdict.claims.exp * 1000).toISOString(), now)})` : ''),
      ];
      if (!verdict.verified) {
        process.stdout.write(`${facts.join('\n')}\n`);
        throw new CliError(`NOT VERIFIED by ${full}: ${verdict.failure}: ${verdict.message}`);
      }
      process.stdout.write(`${facts.join('\n')}\nVERIFIED by ${full}: key ${verdict.kid} (${[verdict.state || 'not in status', verdict.alg, verdict.secretName && `Secret ${verdict.secretName}`].filter(Boolean).join(', ')})\n`);
    });
}
