// Reads crds/authservers.signet.dev.yaml and turns its OpenAPI v3 schema into what the unit tests
// need: a JSON Schema validator (ajv) that, unlike the API server, rejects unknown properties, the
// API server's structural defaulting, and walks over the schema.
//
// ajv cannot evaluate the CEL rules (x-kubernetes-validations); the integration tests check those
// against a real kube-apiserver.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';

export const CRD_PATH = fileURLToPath(new URL('../../crds/authservers.signet.dev.yaml', import.meta.url));

export interface ValidationRule {
  rule: string;
  message?: string;
  messageExpression?: string;
  fieldPath?: string;
  reason?: string;
}

/** The part of apiextensions.k8s.io/v1 JSONSchemaProps that the translation understands. */
export interface CrdSchema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  properties?: Record<string, CrdSchema>;
  required?: string[];
  items?: CrdSchema;
  additionalProperties?: boolean | CrdSchema;
  enum?: unknown[];
  default?: unknown;
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  nullable?: boolean;
  'x-kubernetes-validations'?: ValidationRule[];
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  format?: string;
  priority?: number;
}

export interface CrdVersion {
  name: string;
  served: boolean;
  storage: boolean;
  subresources?: { status?: Record<string, never>; scale?: unknown };
  additionalPrinterColumns?: PrinterColumn[];
  schema: { openAPIV3Schema: CrdSchema };
}

export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

export function loadCrd(): Crd {
  return parse(readFileSync(CRD_PATH, 'utf8')) as Crd;
}

/** The version of the CRD called `name` (throws when there is none). */
export function crdVersion(crd: Crd, name: string): CrdVersion {
  const version = crd.spec.versions.find((v) => v.name === name);
  if (!version) throw new Error(`${CRD_PATH} has no version ${name}`);
  return version;
}

// Keywords that carry over to JSON Schema as they are.
const PLAIN_KEYWORDS = new Set([
  'type', 'description', 'required', 'enum', 'format', 'pattern', 'minimum', 'maximum',
  'minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties',
]);
// Keywords that only matter to the API server (CEL, list and map semantics, defaulting).
const SERVER_ONLY_KEYWORDS = new Set([
  'default', 'x-kubernetes-validations', 'x-kubernetes-list-type', 'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type', 'x-kubernetes-preserve-unknown-fields',
]);

/**
 * The CRD's OpenAPI v3 schema as JSON Schema, with `additionalProperties: false` on every object
 * that lists properties (unless it preserves unknown fields), so that an object carrying a property
 * the CRD does not declare fails instead of being pruned silently. Throws on keywords it does not
 * translate, so a constraint is never dropped without notice.
 */
export function toJsonSchema(schema: CrdSchema, path = '$'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (PLAIN_KEYWORDS.has(keyword)) {
      out[keyword] = value;
    } else if (keyword === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(schema.properties ?? {}).map(([name, prop]) => [name, toJsonSchema(prop, `${path}.${name}`)]),
      );
    } else if (keyword === 'items') {
      out.items = toJsonSchema(schema.items ?? {}, `${path}[]`);
    } else if (keyword === 'additionalProperties') {
      const additional = schema.additionalProperties;
      out.additionalProperties =
        typeof additional === 'object' ? toJsonSchema(additional, `${path}.*`) : additional;
    } else if (!SERVER_ONLY_KEYWORDS.has(keyword) && keyword !== 'nullable') {
      throw new Error(`${path}: the keyword ${keyword} is not translated by test/support/crd-schema.ts`);
    }
  }
  if (schema.nullable && schema.type) out.type = [schema.type, 'null'];
  if (
    schema.properties &&
    schema.additionalProperties === undefined &&
    !schema['x-kubernetes-preserve-unknown-fields']
  ) {
    out.additionalProperties = false;
  }
  return out;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A function that lists what is wrong with a value, against the given CRD schema (empty when valid). */
export type SchemaValidator = (value: unknown) => string[];

export function compileValidator(schema: CrdSchema): SchemaValidator {
  const ajv = new Ajv({ strict: true, allErrors: true, allowUnionTypes: true });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', { type: 'string', validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)) });
  const validate = ajv.compile(toJsonSchema(schema));
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e: ErrorObject) => `${e.instancePath || '/'} ${e.message ?? e.keyword} ${JSON.stringify(e.params)}`);
  };
}

/**
 * The API server's structural defaulting: a property that is absent (or null without `nullable`)
 * gets a copy of its default, and defaulting continues inside it, so that a `default: {}` parent
 * materialises the defaults of its children. Returns a defaulted copy; the input is not changed.
 */
export function applyDefaults<T>(schema: CrdSchema, value: T): T {
  const copy = structuredClone(value);
  defaultInPlace(schema, copy);
  return copy;
}

function defaultInPlace(schema: CrdSchema, value: unknown): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) defaultInPlace(schema.items, item);
  } else if (isObject(value)) {
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      if (prop.default === undefined) continue;
      if (!(name in value) || (value[name] === null && !prop.nullable)) value[name] = structuredClone(prop.default);
    }
    for (const [name, child] of Object.entries(value)) {
      const prop = schema.properties?.[name] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (prop) defaultInPlace(prop, child);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Calls `visit` for every node of the schema, the root first. Paths are written like
 * `spec.tokenSignature.extraVerifyKeyRefs[].name`; the root's path is the empty string.
 */
export function walkSchema(schema: CrdSchema, visit: (path: string, node: CrdSchema) => void, path = ''): void {
  visit(path, schema);
  for (const [name, prop] of Object.entries(schema.properties ?? {})) {
    walkSchema(prop, visit, path ? `${path}.${name}` : name);
  }
  if (schema.items) walkSchema(schema.items, visit, `${path}[]`);
}

/** Every property path the schema declares, such as `status.keys[].kid` (array items are `[]`). */
export function propertyPaths(schema: CrdSchema): string[] {
  const paths: string[] = [];
  walkSchema(schema, (path) => {
    if (path !== '' && !path.endsWith('[]')) paths.push(path);
  });
  return paths;
}

/** The schema node at a path written as by walkSchema. */
export function schemaAt(schema: CrdSchema, path: string): CrdSchema {
  let node: CrdSchema | undefined = schema;
  for (const segment of splitPath(path)) {
    node = segment === '[]' ? node?.items : node?.properties?.[segment];
    if (!node) throw new Error(`the schema has no ${path}`);
  }
  return node;
}

/** The values found at a path written as by walkSchema (one per array element along the way). */
export function valuesAt(value: unknown, path: string): unknown[] {
  let current: unknown[] = [value];
  for (const segment of splitPath(path)) {
    current = current.flatMap((v): unknown[] => {
      if (segment === '[]') return Array.isArray(v) ? (v as unknown[]) : [];
      return isObject(v) && v[segment] !== undefined ? [v[segment]] : [];
    });
  }
  return current;
}

function splitPath(path: string): string[] {
  return path === '' ? [] : path.replace(/\[\]/g, '.[]').split('.');
}
