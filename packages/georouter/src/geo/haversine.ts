import type { GeoPoint } from '@meridian/core';

const EARTH_RADIUS_KM = 6371.0088;
const RAD = Math.PI / 180;

/** A point prepared for repeated distance computations (radians, cosine of latitude). */
export interface PreparedPoint {
  latRad: number;
  lonRad: number;
  cosLat: number;
}

/** Converts once what every distance computation from this point needs. */
export function preparePoint(p: GeoPoint): PreparedPoint {
  const latRad = p.lat * RAD;
  return { latRad, lonRad: p.lon * RAD, cosLat: Math.cos(latRad) };
}

/** Haversine distance in km between prepared points (the hot-path form of {@link haversineKm}). */
export function preparedDistanceKm(a: PreparedPoint, b: PreparedPoint): number {
  const sLat = Math.sin((b.latRad - a.latRad) / 2);
  const sLon = Math.sin((b.lonRad - a.lonRad) / 2);
  const s = sLat * sLat + a.cosLat * b.cosLat * sLon * sLon;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(s)));
}

/** Great-circle distance in kilometres: core's, re-exported so the hot path and the plain form agree. */
export { haversineKm } from '@meridian/core';
