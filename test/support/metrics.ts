// Reading the operator's Prometheus exposition in tests.
/** The operator's /metrics text; with `names`, only those metric families (?name[]=…). */
export async function scrape(port: number, names: readonly string[] = []): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics${names.length > 0 ? `?${names.map((n) => `name[]=${encodeURIComponent(n)}`).join('&')}` : ''}`);
  return res.text();
}

/** The value of one sample, e.g. metricValue(text, 'signet_leader') or with a label filter. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map([...(m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(m[3]);
  }
  return undefined;
}
