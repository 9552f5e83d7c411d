import { randomBytes } from 'node:crypto';
import { served, type ApiContext } from './api-context.js';
import { pruneWithSchema } from './crd-schema.js';
import { applyDefaults } from './defaults.js';
import { checkUnknownFields, type FieldValidation } from './field-validation.js';
import { isRecord, jsonEqual, type KubeObject } from './kube-object.js';
import { recordUpdate, type Writer } from './managed-fields.js';
import { groupVersion, type ResourceType } from './resource-types.js';
import { badRequest, invalid, staleResourceVersion } from './status.js';
import { validateObject } from './validation.js';

/** How a write is made. */
export interface WriteOptions {
  writer: Writer;
  fieldValidation: FieldValidation;
  /** Managed fields were already computed by server-side apply. */
  applied?: boolean;
}

/** A validated object ready to store, with the warnings to send back. */
export interface PreparedWrite {
  object: KubeObject;
  warnings: string[];
  /** False for a no-op update: nothing is written and the resourceVersion stays. */
  changed: boolean;
}

const SERVER_FIELDS = ['uid', 'creationTimestamp', 'generation', 'deletionTimestamp', 'deletionGracePeriodSeconds'] as const;

function checkTypeMeta(type: ResourceType, object: unknown): KubeObject {
  if (!isRecord(object)) throw badRequest('the object provided is unrecognized (must be of type object)');
  const apiVersion = object['apiVersion'];
  const kind = object['kind'];
  if (apiVersion !== undefined && apiVersion !== groupVersion(type)) {
    throw badRequest(`the API version in the data (${String(apiVersion)}) does not match the expected API version (${groupVersion(type)})`);
  }
  if (kind !== undefined && kind !== type.kind) throw badRequest(`the kind in the data (${String(kind)}) does not match the expected kind (${type.kind})`);
  if (object['metadata'] !== undefined && !isRecord(object['metadata'])) throw badRequest('metadata must be an object');
  const typed = served(type, { ...object, metadata: { ...(object['metadata'] as object) } } as KubeObject);
  return typed;
}

function cleanse(type: ResourceType, object: KubeObject, directive: FieldValidation): { object: KubeObject; warnings: string[] } {
  const warnings = checkUnknownFields(type, object, directive);
  return { object: type.crdName ? (pruneWithSchema(object, type.schema) as KubeObject) : object, warnings };
}

function validateOrThrow(type: ResourceType, object: KubeObject, old?: KubeObject): void {
  const errors = validateObject(type, object, old);
  if (errors.length > 0) throw invalid(type.group, type.kind, object.metadata.name ?? '', errors);
}

/** Everything but metadata and status: what a generation bump looks at. */
function specOf(object: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

/** Prepares a create: type meta, namespace, generated name, server fields, defaults, validation, managed fields. */
export function prepareCreate(ctx: ApiContext, type: ResourceType, namespace: string, body: unknown, options: WriteOptions): PreparedWrite {
  const typed = checkTypeMeta(type, body);
  const meta = typed.metadata;
  if (type.namespaced) {
    if (meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = namespace;
  } else delete meta.namespace;
  if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
  const { object, warnings } = cleanse(type, typed, options.fieldValidation);
  if (type.subresources.includes('status')) delete object['status'];
  for (const field of SERVER_FIELDS) delete object.metadata[field];
  delete object.metadata.resourceVersion;
  object.metadata.uid = ctx.uid();
  object.metadata.creationTimestamp = ctx.now();
  if (type.tracksGeneration) object.metadata.generation = 1;
  applyDefaults(object, () => ctx.allocateClusterIp());
  validateOrThrow(type, object);
  if (!options.applied) {
    delete object.metadata.managedFields;
    const managed = recordUpdate(type, undefined, object, options.writer);
    if (managed.length > 0) object.metadata.managedFields = managed;
  }
  return { object, warnings, changed: true };
}

/**
 * Prepares an update of `before` to `body` (PUT, the result of a patch or an
 * apply): optimistic concurrency, immutable server fields, the status/main
 * split, defaults, validation, generation, managed fields, no-op detection.
 */
export function prepareUpdate(type: ResourceType, before: KubeObject, body: unknown, options: WriteOptions, ctx: ApiContext): PreparedWrite {
  const typed = checkTypeMeta(type, body);
  const meta = typed.metadata;
  if (meta.name !== undefined && meta.name !== before.metadata.name) {
    throw badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${before.metadata.name})`);
  }
  if (type.namespaced && meta.namespace !== undefined && meta.namespace !== '' && meta.namespace !== before.metadata.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (meta.resourceVersion !== undefined && meta.resourceVersion !== '' && meta.resourceVersion !== before.metadata.resourceVersion) {
    throw staleResourceVersion(type, before.metadata.name);
  }
  if (!meta.resourceVersion && !type.allowUnconditionalUpdate && !options.applied) {
    throw invalid(type.group, type.kind, before.metadata.name, [{ type: 'FieldValueInvalid', field: 'metadata.resourceVersion', value: 0, detail: 'must be specified for an update' }]);
  }
  let { object, warnings } = cleanse(type, typed, options.fieldValidation);
  const subresource = options.writer.subresource;
  if (subresource === 'status') {
    object = { ...structuredClone(before), status: object['status'] } as KubeObject;
    if (object['status'] === undefined) delete object['status'];
  } else if (type.subresources.includes('status')) {
    if (before['status'] === undefined) delete object['status'];
    else object['status'] = structuredClone(before['status']);
  }
  object.metadata.name = before.metadata.name;
  if (type.namespaced) object.metadata.namespace = before.metadata.namespace!;
  for (const field of SERVER_FIELDS) {
    if (before.metadata[field] === undefined) delete object.metadata[field];
    else (object.metadata as Record<string, unknown>)[field] = before.metadata[field];
  }
  object.metadata.resourceVersion = before.metadata.resourceVersion!;
  const requested = object.metadata.managedFields;
  const resetManaged = Array.isArray(requested) && requested.length === 1 && isRecord(requested[0]) && Object.keys(requested[0]).length === 0;
  const keepManaged = requested === undefined || (Array.isArray(requested) && requested.length === 0) || options.applied;
  if (resetManaged) delete object.metadata.managedFields;
  else if (keepManaged && !options.applied) object.metadata.managedFields = structuredClone(before.metadata.managedFields ?? []);
  applyDefaults(object, () => ctx.allocateClusterIp());
  validateOrThrow(type, object, before);
  if (type.tracksGeneration) {
    const annotationsChanged = type.generationOnAnnotations && !jsonEqual(object.metadata.annotations ?? {}, before.metadata.annotations ?? {});
    if (!jsonEqual(specOf(object), specOf(before)) || annotationsChanged) object.metadata.generation = (before.metadata.generation ?? 0) + 1;
  }
  if (!options.applied && !resetManaged) {
    const base = keepManaged ? before : ({ ...before, metadata: { ...before.metadata, managedFields: object.metadata.managedFields } } as KubeObject);
    const managed = recordUpdate(type, base, object, options.writer);
    if (managed.length > 0) object.metadata.managedFields = managed;
    else delete object.metadata.managedFields;
  }
  const comparable = (o: KubeObject): unknown => ({
    ...o,
    metadata: { ...o.metadata, resourceVersion: undefined, managedFields: (o.metadata.managedFields ?? []).map(({ time: _t, ...e }) => e) },
  });
  const changed = !jsonEqual(comparable(served(type, object)), comparable(served(type, before)));
  return { object: changed ? object : before, warnings, changed };
}
