import type { GeoPoint } from '@meridian/core';

/** A seed region: id, real coordinates, failover priority. */
export interface SeedRegion {
  id: string;
  location: GeoPoint;
  priority: number;
}

/** The four regions of the seed design, in priority order, at their real coordinates. */
export const SEED_REGIONS: readonly SeedRegion[] = Object.freeze([
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, priority: 0 },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, priority: 1 },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, priority: 2 },
  { id: 'ru-central', location: { lat: 55.7, lon: 37.6 }, priority: 3 },
]);

/** The first `count` seed regions, as fresh objects a test may change. */
export function seedRegions(count = 4): SeedRegion[] {
  return SEED_REGIONS.slice(0, count).map((r) => ({ ...r, location: { ...r.location } }));
}
