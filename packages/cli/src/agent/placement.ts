import { isIP } from 'node:net';
import { MeridianError, selectRegions, type GeoPoint, type Placement, type PopulationPoint } from '@meridian/core';
import type { ControlPlane } from './control-plane.js';

/** What placement is asked: how many regions, near whom, under what price. */
export interface PlacementAsk {
  /** Regions to pick. */
  count: number;
  /** Users: `lat,lon` points or IPs (IPs need `geo.database`). */
  near?: string[];
  /** Leave out regions dearer than this per hour. */
  maxCostPerHour?: number;
}

/** Runs `selectRegions` over the configured regions with the provider's (declared) prices. */
export async function place(plane: ControlPlane, ask: PlacementAsk): Promise<Placement> {
  const near = (ask.near ?? []).map((p, i) => parsePoint(p, i, plane));
  const geo = plane.geo;
  return selectRegions({
    count: ask.count,
    from: plane.config.regions.map((r) => ({ id: r.id, location: r.location, ...(r.name ? { name: r.name } : {}), ...(r.residency ? { residency: r.residency } : {}) })),
    prices: await plane.provider.prices(),
    ...(near.length > 0 ? { near } : {}),
    ...(geo
      ? {
          locate: (ip: string): GeoPoint | undefined => {
            const found = geo.locate(ip);
            return found?.lat !== undefined && found.lon !== undefined ? { lat: found.lat, lon: found.lon } : undefined;
          },
        }
      : {}),
    ...(ask.maxCostPerHour !== undefined ? { maxCostPerHour: ask.maxCostPerHour } : {}),
  });
}

function parsePoint(text: string, index: number, plane: ControlPlane): PopulationPoint {
  const point = /^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (point) return { lat: Number(point[1]), lon: Number(point[2]) };
  if (isIP(text) === 0) throw new MeridianError('INVALID_ARGUMENT', `near[${index}]: "${text}" is neither "lat,lon" nor an IP address`);
  if (!plane.geo) throw new MeridianError('INVALID_ARGUMENT', `near[${index}]: "${text}" is an IP, and locating IPs needs geo.database in the config (or give "lat,lon")`);
  return text;
}
