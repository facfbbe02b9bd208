// Runs tls-resume-child.ts (pinned like the other load generators): new connections that resume
// the previous session, counted.
import path from 'node:path';
import { REPO_ROOT } from './bench.js';
import { pinned, runCommand } from './tools.js';

export interface ResumeResult {
  connections: number;
  resumed: number;
  errors: number;
  seconds: number;
}

const CHILD = path.join(REPO_ROOT, 'test/bench/support/tls-resume-child.ts');

export async function runResumeLoad(opts: { port: number; host: string; path: string; seconds: number; concurrency: number; cpu: number | undefined }): Promise<ResumeResult> {
  const node = [process.execPath, '--import', 'tsx', CHILD, String(opts.port), opts.host, opts.path, String(opts.seconds), String(opts.concurrency)];
  const r = await runCommand(opts.cpu === undefined ? node : pinned(opts.cpu, node), (opts.seconds + 30) * 1000);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as ResumeResult;
  } catch {
    throw new Error(`the resumption client printed no result (exit ${r.code}): ${r.stderr.slice(-500)}`);
  }
}
