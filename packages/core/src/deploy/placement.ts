import { z } from 'zod';
import { parseOptions } from '../config/parse-options.js';
import type { RegionPrice } from '../contracts/region-provider.js';
import { MeridianError } from '../errors/meridian-error.js';
import { haversineKm } from '../regions/distance.js';
import type { GeoPoint } from '../regions/region.js';

/** A region placement may pick. */
export interface PlacementCandidate {
  /** Region id. */
  id: string;
  /** Human-readable name. */
  name?: string;
  /** Where it is. */
  location: GeoPoint;
  /** Countries whose users' data may live there (absent: none declared). */
  residency?: string[];
}

/** One point of the user population: a location or an IP (resolved with `locate`), with a weight. */
export type PopulationPoint =
  | GeoPoint
  | string
  | {
      /** The point, or an IP. */
      at: GeoPoint | string;
      /** How many users it stands for, > 0. */
      weight: number;
    };

/** Options of {@link selectRegions}. */
export interface SelectRegionsOptions {
  /** How many regions to pick. */
  count: number;
  /** The candidates (a provider's regions). */
  from: PlacementCandidate[];
  /** Where the users are; without it, placement spreads picks and minds cost only. */
  near?: PopulationPoint[];
  /** Resolves IPs in `near` to points (e.g. a GeoDatabase lookup); required when `near` holds IPs. */
  locate?: (ip: string) => GeoPoint | undefined;
  /** Hourly prices (a provider's `prices()`); regions without one are not cost-scored. */
  prices?: RegionPrice[];
  /** Leave out regions dearer than this per hour (regions without a price are left out too). */
  maxCostPerHour?: number;
  /** Only regions whose `residency` admits every one of these countries (ISO 3166-1 alpha-2). */
  residency?: string[];
  /** No two picks closer than this many km. Default 0 (no constraint). */
  minDistanceKm?: number;
  /** How much cost counts against distance: 0 ignores cost, 1 weighs the dearest region like 1,000 km more. Default 0.5. */
  costWeight?: number;
}

/** A picked region and why. */
export interface PlacementPick {
  /** Region id. */
  regionId: string;
  /** Users (by weight) for whom it is the nearest pick. */
  usersShare: number;
  /** Mean distance of those users to it, km (undefined without `near`). */
  meanDistanceKm: number | undefined;
  /** Its hourly price, when known. */
  hourly: number | undefined;
  /** Currency of `hourly`. */
  currency: string | undefined;
  /** Why it was picked, in words. */
  reasons: string[];
}

/** Result of {@link selectRegions}. */
export interface Placement {
  /** The picks, best first. */
  picks: PlacementPick[];
  /** Candidates left out and why. */
  rejected: Array<{
    /** Region id. */
    regionId: string;
    /** Why it was left out. */
    reason: string;
  }>;
  /** Mean distance of every user to their nearest pick, km (undefined without `near`). */
  meanDistanceKm: number | undefined;
  /** Sum of the picks' hourly prices (known ones). */
  hourlyTotal: number;
}

const point = z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).strict();
const optionsSchema = z
  .object({
    count: z.number().int().min(1),
    from: z.array(z.object({ id: z.string().min(1), name: z.string().optional(), location: point, residency: z.array(z.string()).optional() }).passthrough()).min(1),
    near: z.array(z.union([point, z.string().min(1), z.object({ at: z.union([point, z.string().min(1)]), weight: z.number().positive() }).strict()])).optional(),
    locate: z.custom<(ip: string) => GeoPoint | undefined>((v) => typeof v === 'function', 'must be a function').optional(),
    prices: z.array(z.object({ regionId: z.string(), hourly: z.number().nonnegative(), currency: z.string() }).passthrough()).optional(),
    maxCostPerHour: z.number().positive().optional(),
    residency: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code, e.g. "DE"')).optional(),
    minDistanceKm: z.number().min(0).default(0),
    costWeight: z.number().min(0).default(0.5),
  })
  .strict();

/**
 * Picks `count` regions for a user population: greedily, each pick the one
 * that most lowers the users' mean distance to their nearest pick, plus a cost
 * penalty from the provider's prices, never two picks closer than
 * `minDistanceKm`, only regions that pass `maxCostPerHour` and `residency`.
 * Returns the picks with the reasons and every rejected candidate with its
 * reason. `NO_ELIGIBLE_REGION` when fewer than `count` can be picked.
 */
