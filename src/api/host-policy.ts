// The cluster admin's issuer host policy (--issuer-host-policy, docs/architecture.md#serving): which namespaces may
// claim which issuer hosts. Parsed once at startup; bad input is refused with what to fix.
import { Minimatch } from 'minimatch';
import { parse } from 'yaml';
import { hostKey } from './route.js';
import { SignetError } from './errors.js';

/** One rule as written: the namespaces it applies to and the hosts it grants them (globs). */
export interface HostPolicyRule {
  namespaces: string[];
  hosts: string[];
}

interface CompiledRule {
  namespaces: Minimatch[];
  hosts: Minimatch[];
}

export class HostPolicyError extends SignetError {
  override readonly code = 'ERR_SIGNET_HOST_POLICY';
}

// `*` matches any characters, dots included (as Gateway API hostnames do); no comments or
// negation, so that a pattern means what it shows.
const GLOB_OPTIONS = { nocase: true, dot: true, nocomment: true, nonegate: true };

export class HostPolicy {
  private readonly rules: CompiledRule[];

  constructor(rules: readonly HostPolicyRule[]) {
    this.rules = rules.map((r) => ({
      namespaces: r.namespaces.map((p) => new Minimatch(p, GLOB_OPTIONS)),
      hosts: r.hosts.map((p) => new Minimatch(hostKey(p), GLOB_OPTIONS)),
    }));
  }

  /** Whether a rule grants the host (a name without port) to the namespace. */
  allows(namespace: string, hostname: string): boolean {
    const host = hostKey(hostname);
    return this.rules.some((r) => r.namespaces.some((m) => m.match(namespace)) && r.hosts.some((m) => m.match(host)));
  }
}

function patterns(value: unknown, where: string, field: 'namespaces' | 'hosts'): string[] {
  if (!Array.isArray(value) || value.length === 0) throw new HostPolicyError(`${where}: "${field}" must be a non-empty list of globs`);
  return value.map((p: unknown, i) => {
    if (typeof p !== 'string' || p.trim() === '') throw new HostPolicyError(`${where}: ${field}[${i}] must be a non-empty string`);
    if (field === 'hosts' && /[/:@]/.test(p)) {
      throw new HostPolicyError(`${where}: hosts[${i}] "${p}" must be a host name glob without scheme, port or path (for example login.example.com or *.team-a.example.com)`);
    }
    return p;
  });
}

/**
 * Parses the policy file's text: a YAML list of {namespaces: [glob...], hosts: [glob...]}. `source`
 * names the file in error messages.
 */
export function parseHostPolicy(text: string, source: string): HostPolicy {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new HostPolicyError(`${source} is not valid YAML: ${(err as Error).message}`);
  }
  if (!Array.isArray(doc)) {
    throw new HostPolicyError(`${source} must hold a YAML list of rules like "- {namespaces: [team-a], hosts: [login.team-a.example.com]}"`);
  }
  const rules = doc.map((item: unknown, i): HostPolicyRule => {
    const where = `${source}: rule ${i + 1}`;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) throw new HostPolicyError(`${where} must be a map with "namespaces" and "hosts"`);
    const unknown = Object.keys(item).filter((k) => k !== 'namespaces' && k !== 'hosts');
    if (unknown.length > 0) throw new HostPolicyError(`${where} has unknown field(s) ${unknown.map((k) => `"${k}"`).join(', ')}; a rule has only "namespaces" and "hosts"`);
    const { namespaces, hosts } = item as Record<string, unknown>;
    return { namespaces: patterns(namespaces, where, 'namespaces'), hosts: patterns(hosts, where, 'hosts') };
  });
  return new HostPolicy(rules);
}
