// The samples in manifests/samples/ are what a newcomer applies first: every AuthServer in them must
// pass the CRD schema (after the API server's defaulting), and what they promise must hold.
import { createPrivateKey } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { ALLOW_UNSAFE_ISSUER_ANNOTATION, API_VERSION, KIND, VERSION } from '../../../src/api/types.js';
import type { AuthServer } from '../../../src/api/types.js';
import { effectiveSpec } from '../../../src/api/defaults.js';
import { applyDefaults, compileValidator, crdVersion, loadCrd } from '../../support/crd-schema.js';

const SAMPLES_DIR = fileURLToPath(new URL('../../../manifests/samples/', import.meta.url));

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}

interface SecretManifest extends Manifest {
  type?: string;
  stringData?: Record<string, string>;
}

const files = readdirSync(SAMPLES_DIR).filter((f) => f.endsWith('.yaml')).sort();
const manifests = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(SAMPLES_DIR, file), 'utf8')).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return { file, manifest: doc.toJS() as Manifest };
  }),
);
const authServers = manifests.filter(({ manifest }) => manifest.kind === KIND) as { file: string; manifest: AuthServer & Manifest }[];
const secrets = manifests.filter(({ manifest }) => manifest.kind === 'Secret') as { file: string; manifest: SecretManifest }[];

const schema = crdVersion(loadCrd(), VERSION).schema.openAPIV3Schema;
const validate = compileValidator(schema);

describe('manifests/samples', () => {
  it('has the two documented samples and nothing else', () => {
    expect(files).toEqual(['authserver-generated.yaml', 'authserver-user-key.yaml']);
    expect(authServers.map(({ file, manifest }) => [file, manifest.metadata.name])).toEqual([
      ['authserver-generated.yaml', 'generated-key'],
      ['authserver-user-key.yaml', 'user-key'],
    ]);
    expect(manifests.map(({ manifest }) => manifest.kind).sort()).toEqual([KIND, KIND, 'Secret']);
  });

  it.each(authServers.map(({ file, manifest }) => [`${file} ${manifest.metadata.name}`, manifest] as const))(
    '%s validates against the CRD schema',
    (_name, manifest) => {
      expect(manifest.apiVersion).toBe(API_VERSION);
      expect(validate(manifest)).toEqual([]);
      expect(validate(applyDefaults(schema, manifest))).toEqual([]);
    },
  );

  it.each(authServers.map(({ manifest }) => [manifest.metadata.name, manifest] as const))(
    '%s has an issuer that the CEL rules and the controller accept',
    (_name, manifest) => {
      const issuer = manifest.spec.issuerURI;
      const url = new URL(issuer);
      expect(['https:', 'http:']).toContain(url.protocol);
      expect(url.hostname).not.toBe('');
      expect(issuer).not.toMatch(/[?#]/);
      if (url.protocol === 'http:') expect(manifest.metadata.annotations?.[ALLOW_UNSAFE_ISSUER_ANNOTATION]).toBe('true');
    },
  );

  it('leaves the namespace to kubectl -n', () => {
    expect(manifests.filter(({ manifest }) => manifest.metadata.namespace !== undefined)).toEqual([]);
  });

  it('generated-key references a Secret that does not exist and is generated', () => {
    const { manifest } = authServers.find(({ manifest }) => manifest.metadata.name === 'generated-key') ?? {};
    expect(manifest?.spec.issuerURI).toBe('http://localhost:8080/generated');
    const spec = effectiveSpec(manifest!.spec);
    expect(spec.signAndVerifyKeyRef.name).toBe('generated-key-signing');
    expect(spec.keyGeneration.mode).toBe('IfMissing');
    expect(secrets.map(({ manifest }) => manifest.metadata.name)).not.toContain('generated-key-signing');
  });

  it('user-key signs with the sample Secret, a PKCS#1 2048-bit RSA key', () => {
    const { manifest } = authServers.find(({ manifest }) => manifest.metadata.name === 'user-key') ?? {};
    expect(manifest?.spec.issuerURI).toBe('http://localhost:8080/user-key');
    const spec = effectiveSpec(manifest!.spec);
    expect(spec.signAndVerifyKeyRef.name).toBe('user-key-2026-11');
    expect(spec.keyGeneration.mode).toBe('Never');

    const secret = secrets.find(({ manifest }) => manifest.metadata.name === 'user-key-2026-11');
    expect(secret?.file).toBe('authserver-user-key.yaml');
    expect(secret?.manifest.type).toBe('Opaque');
    const pem = secret?.manifest.stringData?.['key.pem'] ?? '';
    expect(pem.startsWith('-----BEGIN RSA PRIVATE KEY-----\n')).toBe(true);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe('rsa');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(readFileSync(join(SAMPLES_DIR, secret!.file), 'utf8')).toMatch(/NEVER USE IT IN PRODUCTION/);
  });

  it('the README names every sample and the curl for each JWKS', () => {
    const readme = readFileSync(join(SAMPLES_DIR, 'README.md'), 'utf8');
    for (const file of files) expect(readme).toContain(file);
    for (const { manifest } of authServers) {
      expect(readme).toContain(`curl -s ${manifest.spec.issuerURI}/oauth2/jwks`);
    }
  });
});