export function selectRegions(options: SelectRegionsOptions): Placement {
  const o = parseOptions(optionsSchema, options, 'selectRegions options');
  const users = (o.near ?? []).map((p, i) => resolvePoint(p, i, o.locate));
  const priceOf = new Map((o.prices ?? []).map((p) => [p.regionId, p]));
  const rejected: Placement['rejected'] = [];
  const eligible = o.from.filter((c) => {
    const price = priceOf.get(c.id);
    if (o.maxCostPerHour !== undefined && price === undefined) return reject(c.id, `no price known, and maxCostPerHour=${o.maxCostPerHour} is set`);
    if (o.maxCostPerHour !== undefined && price && price.hourly > o.maxCostPerHour) return reject(c.id, `${price.hourly} ${price.currency}/h is over maxCostPerHour=${o.maxCostPerHour}`);
    const missing = (o.residency ?? []).filter((country) => !c.residency?.includes(country));
    if (missing.length > 0) return reject(c.id, `residency does not admit ${missing.join(', ')}`);
    return true;
  });
  function reject(regionId: string, reason: string): false {
    rejected.push({ regionId, reason });
    return false;
  }

  const maxPrice = Math.max(0, ...eligible.map((c) => priceOf.get(c.id)?.hourly ?? 0));
  const costKm = (id: string): number => (maxPrice > 0 ? ((priceOf.get(id)?.hourly ?? 0) / maxPrice) * 1000 * o.costWeight : 0);
  const totalWeight = users.reduce((n, u) => n + u.weight, 0);
  const meanDistance = (picks: PlacementCandidate[]): number =>
    users.reduce((n, u) => n + u.weight * Math.min(...picks.map((p) => haversineKm(u.at, p.location))), 0) / (totalWeight || 1);

  const picks: PlacementCandidate[] = [];
  const tooClose = new Map<string, string>();
  while (picks.length < o.count) {
    let best: { c: PlacementCandidate; score: number } | undefined;
    for (const c of eligible) {
      if (picks.includes(c) || tooClose.has(c.id)) continue;
      // Without users, spread: prefer the candidate farthest from the picks so far.
      const spread = picks.length === 0 ? 0 : -Math.min(...picks.map((p) => haversineKm(p.location, c.location)));
      const score = (users.length > 0 ? meanDistance([...picks, c]) : spread) + costKm(c.id);
      if (!best || score < best.score || (score === best.score && c.id < best.c.id)) best = { c, score };
    }
    if (!best) break;
    picks.push(best.c);
    for (const c of eligible) {
      if (picks.includes(c) || tooClose.has(c.id)) continue;
      const d = haversineKm(c.location, best.c.location);
      if (d < o.minDistanceKm) tooClose.set(c.id, `${Math.round(d)} km from pick ${best.c.id}, under minDistanceKm=${o.minDistanceKm}`);
    }
  }
  for (const c of eligible) {
    if (picks.includes(c)) continue;
    rejected.push({ regionId: c.id, reason: tooClose.get(c.id) ?? 'not needed: the picks serve the users better' });
  }
  if (picks.length < o.count) {
    throw new MeridianError('NO_ELIGIBLE_REGION', `only ${picks.length} of ${o.count} regions can be picked: ${rejected.map((r) => `${r.regionId} (${r.reason})`).join('; ')}`, {
      details: { picked: picks.map((p) => p.id), rejected },
    });
  }

  const nearest = users.map((u) => picks.reduce((a, b) => (haversineKm(u.at, a.location) <= haversineKm(u.at, b.location) ? a : b)));
  const result = picks.map((p): PlacementPick => {
    const mine = users.filter((_, i) => nearest[i] === p);
    const weight = mine.reduce((n, u) => n + u.weight, 0);
    const mean = mine.length > 0 ? mine.reduce((n, u) => n + u.weight * haversineKm(u.at, p.location), 0) / weight : undefined;
    const price = priceOf.get(p.id);
    const reasons: string[] = [];
    if (users.length > 0) reasons.push(mine.length > 0 ? `nearest pick for ${Math.round((weight / totalWeight) * 100)}% of users, mean ${Math.round(mean!)} km` : 'nearest pick for no user: kept for spread');
    if (price) reasons.push(`${price.hourly} ${price.currency}/h${o.maxCostPerHour !== undefined ? ` (limit ${o.maxCostPerHour})` : ''}`);
    if (o.residency?.length) reasons.push(`residency admits ${o.residency.join(', ')}`);
    const others = picks.filter((q) => q !== p);
    if (others.length > 0) {
      const closest = Math.min(...others.map((q) => haversineKm(q.location, p.location)));
      reasons.push(`${Math.round(closest)} km from the nearest other pick`);
    }
    return { regionId: p.id, usersShare: totalWeight > 0 ? weight / totalWeight : 0, meanDistanceKm: mean, hourly: price?.hourly, currency: price?.currency, reasons };
  });
  return {
    picks: result,
    rejected,
    meanDistanceKm: users.length > 0 ? meanDistance(picks) : undefined,
    hourlyTotal: result.reduce((n, p) => n + (p.hourly ?? 0), 0),
  };
}

function resolvePoint(p: PopulationPoint, index: number, locate: ((ip: string) => GeoPoint | undefined) | undefined): { at: GeoPoint; weight: number } {
  const at = typeof p === 'object' && 'at' in p ? p.at : p;
  const weight = typeof p === 'object' && 'weight' in p ? p.weight : 1;
  if (typeof at !== 'string') return { at, weight };
  if (!locate) throw new MeridianError('INVALID_CONFIG', `Invalid selectRegions options:\n  - near[${index}]: "${at}" is an IP, which needs a locate function (e.g. a GeoDatabase lookup)`);
  const found = locate(at);
  if (!found) throw new MeridianError('INVALID_ARGUMENT', `near[${index}]: no location known for "${at}"`, { details: { index, ip: at } });
  return { at: found, weight };
}
