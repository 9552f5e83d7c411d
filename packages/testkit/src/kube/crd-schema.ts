import type { FieldError } from './status.js';

/** The structural-schema subset of a CRD's `openAPIV3Schema` the fake understands. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  additionalProperties?: JsonSchema | boolean;
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
}

const ROOT_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function matchesType(value: unknown, schema: JsonSchema): boolean {
  if (schema['x-kubernetes-int-or-string']) return typeof value === 'string' || Number.isInteger(value);
  if (!schema.type) return true;
  const actual = typeOf(value);
  if (actual === 'null') return schema.nullable === true;
  return actual === schema.type || (schema.type === 'number' && actual === 'integer');
}

/** Validates a custom resource against its version's schema, as the apiextensions-apiserver does (type, required, enum, bounds). */
export function validateWithSchema(object: Record<string, unknown>, schema: JsonSchema | undefined): FieldError[] {
  if (!schema) return [];
  const errors: FieldError[] = [];
  const visit = (value: unknown, s: JsonSchema, path: string): void => {
    if (!matchesType(value, s)) {
      const actual = typeOf(value);
      errors.push({ type: 'FieldValueTypeInvalid', field: path, value: actual, detail: `${path} in body must be of type ${s.type}: "${actual}"` });
      return;
    }
    if (s.enum && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
      errors.push({ type: 'FieldValueNotSupported', field: path, value, detail: `supported values: ${s.enum.map((e) => JSON.stringify(e)).join(', ')}` });
    }
    if (typeof value === 'number') {
      if (s.minimum !== undefined && value < s.minimum) errors.push({ type: 'FieldValueInvalid', field: path, value, detail: `${path} in body should be greater than or equal to ${s.minimum}` });
      if (s.maximum !== undefined && value > s.maximum) errors.push({ type: 'FieldValueInvalid', field: path, value, detail: `${path} in body should be less than or equal to ${s.maximum}` });
    }
    if (typeof value === 'string') {
      if (s.minLength !== undefined && value.length < s.minLength) errors.push({ type: 'FieldValueInvalid', field: path, value, detail: `${path} in body should be at least ${s.minLength} chars long` });
      if (s.maxLength !== undefined && value.length > s.maxLength) errors.push({ type: 'FieldValueInvalid', field: path, value, detail: `${path} in body should be at most ${s.maxLength} chars long` });
      if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) errors.push({ type: 'FieldValueInvalid', field: path, value, detail: `${path} in body should match '${s.pattern}'` });
    }
    if (Array.isArray(value) && s.items) value.forEach((item, i) => visit(item, s.items!, `${path}[${i}]`));
    if (typeOf(value) === 'object') {
      const record = value as Record<string, unknown>;
      for (const name of s.required ?? []) {
        if (record[name] === undefined) errors.push({ type: 'FieldValueRequired', field: path ? `${path}.${name}` : name });
      }
      for (const [key, child] of Object.entries(record)) {
        const childPath = path ? `${path}.${key}` : key;
        if (!path && ROOT_FIELDS.has(key)) continue;
        const childSchema = s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
        if (childSchema) visit(child, childSchema, childPath);
      }
    }
  };
  visit(object, schema, '');
  return errors;
}

/** Drops fields the schema does not declare (pruning), keeping `x-kubernetes-preserve-unknown-fields` subtrees. */
export function pruneWithSchema(object: Record<string, unknown>, schema: JsonSchema | undefined): Record<string, unknown> {
  if (!schema) return object;
  const prune = (value: unknown, s: JsonSchema | undefined, root: boolean): unknown => {
    if (!s || s['x-kubernetes-preserve-unknown-fields'] && !s.properties) return value;
    if (Array.isArray(value)) return s.items ? value.map((v) => prune(v, s.items, false)) : value;
    if (typeOf(value) !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      if (root && ROOT_FIELDS.has(key)) {
        out[key] = child;
        continue;
      }
      const childSchema = s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
      if (childSchema) out[key] = prune(child, childSchema, false);
      else if (s.additionalProperties === true || s['x-kubernetes-preserve-unknown-fields']) out[key] = child;
    }
    return out;
  };
  return prune(object, schema, true) as Record<string, unknown>;
}

/** The schema of the node at `path` (field names; list items are walked through). */
export function schemaAt(schema: JsonSchema | undefined, path: string[]): JsonSchema | undefined {
  let node = schema;
  for (const name of path) {
    if (!node) return undefined;
    if (node.type === 'array') node = node.items;
    if (!node) return undefined;
    node = node.properties?.[name] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
  }
  return node;
}
