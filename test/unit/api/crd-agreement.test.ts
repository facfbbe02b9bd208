// Keeps src/api/types.ts and crds/authservers.signet.dev.yaml in agreement, in both directions:
// - `sample` is typed DeepRequired<AuthServer>, so `tsc` fails when it lacks a property of the TS
//   types; it must validate against the CRD schema with additionalProperties: false, so a TS
//   property that the CRD does not declare fails here;
// - every property path of the CRD schema must be present in `sample`, so a CRD property that the
//   TS types do not declare fails here (the excess property check keeps it out of the sample);
// - `minimal` holds every object of the API with only its required properties, typed from the TS
//   types, and must match the `required` lists of the CRD.
// The enums, the defaults (src/api/defaults.ts), the names and the printer columns are checked too.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  ALGORITHMS, API_VERSION, CONDITION_STATUSES, DELETION_POLICIES, GROUP, KEY_GENERATION_MODES,
  KEY_ID_FORMATS, KEY_ROLES, KEY_STATES, KIND, PLURAL, RSA_KEY_SIZES, VERSION,
} from '../../../src/api/types.js';
import type { AuthServer, AuthServerSpec } from '../../../src/api/types.js';
import {
  DEFAULT_CACHE_MAX_AGE_SECONDS, DEFAULT_MAX_TOKEN_LIFETIME, DEFAULT_TOKEN_LIFETIME, effectiveSpec,
} from '../../../src/api/defaults.js';
import {
  applyDefaults, compileValidator, crdVersion, loadCrd, propertyPaths, schemaAt, valuesAt, walkSchema,
} from '../../support/crd-schema.js';
import type { CrdSchema } from '../../support/crd-schema.js';

/** Every property present, recursively; arrays hold at least one element. */
type DeepRequired<T> = T extends readonly (infer U)[]
  ? [DeepRequired<U>, ...DeepRequired<U>[]]
  : T extends object
    ? { [K in keyof T]-?: DeepRequired<NonNullable<T[K]>> }
    : T;

/** The keys of T that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: Record<never, never> extends Pick<T, K> ? never : K }[keyof T];

/** Only the required properties, recursively. */
type DeepMinimal<T> = T extends readonly (infer U)[]
  ? DeepMinimal<U>[]
  : T extends object
    ? { [K in RequiredKeys<T>]: DeepMinimal<T[K]> }
    : T;

/** The TS type at a schema path such as `status.keys[]`. */
type At<T, P extends string> = P extends `${infer Head}.${infer Rest}` ? At<Step<T, Head>, Rest> : Step<T, P>;
type Step<T, S extends string> = S extends `${infer K}[]`
  ? K extends keyof NonNullable<T>
    ? NonNullable<NonNullable<T>[K]> extends readonly (infer U)[]
      ? U
      : never
    : never
  : S extends keyof NonNullable<T>
    ? NonNullable<NonNullable<T>[S]>
    : never;

/** The TS type that a schema path such as `status.keys[]` describes, with only its required properties. */
function minimalAt<P extends string>(path: P, value: DeepMinimal<At<AuthServer, P>>): [string, unknown] {
  return [path, value];
}

