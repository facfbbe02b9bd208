// The logger as the operator's stdout shows it: run in a process of its own, so that what is
// asserted is what a log collector reads.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LOGGER = fileURLToPath(new URL('../../../src/observability/logger.ts', import.meta.url));

/** The JSON lines a process writes that creates a logger at `level` and runs `calls` on it (`log`). */
function linesOf(level: string, calls: string): Array<Record<string, unknown>> {
  const script = `const { createLogger } = await import(${JSON.stringify(LOGGER)}); const log = createLogger(${JSON.stringify(level)}); ${calls}`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`logger process failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('createLogger', () => {
  it('writes messages at and above its level as JSON lines with their fields, and nothing below it', () => {
    const lines = linesOf('info', `log.debug('reconcile queued', { authserver: 'team-a/auth' }); log.info('generated key', { secret: 'k' }).warn('slow', { ms: 5 }); log.error('failed', { error: 'boom' });`);
    expect(lines.map((l) => [l.level, l.message])).toEqual([['info', 'generated key'], ['warn', 'slow'], ['error', 'failed']]);
    expect(lines[0]).toMatchObject({ secret: 'k', timestamp: expect.any(String) });
  });

  it('writes debug lines at debug level, and only errors at error level', () => {
    expect(linesOf('debug', `log.debug('reconcile queued', { authserver: 'team-a/auth' });`)).toEqual([expect.objectContaining({ level: 'debug', message: 'reconcile queued', authserver: 'team-a/auth' })]);
    expect(linesOf('error', `log.warn('w'); log.info('i'); log.debug('d'); log.error('e');`).map((l) => l.message)).toEqual(['e']);
  });
});
