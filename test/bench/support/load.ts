// Closed-loop HTTP load against a loopback URL with wrk (C, µs resolution, preferred when
// installed: `apt-get install -y wrk`) or autocannon (npm devDependency, always there), run as a
// separate process pinned to one core.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from './bench.js';
import { pinned, runCommand, which } from './tools.js';

export type LoadTool = 'wrk' | 'autocannon';

export interface LoadOptions {
  url: string;
  host: string;
  connections: number;
  durationS: number;
  /** Core to pin the load generator to. */
  cpu?: number;
  /** Send `Connection: close`: every request on a new connection (over TLS, a full handshake each). */
  newConnectionEachRequest?: boolean;
  /** POST this body, with these extra headers, instead of a GET. */
  post?: { body: string; headers: Record<string, string> };
  /** Requests per second over all connections (open loop), instead of as fast as answered; autocannon only. */
  ratePerSecond?: number;
}

export interface LoadResult {
  tool: LoadTool;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses that were not 2xx (or, for wrk, not 2xx/3xx). */
  non2xx: number;
  errors: number;
}

/** wrk when installed, else autocannon; SIGNET_BENCH_LOAD=wrk|autocannon chooses. */
export function chooseLoadTool(): { tool: LoadTool; note?: string } {
  const wanted = process.env.SIGNET_BENCH_LOAD;
  if (wanted === 'autocannon') return { tool: 'autocannon' };
  if (which('wrk')) return { tool: 'wrk' };
  return {
    tool: 'autocannon',
    note:
      'wrk is not installed (Debian: apt-get install -y wrk); using autocannon, which is JavaScript and ' +
      'may saturate its own core before nginx does, flattering the ratio to nginx.',
  };
}

export async function runLoad(tool: LoadTool, opts: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(opts) : runAutocannon(opts);
}

function headerArgs(headers: Record<string, string>, separator: string): string[] {
  return Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}${separator}${value}`]);
}

/** wrk takes a method and body only from a Lua script; the body as decimal byte escapes is a valid Lua string whatever it holds. */
function wrkPostScript(dir: string, body: string): string {
  const file = path.join(dir, 'post.lua');
  writeFileSync(file, `wrk.method = "POST"\nwrk.body = "${[...Buffer.from(body)].map((b) => `\\${b}`).join('')}"\n`);
  return file;
}

function withCpu(opts: LoadOptions, argv: string[]): string[] {
  return opts.cpu === undefined ? argv : pinned(opts.cpu, argv);
}

async function runWrk(opts: LoadOptions): Promise<LoadResult> {
  const wrk = which('wrk');
  if (!wrk) throw new Error('wrk is not installed');
  if (opts.ratePerSecond !== undefined) throw new Error('wrk has no fixed request rate: use autocannon');
  const close = opts.newConnectionEachRequest ? ['-H', 'Connection: close'] : [];
  const dir = opts.post ? mkdtempSync(path.join(os.tmpdir(), 'signet-wrk-')) : undefined;
  const post = opts.post && dir ? ['-s', wrkPostScript(dir, opts.post.body), ...headerArgs(opts.post.headers, ': ')] : [];
  const argv = withCpu(opts, [wrk, '-t1', `-c${opts.connections}`, `-d${opts.durationS}s`, '--latency', '-H', `Host: ${opts.host}`, ...close, ...post, opts.url]);
  const { code, stdout, stderr } = await runCommand(argv, (opts.durationS + 30) * 1000).finally(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  if (code !== 0) throw new Error(`wrk exited ${code}: ${stderr || stdout}`);
  const num = (re: RegExp): number => {
    const m = re.exec(stdout);
    return m ? Number(m[1]) : NaN;
  };
  const latency = (pct: string): number => {
    const m = new RegExp(`^\\s*${pct}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(stdout);
    if (!m) return NaN;
    const scale = m[2] === 'us' ? 1e-3 : m[2] === 's' ? 1e3 : 1;
    return Number(m[1]) * scale;
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  return {
    tool: 'wrk',
    rps: num(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: latency('50'),
    p99Ms: latency('99'),
    requests: num(/(\d+) requests in/),
    non2xx: /Non-2xx or 3xx responses: (\d+)/.test(stdout) ? num(/Non-2xx or 3xx responses: (\d+)/) : 0,
    errors: socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
  };
}

interface AutocannonJson {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}

async function runAutocannon(opts: LoadOptions): Promise<LoadResult> {
  const cli = path.join(REPO_ROOT, 'node_modules/autocannon/autocannon.js');
  const close = opts.newConnectionEachRequest ? ['-H', 'Connection=close'] : [];
  const post = opts.post ? ['-m', 'POST', ...headerArgs(opts.post.headers, '='), '-b', opts.post.body] : [];
  const rate = opts.ratePerSecond !== undefined ? ['-R', String(opts.ratePerSecond)] : [];
  const argv = withCpu(opts, [process.execPath, cli, '-j', '-c', String(opts.connections), '-d', String(opts.durationS), '-H', `Host=${opts.host}`, ...rate, ...close, ...post, opts.url]);
  const { code, stdout, stderr } = await runCommand(argv, (opts.durationS + 30) * 1000);
  const line = stdout.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`autocannon exited ${code}: ${stderr || stdout}`);
  const r = JSON.parse(line) as AutocannonJson;
  return {
    tool: 'autocannon',
    rps: r.requests.average,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
  };
}
