import { MeridianError } from '@meridian/core';
import { resolveDataPath } from './data-path.js';
import { DirectoryReplicaStore } from './directory-replica-store.js';
import type { DirectoryReplicaStoreOptions } from './directory-store-options.js';

/** One region's directory, for {@link openDirectoryStores}. */
export interface RegionDirectory {
  /** Region id. */
  regionId: string;
  /** Its data path. */
  dataPath: string;
}

/**
 * Opens one store per region after checking that no two regions name the same
 * directory (compared after resolving symbolic links): `INVALID_CONFIG`
 * naming both regions and the path, since two "regions" on one directory would
 * each take the other's writes for their own. Stores opened before a failure
 * are closed again.
 */
export async function openDirectoryStores(
  regions: readonly RegionDirectory[],
  common: Omit<DirectoryReplicaStoreOptions, 'regionId' | 'dataPath'> = {},
): Promise<Map<string, DirectoryReplicaStore>> {
  const owners = new Map<string, string>();
  for (const r of regions) {
    const real = await resolveDataPath(r.dataPath, r.regionId);
    const other = owners.get(real);
    if (other !== undefined) {
      throw new MeridianError('INVALID_CONFIG', `regions ${other} and ${r.regionId} have the same data path ${real}; each region needs its own directory`, {
        details: { where: `regions.${r.regionId}.dataPath` },
      });
    }
    owners.set(real, r.regionId);
  }
  const stores = new Map<string, DirectoryReplicaStore>();
  try {
    for (const r of regions) stores.set(r.regionId, await DirectoryReplicaStore.open({ ...common, regionId: r.regionId, dataPath: r.dataPath }));
  } catch (error) {
    await Promise.all([...stores.values()].map((s) => s.close()));
    throw error;
  }
  return stores;
}
