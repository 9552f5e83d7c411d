import type { ComputeManagementClient } from '@azure/arm-compute';
import { CliError, EXIT } from '../../exit-codes.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { AzureProviderConfig } from '../../config/provider-schemas.js';

/** VM sizes offered in a location: Compute's Resource SKUs of type virtualMachines not restricted there. */
async function sizesIn(compute: ComputeManagementClient, location: string | undefined, signal: AbortSignal): Promise<Map<string, Map<string, string>>> {
  const byLocation = new Map<string, Map<string, string>>();
  const options = { abortSignal: signal, ...(location ? { filter: `location eq '${location}'` } : {}) };
  for await (const sku of compute.resourceSkus.list(options)) {
    if (sku.resourceType !== 'virtualMachines' || !sku.name) continue;
    for (const loc of sku.locations ?? []) {
      const name = loc.toLowerCase();
      const restricted = (sku.restrictions ?? []).some((r) => r.type === 'Location' && (r.values ?? []).some((v) => v.toLowerCase() === name));
      if (restricted) continue;
      if (!byLocation.has(name)) byLocation.set(name, new Map());
      byLocation.get(name)!.set(sku.name.toLowerCase(), sku.name);
    }
  }
  return byLocation;
}

/**
 * Checks, before anything is created, that every region's Azure location
 * exists for the subscription and offers its VM size (the Resource SKUs
 * list, as `az vm list-skus` reads it). Each problem names the region, the
 * location and the size at `file:line:col`.
 */
export async function checkLocationsAndSizes(loaded: Pick<LoadedConfig, 'where'>, o: AzureProviderConfig, compute: ComputeManagementClient, signal: AbortSignal): Promise<void> {
  const locations = [...new Set(Object.values(o.regions).map((r) => r.location))];
  const offered = new Map<string, Map<string, string>>();
  for (const location of locations) offered.set(location, (await sizesIn(compute, location, signal)).get(location) ?? new Map());
  const problems: string[] = [];
  let known: string[] | undefined;
  for (const [id, region] of Object.entries(o.regions)) {
    const sizes = offered.get(region.location)!;
    if (sizes.size === 0) {
      known ??= [...(await sizesIn(compute, undefined, signal)).keys()].sort();
      const where = loaded.where(['provider', 'regions', id, 'location']);
      problems.push(`${where}: provider.regions.${id}.location: region "${id}": Azure location "${region.location}" does not exist or offers no VM sizes to this subscription (locations: ${known.join(', ')}) [AZURE_LOCATION_NOT_FOUND]`);
    } else if (!sizes.has(region.vmSize.toLowerCase())) {
      const where = loaded.where(['provider', 'regions', id, 'vmSize']);
      problems.push(`${where}: provider.regions.${id}.vmSize: region "${id}": VM size "${region.vmSize}" is not offered in ${region.location} (offered there: ${[...sizes.values()].sort().join(', ')}) [AZURE_VM_SIZE_NOT_OFFERED]`);
    }
  }
  if (problems.length > 0) {
    const code = problems.some((p) => p.endsWith('[AZURE_LOCATION_NOT_FOUND]')) ? 'AZURE_LOCATION_NOT_FOUND' : 'AZURE_VM_SIZE_NOT_OFFERED';
    throw new CliError(problems.join('\n'), EXIT.USAGE, { code });
  }
}
