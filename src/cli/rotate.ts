// kubectl signet rotate NAME [--emergency]: sets signet.dev/rotate (or signet.dev/rotate-emergency)
// to a new value, then waits for the transition the operator makes and prints it.
import { Command, Option } from 'commander';
import { findCondition } from '../api/conditions.js';
import { annotate, getAuthServer } from './authservers.js';
import { connect, type GlobalOptions } from './context.js';
import { CliError } from './errors.js';
import { relative, serialize } from './output.js';
import { ROTATE_ANNOTATION, ROTATE_EMERGENCY_ANNOTATION, type AuthServer } from '../api/types.js';
import { keyRows, nameOf, signingKey } from './view.js';

export type RotateOutcome =
  | { done: true; kind: 'published'; kid: string; activatesAt?: string }
  | { done: true; kind: 'promotionRequested'; kid: string; activatesAt?: string }
  | { done: true; kind: 'activated'; kid: string; previousKid?: string }
  | { done: false; reason: string; message: string };

/** Why a rotation cannot be asked of this AuthServer, or undefined when it can. */
export function refuseRotation(as: AuthServer): string | undefined {
  const name = nameOf(as);
  const signing = signingKey(as);
  if (!signing) return `${name} has no signing key yet: nothing to rotate (kubectl signet status -n ${as.metadata.namespace} shows why)`;
  if (signing.generated === false) {
    return `${name} signs with Secret ${signing.secretName}, which Signet did not generate, and Signet never changes a Secret it did not create. ` +
      'Rotate it by editing the refs (add the next key to extraVerifyKeyRefs, then make it signAndVerifyKeyRef; see docs/rotation.md), ' +
      'or point signAndVerifyKeyRef at a new Secret name for Signet to generate';
  }
  return undefined;
}

/** The transition that `after` shows compared with `before`, a refusal the operator reported, or undefined (not yet). */
export function observeRotation(before: AuthServer, after: AuthServer, emergency: boolean): RotateOutcome | undefined {
  const oldKid = before.status?.signingKeyID;
  const newKid = after.status?.signingKeyID;
  if (newKid && newKid !== oldKid) return { done: true, kind: 'activated', kid: newKid, ...(oldKid ? { previousKid: oldKid } : {}) };
  if (!emergency) {
    const wasNext = new Map(keyRows(before).filter((r) => r.state === 'Next').map((r) => [r.kid, r.activatesAt]));
    for (const next of keyRows(after).filter((r) => r.state === 'Next')) {
      const at = next.activatesAt ? { activatesAt: next.activatesAt } : {};
      if (!wasNext.has(next.kid)) return { done: true, kind: 'published', kid: next.kid, ...at };
      // A request while a next key is published brings its activation forward, never before publishAhead.
      if (wasNext.get(next.kid) !== next.activatesAt) return { done: true, kind: 'promotionRequested', kid: next.kid, ...at };
    }
  }
  const ready = findCondition(after.status?.conditions, 'Ready');
  const wasReady = findCondition(before.status?.conditions, 'Ready');
  if (ready && ready.status === 'False' && (wasReady?.status !== 'False' || wasReady.reason !== ready.reason || wasReady.message !== ready.message)) {
    return { done: false, reason: ready.reason, message: ready.message };
  }
  return undefined;
}

export function describeOutcome(name: string, o: RotateOutcome & { done: true }, now: number): string {
  const when = o.kind !== 'activated' && o.activatesAt ? `; it starts signing at ${o.activatesAt} (${relative(o.activatesAt, now)})` : '';
  if (o.kind === 'published') return `${name}: next key ${o.kid} published${when}\n`;
  if (o.kind === 'promotionRequested') return `${name}: next key ${o.kid} was already published; rotation requested${when}\n`;
  return `${name}: key ${o.kid} signs now${o.previousKid ? ` (replaced ${o.previousKid})` : ''}\n`;
}

function parseTimeout(v: string): number {
  const m = /^(\d+)(ms|s|m)?$/.exec(v);
  if (!m) throw new CliError(`--timeout "${v}" is not a duration such as 30s, 2m or 90`);
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 'm' ? n * 60_000 : n * 1000;
}

export function rotateCommand(): Command {
  return new Command('rotate')
    .description('start a rotation now (signet.dev/rotate) and wait for the transition it causes')
    .argument('<name>', 'AuthServer name')
    .option('--emergency', 'a compromised key: a new key signs at once and the old one is dropped at once (signet.dev/rotate-emergency)')
    .addOption(new Option('--timeout <duration>', 'how long to wait for the operator (e.g. 30s, 2m)').default('60s'))
    .action(async (name: string, opts: { emergency?: boolean; timeout: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const timeoutMs = parseTimeout(opts.timeout);
      const emergency = opts.emergency ?? false;
      const cluster = connect(g);
      const before = await getAuthServer(cluster, name);
      const refusal = refuseRotation(before);
      if (refusal) throw new CliError(refusal);
      const annotation = emergency ? ROTATE_EMERGENCY_ANNOTATION : ROTATE_ANNOTATION;
      const value = new Date().toISOString();
      await annotate(cluster, name, { [annotation]: value });
      const full = nameOf(before);
      if (g.output !== 'json' && g.output !== 'yaml') process.stderr.write(`${full}: set ${annotation}=${value}; waiting up to ${opts.timeout} for the operator...\n`);
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const outcome = observeRotation(before, await getAuthServer(cluster, name), emergency);
        if (outcome && !outcome.done) throw new CliError(`${full}: the operator refused the rotation: ${outcome.reason}: ${outcome.message}`);
        if (outcome) {
          process.stdout.write(g.output === 'json' || g.output === 'yaml' ? serialize({ name: full, annotation, value, ...outcome }, g.output) : describeOutcome(full, outcome, Date.now()));
          return;
        }
        const pending = keyRows(before).find((r) => r.state === 'Next');
        if (Date.now() > deadline && pending && !emergency) {
          // Signet lets no key sign before it was published for publishAhead: the request is recorded, the key signs when due.
          process.stdout.write(`${full}: next key ${pending.kid} is already published${pending.activatesAt ? ` and starts signing at ${pending.activatesAt} (${relative(pending.activatesAt, Date.now())})` : ''}; ` +
            'a key never signs before it has been published for rotation.publishAhead\n');
          return;
        }
        if (Date.now() > deadline) {
          throw new CliError(`${full}: no transition within ${opts.timeout} of setting ${annotation}=${value}. Is the Signet operator running and ` +
            `watching namespace ${cluster.namespace}, and is it the leader? Its events: kubectl describe authserver ${name} -n ${cluster.namespace}`, 2);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    });
}
