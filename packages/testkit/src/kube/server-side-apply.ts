import { elementsOf, fieldsOf, formatPath, isWithin, itemKey, pathsOf, type FieldPath } from './field-set.js';
import { clone, isRecord, jsonEqual, type KubeObject } from './kube-object.js';
import { fieldSemantics } from './list-semantics.js';
import { entryFor, readOwnership, writeOwnership, type Ownership, type Writer } from './managed-fields.js';
import type { ResourceType } from './resource-types.js';
import { KubeStatusError, type StatusCause } from './status.js';

/** Merges an apply configuration into the live object: maps by key, keyed lists by item, the rest replaced. */
function merge(type: ResourceType, live: unknown, config: unknown, names: string[]): unknown {
  if (isRecord(config) && isRecord(live) && !(names.length > 0 && fieldSemantics(type, names).atomicObject)) {
    const out = clone(live);
    for (const [key, value] of Object.entries(config)) {
      if (value === null) delete out[key];
      else out[key] = merge(type, live[key], value, [...names, key]);
    }
    return out;
  }
  if (Array.isArray(config) && Array.isArray(live)) {
    const list = fieldSemantics(type, names).applyList;
    if (list.type === 'map' && config.every(isRecord) && live.every(isRecord)) {
      const keyOf = (item: Record<string, unknown>): string => itemKey(item, list.keys, list.defaults);
      const liveByKey = new Map((live as Array<Record<string, unknown>>).map((item) => [keyOf(item), item]));
      const configKeys = new Set((config as Array<Record<string, unknown>>).map(keyOf));
      const merged = (config as Array<Record<string, unknown>>).map((item) => {
        const existing = liveByKey.get(keyOf(item));
        return existing ? merge(type, existing, item, names) : clone(item);
      });
      return [...merged, ...(live as Array<Record<string, unknown>>).filter((item) => !configKeys.has(keyOf(item)))];
    }
    if (list.type === 'set') return [...config, ...live.filter((l) => !config.some((c) => jsonEqual(c, l)))];
  }
  return clone(config);
}

/** Removes the node at `path` (a leaf, a map key, a list item) from `object`, in place. */
function removePath(type: ResourceType, object: Record<string, unknown>, path: FieldPath): void {
  let node: unknown = object;
  let names: string[] = [];
  let container: unknown;
  let at: string | number = '';
  for (const element of elementsOf(path)) {
    const body = element.slice(2);
    if (element.startsWith('f:') && isRecord(node)) {
      [container, at] = [node, body];
      node = node[body];
      names = [...names, body];
      continue;
    }
    if (!Array.isArray(node)) return;
    const list = fieldSemantics(type, names).applyList;
    const index = element.startsWith('v:')
      ? node.findIndex((item) => JSON.stringify(item) === body)
      : list.type === 'map'
        ? node.findIndex((item) => isRecord(item) && itemKey(item, list.keys, list.defaults) === body)
        : -1;
    if (index < 0) return;
    [container, at] = [node, index];
    node = node[index];
  }
  if (Array.isArray(container)) container.splice(at as number, 1);
  else if (isRecord(container)) delete container[at as string];
}

/** 409 Conflict as the apiserver writes it for apply conflicts (one cause per conflicting field and manager). */
function conflictError(conflicts: Array<{ owner: Ownership; path: FieldPath }>): KubeStatusError {
  const who = (o: Ownership): string =>
    `"${o.manager}"${o.subresource ? ` with subresource "${o.subresource}"` : ''}${o.operation === 'Update' ? ` using ${o.apiVersion}${o.time ? ` at ${o.time}` : ''}` : ''}`;
  const causes: StatusCause[] = conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${who(c.owner)}`, field: formatPath(c.path) }));
  let message: string;
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${who(conflicts[0]!.owner)}: ${formatPath(conflicts[0]!.path)}`;
  } else {
    const byManager = new Map<string, string[]>();
    for (const c of conflicts) byManager.set(who(c.owner), [...(byManager.get(who(c.owner)) ?? []), formatPath(c.path)]);
    const lines = [...byManager.keys()].sort().flatMap((m) => [`conflicts with ${m}:`, ...byManager.get(m)!.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new KubeStatusError(409, 'Conflict', message, { causes });
}

/**
 * Server-side apply of `config` by `writer` onto `live` (undefined: create).
 * Fields the config sets with a value another manager owns with a different
 * value conflict (409) unless `force`, which takes them over; fields the same
 * manager applied before and no longer applies are removed unless someone
 * else owns them; the manager then owns exactly what it applied.
 */
export function serverSideApply(type: ResourceType, live: KubeObject, config: KubeObject, writer: Writer, force: boolean): KubeObject {
  const scope = writer.subresource === 'status' ? 'status' : 'main';
  const owners = readOwnership(live);
  const mine = entryFor(owners, writer, 'Apply');
  const applied = fieldsOf(type, config, scope);
  const current = fieldsOf(type, live, scope);
  const conflicts: Array<{ owner: Ownership; path: FieldPath }> = [];
  for (const owner of owners) {
    if (owner === mine) continue;
    for (const [path, value] of applied.leaves) {
      if (owner.paths.has(path) && current.leaves.has(path) && current.leaves.get(path) !== value) conflicts.push({ owner, path });
    }
  }
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const { owner, path } of conflicts) owner.paths.delete(path);

  const appliedPaths = pathsOf(applied);
  const merged = merge(type, live, config, []) as KubeObject;
  const dropped = [...mine.paths].filter((p) => !appliedPaths.has(p));
  const ownedByOthers = (path: FieldPath): boolean => owners.some((o) => o !== mine && [...o.paths].some((p) => isWithin(p, path)));
  for (const path of dropped.sort((a, b) => a.length - b.length)) {
    if (!ownedByOthers(path)) removePath(type, merged, path);
  }
  mine.paths = appliedPaths;
  mine.apiVersion = writer.apiVersion;
  mine.time = writer.time;
  merged.metadata.managedFields = writeOwnership(owners);
  return merged;
}
