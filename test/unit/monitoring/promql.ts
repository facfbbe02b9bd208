// Helpers for the monitoring tests: promtool (Prometheus' own checker; `make promtool` installs it),
// the metric names Signet exposes (read from its /metrics text, not copied), and the metric names a
// PromQL expression selects.
import { execFile } from 'node:child_process';
import { createMetrics } from '../../../src/observability/metrics.js';

export interface PromtoolResult {
  code: number;
  output: string;
}

export function promtool(args: string[], cwd: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    execFile('promtool', args, { cwd }, (err, stdout, stderr) => {
      const code = err ? (err as { code?: unknown }).code : 0;
      if (typeof code !== 'number') {
        reject(new Error(`promtool could not run (${err?.message ?? ''}): run \`make promtool\` (Debian's prometheus package ships it)`));
        return;
      }
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}

/** Every series name /metrics can show (its `# TYPE` lines): histograms as _bucket, _sum and _count. */
export async function exposedMetricNames(): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const chunk of createMetrics().exposition()) {
    for (const [, name = '', type] of chunk.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
      else if (type === 'summary') for (const s of ['', '_sum', '_count']) names.add(`${name}${s}`);
      else names.add(name);
    }
  }
  return names;
}

/** Grafana's variables, replaced by what Grafana would send, so that promtool can parse the query. */
export function substituteGrafanaVariables(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$job|\$\{job\}/g, '.+');
}

const KEYWORDS = new Set([
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
  'sum', 'min', 'max', 'avg', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'quantile', 'count_values', 'group',
  'rate', 'irate', 'increase', 'delta', 'idelta', 'deriv', 'histogram_quantile', 'time', 'vector', 'scalar',
  'absent', 'absent_over_time', 'abs', 'clamp_min', 'clamp_max', 'label_replace', 'label_join', 'changes', 'resets',
  'max_over_time', 'min_over_time', 'avg_over_time', 'sum_over_time', 'count_over_time', 'last_over_time', 'timestamp',
]);

/**
 * The metric names an expression selects: what remains after strings, label matchers, grouping
 * clauses, ranges, numbers and PromQL's own words are removed. Checked against a real parse by
 * promtool in the same tests, so an expression this misreads also fails there.
 */
export function selectedMetrics(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ');
  const names = stripped.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? [];
  return [...new Set(names.filter((n) => !KEYWORDS.has(n) && !/^(e|inf|nan)$/i.test(n)))];
}
