import type { ArmError } from './arm-error.js';

/** A long-running change that completes at `readyAt` (virtual time). */
export interface PendingChange {
  operationId: string;
  readyAt: number;
  /** Set when the change ends Failed (the resource's provisioningState becomes Failed). */
  failure?: ArmError;
}

/** One stored ARM resource (or child resource such as a subnet). */
export interface StoredResource {
  /** The id with the casing of the create request. */
  id: string;
  /** Canonical type (`Microsoft.Network/virtualNetworks/subnets`). */
  type: string;
  name: string;
  resourceGroup: string;
  /** The parent's id for child resources. */
  parentId?: string;
  location?: string;
  tags?: Record<string, string>;
  /** `properties` as stored (without provisioningState, which is computed). */
  properties: Record<string, unknown>;
  /** Extra top-level fields (`sku`, `zones`). */
  extra: Record<string, unknown>;
  provisioningState: 'Creating' | 'Updating' | 'Deleting' | 'Succeeded' | 'Failed';
  pending?: PendingChange;
  etag: string;
  /** Kind-specific state not in the body (power state, peering history). */
  state: Record<string, unknown>;
}

const key = (id: string): string => id.toLowerCase();

/** Resources by id, case-insensitively as ARM compares ids. */
export class ResourceStore {
  private readonly byId = new Map<string, StoredResource>();

  get(id: string): StoredResource | undefined {
    return this.byId.get(key(id));
  }

  put(resource: StoredResource): void {
    this.byId.set(key(resource.id), resource);
  }

  delete(id: string): void {
    this.byId.delete(key(id));
    for (const child of this.children(id)) this.delete(child.id);
  }

  /** Direct children of `parentId`, optionally of one type. */
  children(parentId: string, type?: string): StoredResource[] {
    const parent = key(parentId);
    return [...this.byId.values()].filter((r) => r.parentId !== undefined && key(r.parentId) === parent && (!type || r.type.toLowerCase() === type.toLowerCase()));
  }

  /** Every resource, in creation order. */
  all(): StoredResource[] {
    return [...this.byId.values()];
  }

  /** Everything inside a resource group (its id prefix). */
  inGroup(groupId: string): StoredResource[] {
    const prefix = `${key(groupId)}/`;
    return this.all().filter((r) => key(r.id).startsWith(prefix));
  }
}
