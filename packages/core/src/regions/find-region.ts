import { MeridianError } from '../errors/meridian-error.js';

/** Anything with a region id. */
export interface HasRegionId {
  /** Region id. */
  id: string;
}

function regionNotFound(id: string, known: string[]): MeridianError {
  return new MeridianError('REGION_NOT_FOUND', `Unknown region "${id}"; known regions: ${known.join(', ') || '(none)'}`, {
    details: { regionId: id, known },
  });
}

/** Looks a region up by id, or throws REGION_NOT_FOUND listing the known ids. */
export function findRegion<R extends HasRegionId>(regions: Iterable<R>, id: string): R {
  const known: string[] = [];
  for (const region of regions) {
    if (region.id === id) return region;
    known.push(region.id);
  }
  throw regionNotFound(id, known);
}

/** Looks an entry up in a map keyed by region id, or throws REGION_NOT_FOUND listing the known ids. */
export function getByRegionId<T>(byId: ReadonlyMap<string, T>, id: string): T {
  const entry = byId.get(id);
  if (entry !== undefined) return entry;
  throw regionNotFound(id, [...byId.keys()]);
}
