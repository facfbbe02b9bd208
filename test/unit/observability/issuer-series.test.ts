// The per-issuer series: what the alerts and the dashboard query, in text Prometheus parses, and
// rendered without holding the event loop for all issuers at once.
import { spawn } from 'node:child_process';
import { jest } from '@jest/globals';
import { createMetrics } from '../../../src/observability/metrics.js';
import type { IssuerMetrics } from '../../../src/observability/issuer-series.js';
import { metricValue } from '../../support/metrics.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');

function issuer(name: string, over: Partial<IssuerMetrics> = {}): IssuerMetrics {
  return {
    namespace: 'team', authserver: name, ready: true,
    keys: [
      { kid: `${name}-a`, role: 'SignAndVerify', publishedSince: '2026-12-01T11:00:00Z', state: 'Active', transitionAt: Date.parse('2026-12-02T11:00:00Z') },
      { kid: `${name}-b`, role: 'VerifyOnly', publishedSince: '2026-12-01T11:59:30Z', state: undefined, transitionAt: undefined },
    ],
    ...over,
  };
}

async function scrape(issuers: IssuerMetrics[]): Promise<string> {
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.setIssuers(() => issuers);
  jest.useFakeTimers({ now: NOW, doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
  try {
    let text = '';
    for await (const chunk of metrics.exposition()) text += chunk;
    return text;
  } finally {
    jest.useRealTimers();
  }
}

it('shows each AuthServer\'s readiness, key counts, key ages and key transitions', async () => {
  const text = await scrape([issuer('login'), issuer('broken', { ready: false, keys: ['c', 'd'].map((kid) => ({ kid, role: 'VerifyOnly' as const, publishedSince: '2026-12-01T11:00:00Z', state: undefined, transitionAt: undefined })) })]);
  const login = { namespace: 'team', authserver: 'login' };
  expect(metricValue(text, 'signet_authserver_ready', login)).toBe(1);
  expect(metricValue(text, 'signet_authserver_ready', { ...login, authserver: 'broken' })).toBe(0);
  expect(metricValue(text, 'signet_keys', { ...login, role: 'SignAndVerify' })).toBe(1);
  expect(metricValue(text, 'signet_keys', { ...login, authserver: 'broken', role: 'VerifyOnly' })).toBe(2);
  expect(metricValue(text, 'signet_keys', { ...login, authserver: 'broken', role: 'SignAndVerify' })).toBe(0);
  expect(metricValue(text, 'signet_key_age_seconds', { ...login, kid: 'login-a', role: 'SignAndVerify' })).toBe(3600);
  expect(metricValue(text, 'signet_key_age_seconds', { ...login, kid: 'login-b', role: 'VerifyOnly' })).toBe(30);
  expect(metricValue(text, 'signet_key_transition_timestamp_seconds', { ...login, kid: 'login-a', state: 'Active' })).toBe(Date.parse('2026-12-02T11:00:00Z') / 1000);
  // A key not under rotation has no transition.
  expect(text).not.toMatch(/signet_key_transition_timestamp_seconds\{[^}]*kid="login-b"/);
});

it('an AuthServer forgotten is gone from the next scrape', async () => {
  const issuers = [issuer('login'), issuer('gone')];
  expect(await scrape(issuers)).toContain('authserver="gone"');
  expect(await scrape(issuers.slice(0, 1))).not.toContain('authserver="gone"');
});

it('escapes label values so that Prometheus parses them back (promtool check metrics)', async () => {
  const kid = 'a"b\\c\nd';
  const text = await scrape([issuer('login', { keys: [{ kid, role: 'SignAndVerify', publishedSince: '2026-12-01T11:00:00Z', state: 'Active', transitionAt: NOW }] })]);
  expect(text).toContain('kid="a\\"b\\\\c\\nd"');
  expect(await promtoolCheckMetrics(text)).toEqual({ code: 0, output: '' });
});

it('lets other work run between slices of a scrape of thousands of issuers', async () => {
  const issuers = Array.from({ length: 2_000 }, (_, i) => issuer(`as-${i}`));
  const metrics = createMetrics({ defaultMetrics: false });
  metrics.setIssuers(() => issuers);
  const order: string[] = [];
  const scraping = (async () => {
    for await (const chunk of metrics.exposition()) order.push(chunk.includes('authserver="as-1999"') ? 'last issuer' : 'chunk');
  })();
  setImmediate(() => order.push('a request'));
  await scraping;
  const served = order.indexOf('a request');
  expect(served).toBeGreaterThan(0);
  expect(served).toBeLessThan(order.indexOf('last issuer'));
});

/** Prometheus' own parser and linter, reading the exposition on stdin (`make promtool` installs it). */
function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics']);
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, output }));
    child.stdin.end(text);
  });
}
