// The plain install (manifests/install.yaml, `kubectl apply -f`) onto the real node (docs/architecture.md#tests-on-a-real-node): the pod
// turns Ready and serves an AuthServer's JWKS through the Service, as the chart's install does. The
// manifest's image is the release tag; here it is pointed at the image built from the Dockerfile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '../support/kube.js';
import { isReady, waitForStatus } from '../support/authservers.js';
import { applyYaml, c, kubectl, readyPods, serviceWithPort, viaServiceProxy } from './support/cluster.js';

const NS = 'signet-system';
const ISSUERS = 'e2e-manifests';
const log = (l: string): void => void process.stderr.write(`  e2e manifests: ${l}\n`);

/** install.yaml with the e2e image; without the CRD and Namespace when `forDelete` (they stay, as a user keeps them). */
function manifest(forDelete: boolean): string {
  const text = readFileSync(join(repoRoot, 'manifests/install.yaml'), 'utf8');
  const image = process.env.SIGNET_E2E_IMAGE ?? '';
  if (!image) throw new Error('SIGNET_E2E_IMAGE is not set: e2e tests run under the jest project "e2e" (make e2e)');
  expect(text).toMatch(/image: "signet:[^"]+"/);
  const docs = parseAllDocuments(text.replace(/image: "signet:[^"]+"/, `image: "${image}"`)).map((d) => d.toJS() as { kind?: string } | null);
  return docs.filter((d) => d?.kind && !(forDelete && ['CustomResourceDefinition', 'Namespace'].includes(d.kind))).map((d) => stringify(d)).join('---\n');
}

afterAll(async () => {
  await kubectl(['delete', '--ignore-not-found', '--wait', '-f', '-'], manifest(true));
  await c.core.deleteNamespace({ name: ISSUERS }).catch(() => undefined);
});

test('kubectl apply -f manifests/install.yaml: the pod turns Ready and serves JWKS through the Service', async () => {
  const t0 = Date.now();
  await kubectl(['apply', '--server-side', '-f', '-'], manifest(false));
  const [pod] = await readyPods(NS, 'signet', 1);
  log(`apply to Ready: ${Date.now() - t0} ms (${pod!.metadata!.name})`);
  await c.core.createNamespace({ body: { metadata: { name: ISSUERS } } });
  await applyYaml([
    'apiVersion: signet.dev/v1alpha1', 'kind: AuthServer', 'metadata: {name: plain}',
    'spec: {issuerURI: "https://plain.manifests.e2e/", tokenSignature: {signAndVerifyKeyRef: {name: plain-signing}, keyGeneration: {algorithm: ES256}}}', '',
  ].join('\n'), ISSUERS);
  const as = await waitForStatus(ISSUERS, 'plain', isReady, 'Ready', 60_000);
  const { svc } = await serviceWithPort(NS, 'http');
  const jwks = JSON.parse(await viaServiceProxy(NS, svc.metadata!.name!, 'http', `authservers/${ISSUERS}/plain/oauth2/jwks`)) as { keys: Array<{ kid: string }> };
  expect(jwks.keys.map((k) => k.kid)).toContain(as.status!.signingKeyID);
});
