// The per-issuer Prometheus series (readiness, key counts, key age, key transitions), rendered at
// each scrape from what the reconciler keeps, in slices with a turn of the event loop between
// them. At 10,000 issuers these are about 90,000 lines (11 MB); prom-client renders a family in
// one synchronous pass (300 ms there), and every JWKS request waited behind each scrape. Kept out
// of prom-client's registry, they also cost no label-set objects between scrapes.
import { setImmediate as turn } from 'node:timers/promises';
import type { KeyRole } from '../api/types.js';

/** A served key, as its series show it. */
export interface IssuerKey {
  kid: string;
  role: KeyRole;
  publishedSince: string;
  /** Its state (docs/architecture.md#rotation) and when it next changes state (epoch ms), with rotation. */
  state: string | undefined;
  transitionAt: number | undefined;
}

/** What one AuthServer's series show. */
export interface IssuerMetrics {
  namespace: string;
  authserver: string;
  ready: boolean;
  keys: readonly IssuerKey[];
}

/** Issuers rendered between two turns of the event loop (about a millisecond's work). */
const SLICE = 200;

interface Family {
  name: string;
  help: string;
  lines(i: IssuerMetrics, labels: string, now: number): string;
}

const FAMILIES: readonly Family[] = [
  {
    name: 'signet_authserver_ready',
    help: '1 when the AuthServer\'s Ready condition is True, else 0.',
    lines: (i, labels) => `signet_authserver_ready{${labels}} ${i.ready ? 1 : 0}\n`,
  },
  {
    name: 'signet_keys',
    help: 'Keys served per AuthServer by role.',
    lines: (i, labels) => {
      const signing = i.keys.filter((k) => k.role === 'SignAndVerify').length;
      return `signet_keys{${labels},role="SignAndVerify"} ${signing}\nsignet_keys{${labels},role="VerifyOnly"} ${i.keys.length - signing}\n`;
    },
  },
  {
    name: 'signet_key_age_seconds',
    help: 'Seconds since each served key was first published.',
    lines: (i, labels, now) => i.keys.map((k) =>
      `signet_key_age_seconds{${labels},kid="${labelValue(k.kid)}",role="${k.role}"} ${Math.max(0, (now - Date.parse(k.publishedSince)) / 1000)}\n`).join(''),
  },
  {
    name: 'signet_key_transition_timestamp_seconds',
    help: 'When each served key next changes state (Unix seconds): an Active key stops signing, a Next key starts, a Retired key leaves the JWKS.',
    lines: (i, labels) => i.keys.map((k) => k.transitionAt === undefined ? '' :
      `signet_key_transition_timestamp_seconds{${labels},kid="${labelValue(k.kid)}",state="${labelValue(k.state ?? '')}"} ${k.transitionAt / 1000}\n`).join(''),
  },
];

/**
 * The exposition text of every issuer's series, a slice at a time (each chunk ends with a
 * newline), waiting a turn of the event loop between slices. `issuers` is read once, at the start.
 */
export async function* issuerSeries(issuers: Iterable<IssuerMetrics>, now: number, names?: ReadonlySet<string>): AsyncGenerator<string> {
  const families = FAMILIES.filter((f) => !names || names.has(f.name));
  if (families.length === 0) return;
  const all = [...issuers];
  for (const family of families) {
    let chunk = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} gauge\n`;
    for (let n = 0; n < all.length; n++) {
      const issuer = all[n] as IssuerMetrics;
      chunk += family.lines(issuer, `namespace="${labelValue(issuer.namespace)}",authserver="${labelValue(issuer.authserver)}"`, now);
      if ((n + 1) % SLICE === 0) {
        yield chunk;
        chunk = '';
        await turn();
      }
    }
    if (chunk) yield chunk;
  }
}

/** A label value in the text exposition format: backslash, double quote and newline escaped. */
function labelValue(value: string): string {
  return !/[\\"\n]/.test(value) ? value : value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
