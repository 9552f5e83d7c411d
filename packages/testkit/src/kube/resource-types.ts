import type { JsonSchema } from './crd-schema.js';

/** One served resource: what discovery lists and what the handlers consult. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  /** Served subresources: `status` and, for Deployments, `scale`. */
  subresources: Array<'status' | 'scale'>;
  /** DELETE answers with the object (pods, services, custom resources) instead of a Success Status. */
  deleteReturnsObject: boolean;
  /** PUT without `metadata.resourceVersion` is allowed (true for the built-ins, false for custom resources). */
  allowUnconditionalUpdate: boolean;
  /** `metadata.generation` is kept (bumped on spec changes). */
  tracksGeneration: boolean;
  /** A change of annotations bumps the generation too (Deployments, since annotations go to ReplicaSets). */
  generationOnAnnotations: boolean;
  /** Strategic merge patch is accepted (built-ins only). */
  strategicMerge: boolean;
  /** For custom resources: the version's openAPIV3Schema. */
  schema?: JsonSchema;
  /** The CRD this type comes from, if any. */
  crdName?: string;
}

/** `apps/v1`, or `v1` for the core group. */
export const groupVersion = (t: { group: string; version: string }): string => (t.group ? `${t.group}/${t.version}` : t.version);

/** `deployments.apps`, `configmaps`: the key a type is stored under. */
export const resourceKey = (t: { group: string; plural: string }): string => (t.group ? `${t.plural}.${t.group}` : t.plural);

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(partial: Pick<ResourceType, 'group' | 'version' | 'plural' | 'singular' | 'kind' | 'namespaced'> & Partial<ResourceType>): ResourceType {
  return {
    shortNames: [],
    categories: [],
    verbs: VERBS,
    subresources: [],
    deleteReturnsObject: false,
    allowUnconditionalUpdate: true,
    tracksGeneration: false,
    generationOnAnnotations: false,
    strategicMerge: true,
    ...partial,
  };
}

/** The built-in types the fake serves. */
export function builtinResourceTypes(): ResourceType[] {
  return [
    builtin({
      group: '',
      version: 'v1',
      plural: 'namespaces',
      singular: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      shortNames: ['ns'],
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      subresources: ['status'],
      deleteReturnsObject: true,
    }),
    builtin({ group: '', version: 'v1', plural: 'configmaps', singular: 'configmap', kind: 'ConfigMap', namespaced: true, shortNames: ['cm'] }),
    builtin({ group: '', version: 'v1', plural: 'secrets', singular: 'secret', kind: 'Secret', namespaced: true }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'services',
      singular: 'service',
      kind: 'Service',
      namespaced: true,
      shortNames: ['svc'],
      categories: ['all'],
      subresources: ['status'],
      deleteReturnsObject: true,
    }),
    builtin({
      group: '',
      version: 'v1',
      plural: 'pods',
      singular: 'pod',
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
      categories: ['all'],
      subresources: ['status'],
      deleteReturnsObject: true,
    }),
    builtin({
      group: 'apps',
      version: 'v1',
      plural: 'deployments',
      singular: 'deployment',
      kind: 'Deployment',
      namespaced: true,
      shortNames: ['deploy'],
      categories: ['all'],
      subresources: ['status', 'scale'],
      tracksGeneration: true,
      generationOnAnnotations: true,
    }),
    builtin({ group: 'coordination.k8s.io', version: 'v1', plural: 'leases', singular: 'lease', kind: 'Lease', namespaced: true }),
    builtin({
      group: 'apiextensions.k8s.io',
      version: 'v1',
      plural: 'customresourcedefinitions',
      singular: 'customresourcedefinition',
      kind: 'CustomResourceDefinition',
      namespaced: false,
      shortNames: ['crd', 'crds'],
      categories: ['api-extensions'],
      subresources: ['status'],
      tracksGeneration: true,
      deleteReturnsObject: true,
    }),
  ];
}
