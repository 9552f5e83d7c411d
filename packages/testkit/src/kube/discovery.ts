import type { ResourceRegistry } from './resource-registry.js';
import { groupVersion, type ResourceType } from './resource-types.js';

/** The Kubernetes version the fake reports (kubectl 1.32 is the client it is checked against). */
export const FAKE_KUBE_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
  gitCommit: '59526cd4867447956156ae3a602fcbac10a2c335',
  gitTreeState: 'clean',
  buildDate: '2025-04-22T16:02:27Z',
  goVersion: 'go1.23.6',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** The media type of aggregated discovery (`/api` and `/apis` in one request each). */
export const AGGREGATED_DISCOVERY = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

const SUB_VERBS = ['get', 'patch', 'update'];

function legacyResources(types: ResourceType[]): unknown[] {
  return types.flatMap((t) => [
    {
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.verbs,
      ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
      ...(t.categories.length ? { categories: t.categories } : {}),
    },
    ...t.subresources.map((s) =>
      s === 'scale'
        ? { name: `${t.plural}/scale`, singularName: '', namespaced: t.namespaced, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: SUB_VERBS }
        : { name: `${t.plural}/${s}`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: SUB_VERBS },
    ),
  ]);
}

/** `/api/v1` or `/apis/<group>/<version>`: an APIResourceList, or undefined if that version is not served. */
export function resourceList(registry: ResourceRegistry, group: string, version: string): unknown {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion({ group, version }), resources: legacyResources(types) };
}

/** `/api`: the core group's versions. */
export function coreVersions(serverAddress: string): unknown {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> {
  const versions = registry.versionsOf(group).map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

/** `/apis`: every named group. */
export function groupList(registry: ResourceRegistry): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: registry.groups().filter((g) => g !== '').map((g) => apiGroup(registry, g)) };
}

/** `/apis/<group>`: one group, or undefined. */
export function groupDocument(registry: ResourceRegistry, group: string): unknown {
  if (!registry.groups().includes(group) || group === '') return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(registry, group) };
}

/** Aggregated discovery v2 for the core group (`/api`) or the named groups (`/apis`). */
export function aggregatedDiscovery(registry: ResourceRegistry, core: boolean): unknown {
  const groups = registry.groups().filter((g) => (g === '') === core);
  return {
    kind: 'APIGroupDiscoveryList',
    apiVersion: 'apidiscovery.k8s.io/v2',
    metadata: {},
    items: groups.map((group) => ({
      metadata: group ? { name: group, creationTimestamp: null } : { creationTimestamp: null },
      versions: registry.versionsOf(group).map((version) => ({
        version,
        resources: registry
          .all()
          .filter((t) => t.group === group && t.version === version)
          .map((t) => ({
            resource: t.plural,
            responseKind: { group, version, kind: t.kind },
            scope: t.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: t.singular,
            verbs: t.verbs,
            ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
            ...(t.categories.length ? { categories: t.categories } : {}),
            ...(t.subresources.length
              ? {
                  subresources: t.subresources.map((s) => ({
                    subresource: s,
                    responseKind: s === 'scale' ? { group: 'autoscaling', version: 'v1', kind: 'Scale' } : { group, version, kind: t.kind },
                    verbs: SUB_VERBS,
                  })),
                }
              : {}),
          })),
        freshness: 'Current',
      })),
    })),
  };
}

/** True if the Accept header takes aggregated discovery v2 (kubectl 1.30+ and client-go send it first). */
export function acceptsAggregated(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((part) => part.includes('as=APIGroupDiscoveryList') && part.includes('v=v2') && !part.includes('v=v2beta1'));
}
