// kubectl signet status [-n NS | -A]: every AuthServer with its readiness, signing key, keys by
// state and next transition.
import { Command } from 'commander';
import { listAuthServers } from './authservers.js';
import { connect, type GlobalOptions } from './context.js';
import { age, relative, serialize, table } from './output.js';
import type { AuthServer } from '../api/types.js';
import { keyRows, keysByState, nextTransition, readiness, signingKey } from './view.js';

export function statusSummary(as: AuthServer) {
  const ready = readiness(as);
  const signing = signingKey(as);
  const rows = keyRows(as);
  return {
    namespace: as.metadata.namespace ?? '',
    name: as.metadata.name ?? '',
    issuer: as.status?.issuerURI ?? as.spec.issuerURI,
    ready: ready.ready,
    reason: ready.reason,
    message: ready.message,
    signingKid: as.status?.signingKeyID ?? signing?.kid ?? '',
    signingKeyPublishedSince: signing?.publishedSince,
    /** When it started signing: activatesAt under rotation, else (a ref edit) when it was first served. */
    signingKeyActiveSince: signing?.activatesAt ?? signing?.publishedSince,
    keys: Object.fromEntries(rows.reduce((m, r) => m.set(r.state, (m.get(r.state) ?? 0) + 1), new Map<string, number>())),
    nextTransition: nextTransition(as),
  };
}

export function statusTable(items: readonly AuthServer[], allNamespaces: boolean, now: number): string {
  const headers = [...(allNamespaces ? ['NAMESPACE'] : []), 'NAME', 'ISSUER', 'READY', 'REASON', 'SIGNING KID', 'KEY AGE', 'KEYS', 'NEXT TRANSITION'];
  const rows = items.map((as) => {
    const s = statusSummary(as);
    const next = s.nextTransition ? `${s.nextTransition.what} ${relative(s.nextTransition.at, now)}` : '<none>';
    return [...(allNamespaces ? [s.namespace] : []), s.name, s.issuer, s.ready, s.reason || '<none>', s.signingKid || '<none>',
      s.signingKid ? age(s.signingKeyActiveSince, now) : '<none>', keysByState(keyRows(as)), next];
  });
  return table(headers, rows);
}

export function statusCommand(): Command {
  return new Command('status')
    .description('every AuthServer: issuer, readiness, signing key and its age, keys by state, next transition')
    .option('-A, --all-namespaces', 'AuthServers in every namespace')
    .action(async (opts: { allNamespaces?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const cluster = connect(g);
      const items = await listAuthServers(cluster, opts.allNamespaces ?? false);
      if (g.output === 'json' || g.output === 'yaml') {
        process.stdout.write(serialize({ items: items.map(statusSummary) }, g.output));
        return;
      }
      if (items.length === 0) {
        process.stderr.write(opts.allNamespaces ? 'No AuthServers found.\n' : `No AuthServers found in ${cluster.namespace} namespace.\n`);
        return;
      }
      process.stdout.write(statusTable(items, opts.allNamespaces ?? false, Date.now()));
    });
}