// metadata is the API server's ObjectMeta, which the CRD schema leaves open (type: object).
const sample: DeepRequired<Omit<AuthServer, 'metadata'>> & { metadata: V1ObjectMeta } = {
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name: 'login', namespace: 'team-a', annotations: { 'signet.dev/allow-unsafe-issuer-uri': 'false' } },
  spec: {
    issuerURI: 'https://login.example.com/team-a',
    tokenSignature: {
      signAndVerifyKeyRef: { name: 'login-key-2026-11' },
      extraVerifyKeyRefs: [{ name: 'login-key-2026-10', excludeFromDiscovery: false }, { name: 'login-key-2026-12', excludeFromDiscovery: true }],
      keyGeneration: { mode: 'IfMissing', algorithm: 'ES256', rsaKeySize: 3072, deletionPolicy: 'Delete' },
      keyIdFormat: 'SecretName',
      rotation: { period: '720h', publishAhead: '24h', retainFor: '168h' },
    },
    signing: { enabled: true, maxTokenLifetime: '2h', defaultTokenLifetime: '15m', allowKeysetExport: true },
    jwks: { cacheMaxAgeSeconds: 600 },
    discovery: { enabled: false },
  },
  status: {
    observedGeneration: 4,
    issuerURI: 'https://login.example.com/team-a',
    jwksURI: 'https://login.example.com/team-a/oauth2/jwks',
    signingKeyID: 'login-key-2026-11',
    tokenSignatureKeyCount: 2,
    keys: [
      {
        secretName: 'login-key-2026-11', kid: 'login-key-2026-11', role: 'SignAndVerify', algorithm: 'ES256',
        keySize: 256, generated: true, publishedSince: '2026-11-02T10:00:00Z', state: 'Next',
        activatesAt: '2026-11-03T10:00:00Z', retiresAt: '2026-12-03T10:00:00Z',
      },
      {
        secretName: 'login-key-2026-10', kid: 'login-key-2026-10', role: 'VerifyOnly', algorithm: 'RS256',
        keySize: 2048, generated: false, publishedSince: '2026-10-01T09:30:00.5+02:00', state: 'Retired',
        activatesAt: '2026-10-02T09:30:00Z', retiresAt: '2026-11-09T10:00:00Z',
      },
    ],
    nextRotationTime: '2026-11-03T10:00:00Z',
    retiredKeys: [
      {
        kid: 'login-key-2026-10', secretName: 'login-key-2026-10', retiresAt: '2026-11-09T10:00:00Z',
        jwk: {
          kty: 'EC', kid: 'login-key-2026-10', use: 'sig', alg: 'ES256', n: 'AQAB', e: 'AQAB', crv: 'P-256', x: 'eA', y: 'eQ',
          x5c: ['MIIB'], 'x5t#S256': 'dA',
        },
        seal: 'c2VhbA',
      },
    ],
    attestedSecrets: [{ secretName: 'login-verify', resourceVersion: '4211', facts: '{}', seal: 'c2VhbA' }],
    conditions: [
      {
        type: 'SignAndVerifyKeyResolved', status: 'True', reason: 'Resolved', message: 'ok',
        observedGeneration: 4, lastTransitionTime: '2026-11-02T10:00:00Z',
      },
      {
        type: 'Ready', status: 'False', reason: 'SecretNotFound',
        message: 'Secret "login-key-2026-12" not found', observedGeneration: 4, lastTransitionTime: '2026-11-02T10:00:00Z',
      },
    ],
  },
};

// Every object of the API with its required properties only. The root is left out: the API server
// always sets apiVersion, kind and metadata, so the CRD requires only spec there.
const minimal = new Map<string, unknown>([
  minimalAt('spec', { issuerURI: 'https://login.example.com', tokenSignature: { signAndVerifyKeyRef: { name: 'k' } } }),
  minimalAt('spec.tokenSignature', { signAndVerifyKeyRef: { name: 'k' } }),
  minimalAt('spec.tokenSignature.signAndVerifyKeyRef', { name: 'k' }),
  minimalAt('spec.tokenSignature.extraVerifyKeyRefs[]', { name: 'k' }),
  minimalAt('spec.tokenSignature.keyGeneration', {}),
  minimalAt('spec.tokenSignature.rotation', {}),
  minimalAt('spec.signing', {}),
  minimalAt('spec.jwks', {}),
  minimalAt('spec.discovery', {}),
  minimalAt('status', {}),
  minimalAt('status.keys[]', {
    secretName: 'k', kid: 'k', role: 'VerifyOnly', algorithm: 'RS256', keySize: 2048, generated: false,
    publishedSince: '2026-11-02T10:00:00Z',
  }),
  minimalAt('status.retiredKeys[]', {
    kid: 'k', secretName: 'k', retiresAt: '2026-11-02T10:00:00Z', jwk: { kty: 'RSA', kid: 'k', use: 'sig', alg: 'RS256' },
  }),
  minimalAt('status.retiredKeys[].jwk', { kty: 'RSA', kid: 'k', use: 'sig', alg: 'RS256' }),
  minimalAt('status.attestedSecrets[]', { secretName: 'k', resourceVersion: '1', facts: '{}', seal: 's' }),
  minimalAt('status.conditions[]', {
    type: 'Ready', status: 'Unknown', reason: 'Resolved', message: '', lastTransitionTime: '2026-11-02T10:00:00Z',
  }),
]);

const crd = loadCrd();
const version = crdVersion(crd, VERSION);
const root = version.schema.openAPIV3Schema;
const validate = compileValidator(root);

function schemaNodes(predicate: (node: CrdSchema) => boolean): [string, CrdSchema][] {
  const nodes: [string, CrdSchema][] = [];
  walkSchema(root, (path, node) => {
    if (predicate(node)) nodes.push([path, node]);
  });
  return nodes;
}

