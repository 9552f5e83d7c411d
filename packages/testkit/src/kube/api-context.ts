import { randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '@meridian/core';
import { rfc3339, type KubeObject } from './kube-object.js';
import type { ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './resource-registry.js';
import { groupVersion, resourceKey, type ResourceType } from './resource-types.js';
import { forbidden, notFound } from './status.js';

/** What every handler shares: the types, the objects and time. */
export class ApiContext {
  private nextServiceIp = 1;
  private readonly timers = new Set<TimerHandle>();
  /** The CA served in every namespace's `kube-root-ca.crt` ConfigMap. */
  caPem = '';

  constructor(
    readonly registry: ResourceRegistry,
    readonly store: ObjectStore,
    readonly clock: Clock,
  ) {}

  /** Runs `task` after `delayMillis` on the clock (what a controller would do); errors go to `onError`. */
  schedule(delayMillis: number, task: () => void): void {
    const handle = this.clock.setTimeout(() => {
      this.timers.delete(handle);
      try {
        task();
      } catch (error) {
        this.onError(error);
      }
    }, delayMillis);
    this.timers.add(handle);
  }

  /** Cancels every scheduled task (shutdown). */
  cancelScheduled(): void {
    for (const handle of this.timers) handle.cancel();
    this.timers.clear();
  }

  /** Where background failures are reported (never thrown). */
  onError: (error: unknown) => void = () => undefined;

  /** A fresh object UID. */
  uid(): string {
    return randomUUID();
  }

  /** `metav1.Time` now. */
  now(): string {
    return rfc3339(this.clock.now());
  }

  /** The next ClusterIP from 10.96.0.0/12 (never routed: it only shows in objects). */
  allocateClusterIp(): string {
    const n = this.nextServiceIp++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  /** The stored object, or 404 NotFound. */
  getOrNotFound(type: ResourceType, namespace: string, name: string): KubeObject {
    const object = this.store.get(resourceKey(type), namespace, name);
    if (!object) throw notFound(type, name);
    return structuredClone(object);
  }

  /** 404 if the namespace does not exist, 403 if it is being deleted (only for creates). */
  requireNamespace(type: ResourceType, namespace: string, name: string, creating: boolean): void {
    if (!type.namespaced) return;
    const ns = this.store.get('namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    if (creating && ns.metadata.deletionTimestamp) {
      throw forbidden(type, name, `unable to create new content in namespace ${namespace} because it is being terminated`, [
        { type: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' },
      ]);
    }
  }
}

/** The object as served at `type`'s version: apiVersion and kind set (objects are stored without conversion). */
export function served(type: ResourceType, object: KubeObject): KubeObject {
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return { apiVersion: groupVersion(type), kind: type.kind, ...rest } as KubeObject;
}
