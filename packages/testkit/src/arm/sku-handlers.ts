import type { ArmContext } from './arm-context.js';
import { invalidParameter } from './arm-error.js';
import { normalizeLocation, type ArmLocation } from './locations.js';
import { parseFilter } from './odata-filter.js';
import type { ArmReply } from './resource-handlers.js';

// The size's family as Compute names it: Standard_D2s_v5 -> standardDSv5Family (close enough for a client to read).
const familyOf = (size: string): string => {
  const m = /^Standard_([A-Z]+)\d+([a-z]*)(?:_v(\d+))?$/.exec(size);
  return m ? `standard${m[1]}${m[2]!.toUpperCase()}${m[3] ? `v${m[3]}` : ''}Family` : 'standardFamily';
};

const skuOf = (size: string, location: ArmLocation): Record<string, unknown> => ({
  resourceType: 'virtualMachines',
  name: size,
  tier: 'Standard',
  size: size.replace(/^Standard_/, ''),
  family: familyOf(size),
  locations: [location.name],
  locationInfo: [{ location: location.name, zones: [], zoneDetails: [] }],
  capabilities: [],
  restrictions: [],
});

/**
 * `GET /subscriptions/{id}/providers/Microsoft.Compute/skus`: one entry per
 * VM size and location the subscription may deploy, as Compute's Resource
 * SKUs API lists them. Only a `location eq '...'` filter is supported (as
 * in Azure); an unknown location lists nothing.
 */
export function listSkus(ctx: ArmContext, filter: string | null): ArmReply {
  let locations = ctx.locations;
  if (filter !== null) {
    const parsed = parseFilter(filter);
    const only = parsed?.length === 1 && parsed[0]!.length === 1 && parsed[0]![0]!.field.toLowerCase() === 'location' && typeof parsed[0]![0]!.value === 'string' ? parsed[0]![0]!.value : undefined;
    if (only === undefined) throw invalidParameter('$filter', `The filter '${filter}' is not supported. Only the location filter (location eq '<location>') is supported.`);
    locations = locations.filter((l) => l.name === normalizeLocation(only));
  }
  return { status: 200, body: { value: locations.flatMap((l) => l.vmSizes.map((size) => skuOf(size, l))) } };
}