describe('CRD and src/api/types.ts agree', () => {
  it('the fully populated TS sample validates against the CRD schema, unknown properties refused', () => {
    expect(validate(sample)).toEqual([]);
    expect(validate(applyDefaults(root, sample))).toEqual([]);
  });

  it('the schema translation refuses a property the CRD does not declare', () => {
    const withExtra = structuredClone(sample) as unknown as { spec: { tokenSignature: Record<string, unknown> } };
    withExtra.spec.tokenSignature.rotateEvery = '30d';
    expect(validate(withExtra)).toEqual([expect.stringContaining('additionalProperty') as string]);
  });

  it('every property of the CRD schema is present in the TS sample', () => {
    const paths = propertyPaths(root);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((path) => valuesAt(sample, path).length === 0)).toEqual([]);
  });

  it('every object of the schema requires exactly the properties the TS types require', () => {
    const objects = schemaNodes((node) => node.properties !== undefined).map(([path]) => path).filter((path) => path !== '');
    expect([...minimal.keys()].sort()).toEqual([...objects].sort());
    for (const [path, value] of minimal) {
      const node = schemaAt(root, path);
      expect({ path, required: [...(node.required ?? [])].sort() }).toEqual({ path, required: Object.keys(value as object).sort() });
      expect({ path, errors: compileValidator(node)(value) }).toEqual({ path, errors: [] });
    }
  });

  it('the enums equal the TS constants', () => {
    const enums = Object.fromEntries(schemaNodes((node) => node.enum !== undefined).map(([path, node]) => [path, node.enum]));
    expect(enums).toEqual({
      'spec.tokenSignature.keyGeneration.mode': [...KEY_GENERATION_MODES],
      'spec.tokenSignature.keyGeneration.algorithm': [...ALGORITHMS],
      'spec.tokenSignature.keyGeneration.rsaKeySize': [...RSA_KEY_SIZES],
      'spec.tokenSignature.keyGeneration.deletionPolicy': [...DELETION_POLICIES],
      'spec.tokenSignature.keyIdFormat': [...KEY_ID_FORMATS],
      'status.keys[].role': [...KEY_ROLES],
      'status.keys[].algorithm': [...ALGORITHMS],
      'status.keys[].state': [...KEY_STATES],
      'status.conditions[].status': [...CONDITION_STATUSES],
    });
  });

  it('the CRD defaults are the defaults of effectiveSpec', () => {
    const given: AuthServerSpec = {
      issuerURI: 'https://login.example.com/team-a',
      tokenSignature: { signAndVerifyKeyRef: { name: 'login-key' } },
    };
    const effective = effectiveSpec(given);
    const defaulted = applyDefaults(schemaAt(root, 'spec'), given);
    expect(defaulted).toEqual({
      issuerURI: given.issuerURI,
      tokenSignature: {
        signAndVerifyKeyRef: given.tokenSignature.signAndVerifyKeyRef,
        keyGeneration: effective.keyGeneration,
        keyIdFormat: effective.keyIdFormat,
      },
      signing: {
        enabled: effective.signing.enabled,
        maxTokenLifetime: DEFAULT_MAX_TOKEN_LIFETIME,
        defaultTokenLifetime: DEFAULT_TOKEN_LIFETIME,
        allowKeysetExport: effective.signing.allowKeysetExport,
      },
      jwks: { cacheMaxAgeSeconds: effective.cacheMaxAgeSeconds },
      discovery: { enabled: effective.discoveryEnabled },
    });
    expect(effective.signing).toMatchObject({ maxTokenLifetimeMs: 3_600_000, defaultTokenLifetimeMs: 600_000 });
    expect(effectiveSpec(defaulted)).toEqual(effective);
    expect(defaulted.jwks?.cacheMaxAgeSeconds).toBe(DEFAULT_CACHE_MAX_AGE_SECONDS);
    expect(validate({ apiVersion: API_VERSION, kind: KIND, metadata: {}, spec: defaulted })).toEqual([]);
  });

  it('only spec has defaults, and the cache max-age is bounded', () => {
    const defaults = schemaNodes((node) => node.default !== undefined).map(([path]) => path);
    expect(defaults.filter((path) => !path.startsWith('spec.'))).toEqual([]);
    const maxAge = schemaAt(root, 'spec.jwks.cacheMaxAgeSeconds');
    expect(maxAge).toMatchObject({ type: 'integer', minimum: 0, maximum: 86400 });
  });

  it('refs are DNS-1123 subdomains', () => {
    for (const path of ['spec.tokenSignature.signAndVerifyKeyRef.name', 'spec.tokenSignature.extraVerifyKeyRefs[].name']) {
      const pattern = new RegExp(schemaAt(root, path).pattern ?? '^$');
      expect({ path, maxLength: schemaAt(root, path).maxLength }).toEqual({ path, maxLength: 253 });
      for (const good of ['k', 'login-key-2026-11', 'a.b-c.d', '0x']) expect(pattern.test(good)).toBe(true);
      for (const bad of ['', 'Key', 'key_1', '-key', 'key-', 'a..b', '.a', 'a.']) expect(pattern.test(bad)).toBe(false);
    }
  });

  it('every field is described and every CEL rule has a message', () => {
    // The API server forbids anything but `type` on the root metadata.
    expect(schemaNodes((node) => !node.description).map(([path]) => path)).toEqual(['metadata']);
    const rules = schemaNodes((node) => node['x-kubernetes-validations'] !== undefined)
      .flatMap(([path, node]) => (node['x-kubernetes-validations'] ?? []).map((rule) => ({ path, ...rule })));
    expect(rules.map((rule) => rule.path)).toEqual([
      'spec', 'spec', 'spec', 'spec.issuerURI', 'spec.issuerURI', 'spec.issuerURI', 'spec.issuerURI', 'spec.issuerURI',
      'spec.tokenSignature', 'spec.tokenSignature.extraVerifyKeyRefs',
      'spec.tokenSignature.rotation', 'spec.tokenSignature.rotation.period',
      'spec.signing', 'spec.signing.maxTokenLifetime', 'spec.signing.defaultTokenLifetime',
    ]);
    for (const rule of rules) expect(rule.message).toMatch(/\S/);
  });

  it('the spec is bounded for CEL cost estimation', () => {
    const unbounded = schemaNodes(
      (node) => (node.type === 'array' && node.maxItems === undefined) ||
        (node.type === 'string' && node.maxLength === undefined && node.enum === undefined),
    ).map(([path]) => path).filter((path) => path.startsWith('spec.'));
    expect(unbounded).toEqual([]);
  });

  it('names, scope, version and subresources are as docs/architecture.md#the-authserver-api says', () => {
    expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
    expect(crd.kind).toBe('CustomResourceDefinition');
    expect(crd.metadata.name).toBe(`${PLURAL}.${GROUP}`);
    expect(crd.spec.group).toBe(GROUP);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names).toEqual({
      kind: KIND, listKind: `${KIND}List`, plural: PLURAL, singular: 'authserver',
      shortNames: ['authsrv'], categories: ['signet'],
    });
    expect(crd.spec.versions.map((v) => v.name)).toEqual([VERSION]);
    expect(version).toMatchObject({ served: true, storage: true, subresources: { status: {} } });
    expect(Object.keys(version.subresources ?? {})).toEqual(['status']);
  });

  it('the printer columns are ISSUER, SIGNING KID, KEYS, READY, NEXT ROTATION, AGE', () => {
    const columns = version.additionalPrinterColumns ?? [];
    expect(columns.map((c) => [c.name.toUpperCase(), c.type, c.jsonPath])).toEqual([
      ['ISSUER', 'string', '.spec.issuerURI'],
      ['SIGNING KID', 'string', '.status.signingKeyID'],
      ['KEYS', 'integer', '.status.tokenSignatureKeyCount'],
      ['READY', 'string', '.status.conditions[?(@.type=="Ready")].status'],
      // A string: kubectl prints a future time in a date column as <invalid>.
      ['NEXT ROTATION', 'string', '.status.nextRotationTime'],
      ['AGE', 'date', '.metadata.creationTimestamp'],
    ]);
    for (const column of columns) expect(column.priority ?? 0).toBe(0);
    // The columns read properties that the schema declares.
    for (const column of columns.filter((c) => !c.jsonPath.startsWith('.metadata.'))) {
      const path = column.jsonPath.slice(1).replace(/\[\?\(@\.type=="Ready"\)\]/, '[]');
      expect(valuesAt(sample, path).length).toBeGreaterThan(0);
    }
    expect(valuesAt(sample, 'status.conditions[].type')).toContain('Ready');
  });
});
