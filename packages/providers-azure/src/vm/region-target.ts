import type { AzureImageReference } from './azure-provider-options.js';

/** One configured region, resolved: where it goes and what it is called in Azure. */
export interface RegionTarget {
  id: string;
  location: string;
  vmSize: string;
  addressSpace: string;
  subnetPrefix: string;
  image: Required<AzureImageReference>;
  resourceGroup: string;
  timezone?: string | undefined;
  locale?: string | undefined;
}

/** Tag naming the Meridian region of every resource. */
export const TAG_REGION = 'meridian-region';
/** Tag naming the app (the spec's `name`). */
export const TAG_APP = 'meridian-app';
/** Tag on the Traffic Manager profile holding the highest fencing token applied. */
export const TAG_FENCING = 'meridian-fencing-token';

/** Names of a region's resources for one app. */
export function resourceNames(app: string): { vnet: string; subnet: string; nsg: string; publicIp: string; nic: string; vm: string } {
  return { vnet: `${app}-vnet`, subnet: 'default', nsg: `${app}-nsg`, publicIp: `${app}-ip`, nic: `${app}-nic`, vm: `${app}-vm` };
}

/** Ubuntu 22.04 LTS, gen2. */
export const DEFAULT_IMAGE: Required<AzureImageReference> = { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' };
