import { randomUUID } from 'node:crypto';
import type { Clock } from '@meridian/core';
import type { ArmError } from './arm-error.js';
import type { ArmFaults } from './faults.js';
import { formatIp } from './address-space.js';
import { virtualMachineKind } from './kinds/virtual-machine.js';
import { nicKind, nsgKind, publicIpKind } from './kinds/network-resources.js';
import { azureEndpointKind, externalEndpointKind, trafficManagerProfileKind } from './kinds/traffic-manager.js';
import { peeringKind, subnetKind, virtualNetworkKind } from './kinds/virtual-network.js';
import type { ArmLocation } from './locations.js';
import { OperationTable, type ArmOperation } from './operations.js';
import type { KindContext, ResourceKind } from './resource-kind.js';
import { ResourceStore, type StoredResource } from './resource-store.js';

const KINDS: ResourceKind[] = [virtualNetworkKind, subnetKind, peeringKind, publicIpKind, nsgKind, nicKind, virtualMachineKind, trafficManagerProfileKind, azureEndpointKind, externalEndpointKind];

/** Everything the handlers share: store, operations, faults, kinds and settings. */
export class ArmContext implements KindContext {
  readonly store = new ResourceStore();
  readonly operations: OperationTable;
  readonly kinds = new Map(KINDS.map((k) => [k.type.toLowerCase(), k]));
  private ipCounter = 10;

  constructor(
    readonly subscriptionId: string,
    readonly tenantId: string,
    readonly locations: readonly ArmLocation[],
    readonly faults: ArmFaults,
    readonly clock: Clock,
    public operationDelayMillis: number,
    readonly baseUrl: () => string,
  ) {
    this.operations = new OperationTable(clock);
  }

  nextIp(): string {
    return formatIp(3325256704 + this.ipCounter++); // 198.51.100.0 + n
  }

  /** How long an operation in `location` takes (a slow region's own delay, else the default). */
  delayFor(location: string | undefined): number {
    return (location === undefined ? undefined : this.faults.locationDelays.get(location)) ?? this.operationDelayMillis;
  }

  /** Starts an async operation; its URLs go in `Azure-AsyncOperation` / `Location`. */
  startOperation(namespace: string, location: string, apiVersion: string, spec: { failure?: ArmError; complete: () => void; resultBody?: () => unknown }): { operation: ArmOperation; asyncUrl: string; locationUrl: string } {
    const id = randomUUID();
    const operation = this.operations.add({ id, readyAt: this.clock.now() + this.delayFor(location), ...spec });
    const base = `${this.baseUrl()}/subscriptions/${this.subscriptionId}/providers/${namespace}/locations/${location}`;
    return { operation, asyncUrl: `${base}/operations/${id}?api-version=${apiVersion}`, locationUrl: `${base}/operationResults/${id}?api-version=${apiVersion}` };
  }

  kindOf(type: string): ResourceKind | undefined {
    return this.kinds.get(type.toLowerCase());
  }

  render(resource: StoredResource, expand?: string): Record<string, unknown> {
    const kind = this.kindOf(resource.type)!;
    const properties = {
      ...resource.properties,
      ...(kind.showsProvisioningState ? { provisioningState: resource.provisioningState } : {}),
      ...kind.view?.(this, resource, expand),
    };
    const etag = resource.type.startsWith('Microsoft.Network/') && !resource.type.startsWith('Microsoft.Network/trafficManagerProfiles') ? { etag: resource.etag } : {};
    return {
      id: resource.id,
      name: resource.name,
      type: resource.type,
      ...etag,
      ...(resource.location ? { location: resource.location } : {}),
      ...(resource.tags ? { tags: resource.tags } : {}),
      ...resource.extra,
      properties,
    };
  }
}
