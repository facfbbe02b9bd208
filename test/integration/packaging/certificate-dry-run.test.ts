// The API server accepts the chart with HTTPS on the JWKS listener (`kubectl apply --dry-run=server`):
// a mounted jwks.tls.secretName, and the cert-manager Certificate of jwks.tls.certManager, checked
// against a minimal Certificate CRD (cert-manager is not installed here; this one has the fields of
// the real cert-manager.io/v1 schema that the chart uses, so a misspelt or mistyped field is refused).
import type { V1CustomResourceDefinition } from '@kubernetes/client-node';
import { applyCrd, clients, useNamespace } from '../../support/kube.js';
import { helmTemplate, kubectl, parseObjects, run } from '../../support/helm.js';

const c = clients();
const release = useNamespace('pkg-tls');
const CRD_NAME = 'certificates.cert-manager.io';

const str = { type: 'string' };
const certificateCrd: V1CustomResourceDefinition = {
  metadata: { name: CRD_NAME },
  spec: {
    group: 'cert-manager.io',
    scope: 'Namespaced',
    names: { plural: 'certificates', singular: 'certificate', kind: 'Certificate', listKind: 'CertificateList' },
    versions: [{
      name: 'v1', served: true, storage: true,
      schema: {
        openAPIV3Schema: {
          type: 'object',
          properties: {
            spec: {
              type: 'object',
              required: ['issuerRef', 'secretName'],
              properties: {
                secretName: str,
                issuerRef: { type: 'object', required: ['name'], properties: { name: str, kind: str, group: str } },
                dnsNames: { type: 'array', items: str },
                usages: {
                  type: 'array',
                  items: { type: 'string', _enum: ['signing', 'digital signature', 'content commitment', 'key encipherment', 'key agreement', 'data encipherment', 'cert sign', 'crl sign', 'encipher only', 'decipher only', 'any', 'server auth', 'client auth', 'code signing', 'email protection', 's/mime', 'ipsec end system', 'ipsec tunnel', 'ipsec user', 'timestamping', 'ocsp signing', 'microsoft sgc', 'netscape sgc'] },
                },
                privateKey: {
                  type: 'object',
                  properties: {
                    algorithm: { type: 'string', _enum: ['RSA', 'ECDSA', 'Ed25519'] },
                    size: { type: 'integer' },
                    rotationPolicy: { type: 'string', _enum: ['Never', 'Always'] },
                  },
                },
              },
            },
          },
        },
      },
    }],
  },
};

beforeAll(async () => {
  await applyCrd(certificateCrd, c);
});

afterAll(async () => {
  await c.apiext.deleteCustomResourceDefinition({ name: CRD_NAME }).catch(() => undefined);
});

async function dryRun(yaml: string): Promise<string[]> {
  const r = await run(kubectl(), ['apply', '--dry-run=server', '-o', 'name', '-f', '-'], { input: yaml });
  if (r.code !== 0) throw new Error(`the API server refused the manifests:\n${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

function expectedNames(yaml: string): string[] {
  return parseObjects(yaml).map((o) => {
    const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
    return `${o.kind.toLowerCase()}${group}/${o.metadata.name}`;
  }).sort();
}

it('accepts the chart with a cert-manager Certificate for the JWKS Service', async () => {
  const yaml = await helmTemplate({
    release: 'signet-tls',
    namespace: release.name,
    values: { jwks: { tls: { certManager: { enabled: true, issuerRef: { name: 'cluster-ca', kind: 'ClusterIssuer' } } } } },
  });
  const names = expectedNames(yaml);
  expect(names).toContain('certificate.cert-manager.io/signet-tls-jwks');
  expect(await dryRun(yaml)).toEqual(names);
});

it('accepts the chart with jwks.tls.secretName, and refuses a Certificate field the CRD does not know', async () => {
  const yaml = await helmTemplate({ release: 'signet-tls', namespace: release.name, values: { jwks: { tls: { secretName: 'login-tls' } } } });
  expect(await dryRun(yaml)).toEqual(expectedNames(yaml));
  // The check can fail: a misspelt field is refused by the minimal CRD.
  const bad = `apiVersion: cert-manager.io/v1\nkind: Certificate\nmetadata:\n  name: bad\n  namespace: ${release.name}\nspec:\n  secretName: x\n  issuerRef: {name: ca}\n  dnsName: [a]\n`;
  await expect(dryRun(bad)).rejects.toThrow(/dnsName/);
  await expect(dryRun(bad.replace('dnsName: [a]', 'privateKey: {algorithm: EC}'))).rejects.toThrow(/algorithm/);
});
