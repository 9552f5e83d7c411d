import { fieldsOf, fromFieldsV1, isWithin, pathsOf, toFieldsV1, type FieldPath, type FieldScope } from './field-set.js';
import type { KubeObject, ManagedFieldsEntry } from './kube-object.js';
import type { ResourceType } from './resource-types.js';

/** A managedFields entry with its fields decoded. */
export interface Ownership {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  paths: Set<FieldPath>;
}

/** Who is writing: the field manager, the operation's API version and subresource. */
export interface Writer {
  manager: string;
  apiVersion: string;
  subresource?: string;
  /** RFC 3339 time of the write. */
  time: string;
}

/** Decodes `metadata.managedFields`. */
export function readOwnership(object: KubeObject | undefined): Ownership[] {
  return (object?.metadata.managedFields ?? []).map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    ...(e.time ? { time: e.time } : {}),
    ...(e.subresource ? { subresource: e.subresource } : {}),
    paths: fromFieldsV1(e.fieldsV1),
  }));
}

/** Encodes ownership back into `metadata.managedFields`, dropping managers that own nothing. */
export function writeOwnership(owners: Ownership[]): ManagedFieldsEntry[] {
  return owners
    .filter((o) => o.paths.size > 0)
    .map((o) => ({
      manager: o.manager,
      operation: o.operation,
      apiVersion: o.apiVersion,
      ...(o.time ? { time: o.time } : {}),
      fieldsType: 'FieldsV1' as const,
      fieldsV1: toFieldsV1(o.paths),
      ...(o.subresource ? { subresource: o.subresource } : {}),
    }));
}

/** The entry of one manager for one operation and subresource (created empty at the end if missing). */
export function entryFor(owners: Ownership[], writer: Writer, operation: 'Apply' | 'Update'): Ownership {
  let entry = owners.find((o) => o.manager === writer.manager && o.operation === operation && (o.subresource ?? '') === (writer.subresource ?? ''));
  if (!entry) {
    entry = { manager: writer.manager, operation, apiVersion: writer.apiVersion, ...(writer.subresource ? { subresource: writer.subresource } : {}), paths: new Set() };
    owners.push(entry);
  }
  return entry;
}

const scopeOf = (writer: Writer): FieldScope => (writer.subresource === 'status' ? 'status' : 'main');

/**
 * Records a non-apply write (create, update, patch): the writer takes every
 * field whose value it changed, from whoever had it, and removed fields are
 * owned by nobody; an Update never conflicts.
 */
export function recordUpdate(type: ResourceType, before: KubeObject | undefined, after: KubeObject, writer: Writer): ManagedFieldsEntry[] {
  const owners = readOwnership(before);
  const scope = scopeOf(writer);
  const old = before ? fieldsOf(type, before, scope) : { leaves: new Map<string, string>(), items: new Set<string>() };
  const next = fieldsOf(type, after, scope);
  const changed = new Set<FieldPath>();
  for (const [path, value] of next.leaves) if (old.leaves.get(path) !== value) changed.add(path);
  for (const path of next.items) if (!old.items.has(path)) changed.add(path);
  const present = pathsOf(next);
  const removed = [...pathsOf(old)].filter((p) => !present.has(p));
  for (const owner of owners) {
    for (const path of [...owner.paths]) {
      if (changed.has(path) || removed.some((r) => isWithin(path, r))) owner.paths.delete(path);
    }
  }
  if (changed.size > 0) {
    const entry = entryFor(owners, writer, 'Update');
    for (const path of changed) entry.paths.add(path);
    entry.apiVersion = writer.apiVersion;
    entry.time = writer.time;
  }
  return writeOwnership(owners);
}
