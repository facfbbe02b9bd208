// kubectl signet keys NAME: each key of one AuthServer with its state and timeline.
import { Command } from 'commander';
import { getAuthServer } from './authservers.js';
import { connect, type GlobalOptions } from './context.js';
import { relative, serialize, table } from './output.js';
import { keyRows, type KeyRow } from './view.js';

export function keysTable(rows: readonly KeyRow[], now: number): string {
  const when = (iso: string | undefined): string => (iso ? `${iso} (${relative(iso, now)})` : '<none>');
  return table(
    ['KID', 'STATE', 'ALG', 'SIZE', 'PUBLISHED', 'ACTIVATES', 'RETIRES', 'SECRET'],
    rows.map((r) => [r.kid, r.state, r.algorithm || '<unknown>', r.keySize ? String(r.keySize) : '<unknown>',
      when(r.publishedSince), when(r.activatesAt), when(r.retiresAt), r.secretName || '<none>']),
  );
}

export function keysCommand(): Command {
  return new Command('keys')
    .description('the keys of one AuthServer: kid, algorithm, size, state, published since, activates/retires at, Secret')
    .argument('<name>', 'AuthServer name')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const as = await getAuthServer(connect(g), name);
      const rows = keyRows(as);
      if (g.output === 'json' || g.output === 'yaml') {
        process.stdout.write(serialize({ namespace: as.metadata.namespace, name: as.metadata.name, signingKid: as.status?.signingKeyID, keys: rows }, g.output));
        return;
      }
      if (rows.length === 0) {
        process.stderr.write(`AuthServer ${as.metadata.namespace}/${name} reports no keys yet (kubectl describe authserver ${name} -n ${as.metadata.namespace} shows why).\n`);
        return;
      }
      process.stdout.write(keysTable(rows, Date.now()));
    });
}
