import type { ArmError } from './arm-error.js';
import type { ArmLocation } from './locations.js';
import type { NameRule } from './names.js';
import type { ResourceStore, StoredResource } from './resource-store.js';

/** What a resource kind can see of the fake. */
export interface KindContext {
  store: ResourceStore;
  subscriptionId: string;
  locations: readonly ArmLocation[];
  /** Fresh ids for VMs, etags, IP addresses. */
  nextIp(): string;
  /** The ARM JSON of a stored resource (children are shown inline by their parents). */
  render(resource: StoredResource): Record<string, unknown>;
}

/** A PUT as a kind sees it. */
export interface PutInput {
  id: string;
  name: string;
  resourceGroup: string;
  body: Record<string, unknown>;
  properties: Record<string, unknown>;
  existing?: StoredResource;
  parent?: StoredResource;
  location?: string;
}

/** The stored part a kind derives from a PUT. */
export interface Prepared {
  properties: Record<string, unknown>;
  extra?: Record<string, unknown>;
  state?: Record<string, unknown>;
}

/** A POST action (`start`, `deallocate`): applied when its operation completes. */
export type ArmAction = (ctx: KindContext, resource: StoredResource) => () => void;

/** One ARM resource type: validation, computed fields and actions; the HTTP semantics are generic. */
export interface ResourceKind {
  /** Canonical type, `Microsoft.Network/virtualNetworks` or `Microsoft.Network/virtualNetworks/subnets`. */
  type: string;
  nameRule: NameRule;
  /** PUT/DELETE answer 201/202 with an async operation (network, compute) or synchronously (Traffic Manager). */
  longRunning: boolean;
  /** `regional` resources need a known location; `global` ones `location: 'global'`; `child` ones none. */
  placement: 'regional' | 'global' | 'child';
  /** Whether `properties.provisioningState` is shown (Traffic Manager has none). */
  showsProvisioningState: boolean;
  /** Validates a PUT body (throwing Azure's error) and returns what to store. */
  prepare(ctx: KindContext, input: PutInput): Prepared;
  /** After a PUT is stored (inline children such as subnets are written here). */
  afterPut?(ctx: KindContext, resource: StoredResource, input: PutInput): void;
  /** Computed `properties` fields (subnets, peering state, instance view). */
  view?(ctx: KindContext, resource: StoredResource, expand: string | undefined): Record<string, unknown>;
  /** Refuses a DELETE (resource in use). */
  beforeDelete?(ctx: KindContext, resource: StoredResource): ArmError | undefined;
  /** After the resource is gone. */
  afterDelete?(ctx: KindContext, resource: StoredResource): void;
  /** POST actions by lower-case name. */
  actions?: Record<string, ArmAction>;
  /** GET sub-views by lower-case name (`instanceview`). */
  subViews?: Record<string, (ctx: KindContext, resource: StoredResource) => unknown>;
}

/** An `{ id }` reference in a body, or undefined. */
export function refId(value: unknown): string | undefined {
  return value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : undefined;
}

/** `value` as a plain object (empty for anything else). */
export function objectOf(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** A live resource (not being deleted) of `type` with this id. */
export function live(ctx: KindContext, id: string | undefined, type: string): StoredResource | undefined {
  if (!id) return undefined;
  const found = ctx.store.get(id);
  return found && found.type.toLowerCase() === type.toLowerCase() && found.provisioningState !== 'Deleting' ? found : undefined;
}
