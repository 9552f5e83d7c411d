import type { ResourceRegistry } from './resource-registry.js';
import type { ResourceType } from './resource-types.js';
import { resourceNotFound } from './status.js';

/** A request for a resource: `/api/v1/namespaces/ns/configmaps/name` and the like. */
export interface ResourceTarget {
  type: ResourceType;
  /** `''` for cluster-scoped types and for lists across all namespaces. */
  namespace: string;
  name?: string;
  subresource?: string;
}

/** A parsed API path. */
export type ParsedPath =
  | { kind: 'resource'; target: ResourceTarget }
  | { kind: 'discovery'; group: string; version?: string; core: boolean }
  | { kind: 'other' };

/**
 * Parses `/api/v1/...` and `/apis/<group>/<version>/...`. A namespaced path is
 * `namespaces/<ns>/<plural>[/<name>[/<sub>]]`; anything else names a
 * cluster-scoped type or a list across namespaces. Unknown types are 404.
 */
export function parsePath(pathname: string, registry: ResourceRegistry): ParsedPath {
  const segments = pathname.split('/').filter((s) => s !== '').map(decodeURIComponent);
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (segments[0] === 'api') {
    if (segments.length === 1) return { kind: 'discovery', group: '', core: true };
    group = '';
    version = segments[1];
    rest = segments.slice(2);
  } else if (segments[0] === 'apis') {
    if (segments.length <= 3) return { kind: 'discovery', group: segments[1] ?? '', ...(segments[2] ? { version: segments[2] } : {}), core: false };
    group = segments[1]!;
    version = segments[2];
    rest = segments.slice(3);
  } else return { kind: 'other' };
  if (rest.length === 0) return { kind: 'discovery', group, ...(version ? { version } : {}), core: group === '' };
  const find = (plural: string | undefined): ResourceType | undefined => (plural ? registry.find(group, version!, plural) : undefined);
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const type = find(rest[2]);
    if (type?.namespaced) {
      if (rest.length > 5) throw resourceNotFound();
      return { kind: 'resource', target: { type, namespace: rest[1]!, ...(rest[3] ? { name: rest[3] } : {}), ...(rest[4] ? { subresource: rest[4] } : {}) } };
    }
  }
  const type = find(rest[0]);
  if (!type || rest.length > 3 || (type.namespaced && rest.length > 1)) throw resourceNotFound();
  return { kind: 'resource', target: { type, namespace: '', ...(rest[1] ? { name: rest[1] } : {}), ...(rest[2] ? { subresource: rest[2] } : {}) } };
}
