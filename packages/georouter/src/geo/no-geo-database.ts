import { MeridianError } from '@meridian/core';
import type { GeoLookup } from './geo-lookup.js';

/** Why a client has no location when the router was built without a database (the start of each decision's reason). */
export const NO_GEO_DATABASE = 'no geo database';

function nothingToReload(): MeridianError {
  return new MeridianError(
    'INVALID_ARGUMENT',
    'This GeoRouter has no geo database to reload or watch: it was created without `database` (give one: `database: await GeoDatabase.open(path)`)',
  );
}

/**
 * Stands in for the database of a router built without one, so the router's
 * lookup code is the same with or without a database (no per-route check):
 * every address is uncovered, and nothing can be reloaded or watched.
 */
export function noGeoDatabase(): GeoLookup {
  return {
    uncovered: () => NO_GEO_DATABASE,
    place: () => undefined,
    reload: () => Promise.reject(nothingToReload()),
    watch: () => {
      throw nothingToReload();
    },
    close: () => undefined,
  };
}
