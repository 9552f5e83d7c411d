import { isRecord } from './kube-object.js';
import { fieldSemantics } from './list-semantics.js';
import type { ResourceType } from './resource-types.js';

/**
 * A field path in managedFields' own notation, elements joined by newlines:
 * `f:spec`, `k:{"name":"web"}` (a keyed list item), `v:"x"` (a set item).
 */
export type FieldPath = string;
const SEP = '\n';

/** The fields an object sets: leaves with their values (JSON) and the "." entries of map fields and list items. */
export interface ObjectFields {
  leaves: Map<FieldPath, string>;
  items: Set<FieldPath>;
}

/** Which part of an object a request may change: the main resource leaves `status` alone, `/status` touches only it. */
export type FieldScope = 'main' | 'status';

const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
  'generateName',
]);

/** Key of a list item for a keyed list (defaults filled in, like `protocol: TCP`), JSON in the keys' order. */
export function itemKey(item: Record<string, unknown>, keys: string[], defaults: Record<string, unknown>): string {
  const key: Record<string, unknown> = {};
  for (const k of [...keys].sort()) key[k] = item[k] ?? defaults[k];
  return JSON.stringify(key);
}

/** Walks an object into the fields it sets, at top-level-field / map-key / list-merge-key granularity. */
export function fieldsOf(type: ResourceType, object: Record<string, unknown>, scope: FieldScope): ObjectFields {
  const fields: ObjectFields = { leaves: new Map(), items: new Set() };
  const hasStatus = type.subresources.includes('status');
  const walk = (value: unknown, elements: string[], names: string[]): void => {
    const here = elements.join(SEP);
    if (isRecord(value)) {
      const semantics = names.length > 0 ? fieldSemantics(type, names) : undefined;
      if (semantics?.atomicObject || (names.length > 0 && Object.keys(value).length === 0)) {
        fields.leaves.set(here, JSON.stringify(value));
        return;
      }
      if (semantics?.isMap) fields.items.add(here);
      for (const [key, child] of Object.entries(value)) {
        if (child === undefined) continue;
        if (names.length === 0) {
          if (key === 'apiVersion' || key === 'kind') continue;
          if (hasStatus && (scope === 'status') !== (key === 'status')) continue;
        }
        if (names.length === 1 && names[0] === 'metadata' && SERVER_METADATA.has(key)) continue;
        walk(child, [...elements, `f:${key}`], [...names, key]);
      }
      return;
    }
    if (Array.isArray(value)) {
      const list = fieldSemantics(type, names).applyList;
      if (list.type === 'map' && value.every(isRecord)) {
        for (const item of value as Array<Record<string, unknown>>) {
          const itemElements = [...elements, `k:${itemKey(item, list.keys, list.defaults)}`];
          fields.items.add(itemElements.join(SEP));
          for (const [key, child] of Object.entries(item)) walk(child, [...itemElements, `f:${key}`], [...names, key]);
        }
        return;
      }
      if (list.type === 'set') {
        for (const item of value) fields.leaves.set([...elements, `v:${JSON.stringify(item)}`].join(SEP), JSON.stringify(item));
        return;
      }
    }
    fields.leaves.set(here, JSON.stringify(value));
  };
  walk(object, [], []);
  return fields;
}

/** Every path of `fields`: leaves and items. */
export function pathsOf(fields: ObjectFields): Set<FieldPath> {
  return new Set([...fields.leaves.keys(), ...fields.items]);
}

/** True if `path` is `ancestor` or lies under it. */
export function isWithin(path: FieldPath, ancestor: FieldPath): boolean {
  return path === ancestor || path.startsWith(ancestor + SEP);
}

interface Node {
  own: boolean;
  children: Map<string, Node>;
}

/** Encodes a set of paths as `fieldsV1` (`{"f:spec":{"f:replicas":{}}, ...}` with `.` for owned inner nodes). */
export function toFieldsV1(paths: Iterable<FieldPath>): Record<string, unknown> {
  const root: Node = { own: false, children: new Map() };
  for (const path of paths) {
    let node = root;
    for (const element of path.split(SEP)) {
      let next = node.children.get(element);
      if (!next) node.children.set(element, (next = { own: false, children: new Map() }));
      node = next;
    }
    node.own = true;
  }
  const encode = (node: Node): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    if (node.own && node.children.size > 0) out['.'] = {};
    for (const key of [...node.children.keys()].sort()) out[key] = encode(node.children.get(key)!);
    return out;
  };
  return encode(root);
}

/** Decodes `fieldsV1` into paths. */
export function fromFieldsV1(fieldsV1: unknown): Set<FieldPath> {
  const paths = new Set<FieldPath>();
  const walk = (node: unknown, elements: string[]): void => {
    if (!isRecord(node)) return;
    const entries = Object.entries(node);
    if (entries.length === 0 && elements.length > 0) paths.add(elements.join(SEP));
    for (const [key, child] of entries) {
      if (key === '.') paths.add(elements.join(SEP));
      else walk(child, [...elements, key]);
    }
  };
  walk(fieldsV1, []);
  return paths;
}

/** `.spec.template.spec.containers[name="web"].image`, the way conflict messages print a path. */
export function formatPath(path: FieldPath): string {
  return path
    .split(SEP)
    .map((element) => {
      const body = element.slice(2);
      if (element.startsWith('f:')) return `.${body}`;
      if (element.startsWith('v:')) return `[=${body}]`;
      if (element.startsWith('k:')) {
        const key = JSON.parse(body) as Record<string, unknown>;
        return `[${Object.entries(key).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
      }
      return `[${body}]`;
    })
    .join('');
}

/** Splits a path into its elements. */
export const elementsOf = (path: FieldPath): string[] => path.split(SEP);
