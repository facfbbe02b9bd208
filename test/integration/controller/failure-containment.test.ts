// One broken AuthServer hurts nobody else (issue 9, point 4): a key generation that the API server
// refuses (here a ValidatingAdmissionPolicy) is retried with per-AuthServer exponential backoff,
// with a status message that stays the same from one attempt to the next (so status is written
// once, not on every attempt), while other AuthServers are reconciled at once. Names over 63
// characters, which no label value can hold, get a generated key too.
import { AdmissionregistrationV1Api } from '@kubernetes/client-node';
import { clients, useNamespace } from '../../support/kube.js';
import { eventually } from '../../support/eventually.js';
import { useOperator } from '../../support/operator.js';
import { condition, createAuthServer, getAuthServer, isReady, waitForStatus } from '../../support/authservers.js';

const c = clients();
const admission = c.kc.makeApiClient(AdmissionregistrationV1Api);
const ns = useNamespace('containment');
const op = useOperator(ns);
const policyName = (): string => `deny-secrets-${ns.name}`;

beforeAll(async () => {
  await admission.createValidatingAdmissionPolicy({
    body: {
      metadata: { name: policyName() },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['secrets'] }] },
        matchConditions: [{ name: 'this-namespace', expression: `request.namespace == '${ns.name}'` }],
        validations: [{ expression: "!object.metadata.name.startsWith('denied-')", message: 'Secrets named denied-* may not be created here' }],
      },
    },
  });
  await admission.createValidatingAdmissionPolicyBinding({
    body: { metadata: { name: policyName() }, spec: { policyName: policyName(), validationActions: ['Deny'] } },
  });
  // The policy takes effect once the API server has loaded it.
  await eventually(async () => {
    try {
      await c.core.createNamespacedSecret({ namespace: ns.name, body: { metadata: { name: 'denied-probe' }, stringData: { x: 'y' } } });
      await c.core.deleteNamespacedSecret({ namespace: ns.name, name: 'denied-probe' });
      return false;
    } catch (err) {
      return (err as { code?: number }).code === 422 || (err as { code?: number }).code === 403;
    }
  }, { what: 'the admission policy to deny Secret creation', timeoutMs: 30_000, intervalMs: 200 });
});

afterAll(async () => {
  await admission.deleteValidatingAdmissionPolicyBinding({ name: policyName() }).catch(() => undefined);
  await admission.deleteValidatingAdmissionPolicy({ name: policyName() }).catch(() => undefined);
});

interface LogLine { message?: string; authserver?: string; timestamp?: string; error?: string }
const failures = (name: string): LogLine[] =>
  op.logs.map((l) => { try { return JSON.parse(l) as LogLine; } catch { return {}; } })
    .filter((l) => l.message === 'key generation failed' && l.authserver === name);

it('retries a refused generation with backoff and a stable status, and reconciles others meanwhile', async () => {
  await createAuthServer(ns.name, 'denied', { issuerURI: 'https://denied.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'denied-key' } } });
  const failed = await waitForStatus(ns.name, 'denied', (a) => condition(a, 'SignAndVerifyKeyResolved')?.reason === 'GenerationFailed', 'GenerationFailed');
  const message = condition(failed, 'SignAndVerifyKeyResolved')?.message ?? '';
  expect(message).toContain('Secrets named denied-* may not be created here');
  expect(message).toContain('denied-key');
  expect(message).not.toMatch(/Audit-Id|HTTP-Code|Headers/i);

  // Another AuthServer is not held up by the failing one.
  const started = Date.now();
  await createAuthServer(ns.name, 'healthy', { issuerURI: 'https://healthy.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'healthy-key' } } });
  await waitForStatus(ns.name, 'healthy', isReady, 'Ready beside a failing AuthServer', 15_000);
  const healthyAfterMs = Date.now() - started;

  // Let several retries happen: the status, and so the object, does not change between them.
  const before = await getAuthServer(ns.name, 'denied');
  const seen = failures('denied').length;
  await eventually(() => failures('denied').length >= seen + 3, { what: 'three more generation attempts', timeoutMs: 30_000 });
  const after = await getAuthServer(ns.name, 'denied');
  expect(condition(after, 'SignAndVerifyKeyResolved')?.message).toBe(message);
  expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);

  // Backoff, not a hot loop: attempts thin out. A hot loop makes one per key generation (tens a second).
  const times = failures('denied').map((l) => Date.parse(l.timestamp ?? ''));
  const firstTenSeconds = times.filter((t) => t - (times[0] ?? 0) <= 10_000).length;
  expect(firstTenSeconds).toBeLessThanOrEqual(12);
  process.stdout.write(`healthy Ready after ${healthyAfterMs} ms; attempt intervals (ms): ${times.slice(1).map((t, i) => t - (times[i] ?? 0)).join(', ')}\n`);
}, 90_000);

it('generates a key for an AuthServer whose name is longer than a label value can hold', async () => {
  const name = `a-very-long-authserver-name-${'x'.repeat(60)}-end`;
  expect(name.length).toBeGreaterThan(63);
  await createAuthServer(ns.name, name, { issuerURI: 'https://long.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'long-key' } } });
  await waitForStatus(ns.name, name, isReady, 'Ready');
  const secret = await c.core.readNamespacedSecret({ namespace: ns.name, name: 'long-key' });
  const label = secret.metadata?.labels?.['signet.dev/authserver'] ?? '';
  expect(label.length).toBeLessThanOrEqual(63);
  expect(name.startsWith(label.slice(0, 40))).toBe(true);
  expect(secret.metadata?.annotations?.['signet.dev/authserver']).toBe(name);
});
