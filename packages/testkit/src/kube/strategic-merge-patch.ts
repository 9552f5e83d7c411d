import { clone, isRecord, jsonEqual } from './kube-object.js';
import { fieldSemantics } from './list-semantics.js';
import type { ResourceType } from './resource-types.js';
import { badRequest, internalError } from './status.js';

const SET_ORDER = '$setElementOrder/';
const DELETE_FROM = '$deleteFromPrimitiveList/';

/** Removes `$patch`, `$retainKeys` and the other directives from a value that is added as is. */
function stripDirectives(value: unknown): unknown {
  if (Array.isArray(value)) return value.filter((v) => !(isRecord(v) && v['$patch'] !== undefined && Object.keys(v).length === 1)).map(stripDirectives);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!k.startsWith('$')) out[k] = stripDirectives(v);
  return out;
}

function reorder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const identity = (item: unknown): string => JSON.stringify(key && isRecord(item) ? item[key] : item);
  const wanted = order.map((o) => JSON.stringify(key && isRecord(o) ? o[key] : o));
  const ordered = wanted.flatMap((id) => list.filter((item) => identity(item) === id));
  return [...ordered, ...list.filter((item) => !wanted.includes(identity(item)))];
}

/**
 * A Kubernetes strategic merge patch on a built-in type: maps merge, lists with
 * a merge key (containers and env by `name`, container ports by `containerPort`,
 * Service ports by `port`, volumes by `name`, ...) merge item by item, other
 * lists are replaced; `$patch: replace|delete`, `$setElementOrder/`,
 * `$deleteFromPrimitiveList/` and `$retainKeys` are honoured.
 */
export function applyStrategicMergePatch(type: ResourceType, original: Record<string, unknown>, patch: unknown): Record<string, unknown> {
  if (!isRecord(patch)) throw badRequest('json: cannot unmarshal array into Go value of type map[string]interface {}');
  return mergeMap(type, original, patch, []) ?? {};
}

function mergeMap(type: ResourceType, original: Record<string, unknown>, patch: Record<string, unknown>, path: string[]): Record<string, unknown> | undefined {
  const directive = patch['$patch'];
  if (directive === 'delete') return undefined;
  if (directive === 'replace') return stripDirectives(patch) as Record<string, unknown>;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patch)}`);
  let out = clone(original);
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k) || k in patch));
  }
  const orders: Array<[string, unknown[]]> = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys') continue;
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw badRequest('invalid patch: $setElementOrder must be a list');
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM)) {
      const field = key.slice(DELETE_FROM.length);
      const current = out[field];
      if (Array.isArray(current) && Array.isArray(value)) out[field] = current.filter((x) => !value.some((v) => jsonEqual(v, x)));
      continue;
    }
    const childPath = [...path, key];
    if (value === null) {
      delete out[key];
    } else if (isRecord(value)) {
      const merged = mergeMap(type, isRecord(out[key]) ? out[key] : {}, value, childPath);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else if (Array.isArray(value)) {
      out[key] = mergeList(type, Array.isArray(out[key]) ? out[key] : [], value, childPath);
    } else {
      out[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const list = out[field];
    if (Array.isArray(list)) out[field] = reorder(list, order, fieldSemantics(type, [...path, field]).mergeKey);
  }
  return out;
}

function mergeList(type: ResourceType, original: unknown[], patch: unknown[], path: string[]): unknown[] {
  const semantics = fieldSemantics(type, path);
  const replaceAll = patch.some((p) => isRecord(p) && p['$patch'] === 'replace');
  if (replaceAll) return stripDirectives(patch.filter((p) => !(isRecord(p) && p['$patch'] === 'replace'))) as unknown[];
  if (semantics.mergePrimitives) {
    const out = [...original];
    for (const item of patch) if (!out.some((o) => jsonEqual(o, item))) out.push(item);
    return out;
  }
  const key = semantics.mergeKey;
  if (!key || !patch.every(isRecord)) return stripDirectives(patch) as unknown[];
  let out = clone(original);
  for (const item of patch as Array<Record<string, unknown>>) {
    if (!(key in item)) throw internalError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    if (item['$patch'] === 'delete') {
      out = out.filter((o) => !(isRecord(o) && jsonEqual(o[key], item[key])));
      continue;
    }
    const index = out.findIndex((o) => isRecord(o) && jsonEqual(o[key], item[key]));
    if (index >= 0) out[index] = mergeMap(type, out[index] as Record<string, unknown>, item, path) ?? out[index];
    else out.push(stripDirectives(item));
  }
  return out;
}
