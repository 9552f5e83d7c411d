import type { ApiContext } from './api-context.js';
import { isRecord, type KubeObject } from './kube-object.js';
import type { CrdObject } from './resource-registry.js';
import { groupVersion, resourceKey, type ResourceType } from './resource-types.js';
import { prepareCreate, prepareUpdate } from './write-pipeline.js';

/** How long the fake's "controllers" wait before reacting to a write (a real cluster takes a moment too). */
const CONTROLLER_DELAY_MILLIS = 0;

/**
 * Writes as a controller would (through the same pipeline, its own field
 * manager, the status subresource if asked), re-reading the object first; a
 * vanished object is skipped.
 */
export function controllerWrite(
  ctx: ApiContext,
  type: ResourceType,
  namespace: string,
  name: string,
  manager: string,
  subresource: 'status' | undefined,
  mutate: (object: KubeObject) => void,
): void {
  const current = ctx.store.get(resourceKey(type), namespace, name);
  if (!current) return;
  const next = structuredClone(current);
  mutate(next);
  const writer = { manager, apiVersion: groupVersion(type), time: ctx.now(), ...(subresource ? { subresource } : {}) };
  const prepared = prepareUpdate(type, current, next, { writer, fieldValidation: 'Ignore' }, ctx);
  if (prepared.changed) ctx.store.put(resourceKey(type), prepared.object);
}

/** Reacts to a stored object: CRDs become served and Established, new namespaces get `kube-root-ca.crt`. */
export function afterStore(ctx: ApiContext, type: ResourceType, object: KubeObject, created: boolean): void {
  if (type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io') {
    ctx.registry.registerCrd(object as unknown as CrdObject);
    const conditions = (isRecord(object['status']) && Array.isArray(object['status']['conditions']) ? object['status']['conditions'] : []) as Array<Record<string, unknown>>;
    if (!conditions.some((c) => c['type'] === 'Established')) {
      ctx.schedule(CONTROLLER_DELAY_MILLIS, () =>
        controllerWrite(ctx, type, '', object.metadata.name, 'kube-apiserver', 'status', (crd) => {
          const spec = crd['spec'] as CrdObject['spec'];
          const now = ctx.now();
          const condition = (kind: string, reason: string, message: string): Record<string, unknown> => ({ type: kind, status: 'True', lastTransitionTime: now, reason, message });
          crd['status'] = {
            conditions: [condition('NamesAccepted', 'NoConflicts', 'no conflicts found'), condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted')],
            acceptedNames: spec.names,
            storedVersions: spec.versions.filter((v) => v.storage).map((v) => v.name),
          };
        }),
      );
    }
  }
  if (type.kind === 'Namespace' && created) {
    ctx.schedule(CONTROLLER_DELAY_MILLIS, () => {
      const configMaps = ctx.registry.find('', 'v1', 'configmaps')!;
      if (!ctx.store.get('namespaces', '', object.metadata.name) || ctx.store.get('configmaps', object.metadata.name, 'kube-root-ca.crt')) return;
      const writer = { manager: 'kube-controller-manager', apiVersion: 'v1', time: ctx.now() };
      const body = { metadata: { name: 'kube-root-ca.crt', annotations: { 'kubernetes.io/description': 'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.' } }, data: { 'ca.crt': ctx.caPem } };
      ctx.store.put('configmaps', prepareCreate(ctx, configMaps, object.metadata.name, body, { writer, fieldValidation: 'Ignore' }).object);
    });
  }
}

/**
 * Deletes like the real server: an object with finalizers only gets a
 * deletionTimestamp; a namespace turns Terminating and goes (with its
 * content) a moment later; a CRD takes its custom resources with it.
 * Returns the object as the response shows it and whether it is gone.
 */
export function deleteObject(ctx: ApiContext, type: ResourceType, object: KubeObject): { object: KubeObject; gone: boolean } {
  const key = resourceKey(type);
  const namespace = object.metadata.namespace ?? '';
  const name = object.metadata.name;
  if (type.kind === 'Namespace' && type.group === '') {
    if (!object.metadata.deletionTimestamp) {
      object.metadata.deletionTimestamp = ctx.now();
      object['status'] = { ...(isRecord(object['status']) ? object['status'] : {}), phase: 'Terminating' };
      object = ctx.store.put(key, object);
      ctx.schedule(CONTROLLER_DELAY_MILLIS, () => purgeNamespace(ctx, name));
    }
    return { object, gone: false };
  }
  if ((object.metadata.finalizers ?? []).length > 0) {
    if (!object.metadata.deletionTimestamp) {
      object.metadata.deletionTimestamp = ctx.now();
      object.metadata.deletionGracePeriodSeconds = 0;
      object = ctx.store.put(key, object);
    }
    return { object, gone: false };
  }
  const removed = ctx.store.remove(key, namespace, name) ?? object;
  if (type.kind === 'CustomResourceDefinition' && type.group === 'apiextensions.k8s.io') {
    const crd = object as unknown as CrdObject;
    ctx.store.removeAll(`${crd.spec.names.plural}.${crd.spec.group}`);
    ctx.registry.unregisterCrd(name);
  }
  return { object: removed, gone: true };
}

function purgeNamespace(ctx: ApiContext, namespace: string): void {
  for (const type of ctx.registry.all()) {
    if (!type.namespaced) continue;
    for (const object of ctx.store.list(resourceKey(type), namespace)) ctx.store.remove(resourceKey(type), namespace, object.metadata.name);
  }
  ctx.store.remove('namespaces', '', namespace);
}
