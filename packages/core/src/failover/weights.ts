import type { TrafficWeights } from '../contracts/region-provider.js';
import type { FailoverRegion } from './failover-options.js';

/** All traffic to one region, 0 to the rest. */
export function singleRegionWeights(regions: readonly FailoverRegion[], target: string): TrafficWeights {
  return Object.fromEntries(regions.map((r) => [r.id, r.id === target ? 100 : 0]));
}

/**
 * Active-active: configured weights over the included regions, re-normalised to
 * sum to 100, and 0 for the excluded ones. Undefined when nothing is included.
 */
export function spreadWeights(regions: readonly FailoverRegion[], excluded: ReadonlySet<string>): TrafficWeights | undefined {
  const total = regions.reduce((sum, r) => (excluded.has(r.id) ? sum : sum + r.weight), 0);
  if (!(total > 0)) return undefined;
  return Object.fromEntries(regions.map((r) => [r.id, excluded.has(r.id) ? 0 : (r.weight / total) * 100]));
}

/** Ids with weight > 0, in region order. */
export function activeRegions(weights: TrafficWeights): string[] {
  return Object.entries(weights)
    .filter(([, w]) => w > 0)
    .map(([id]) => id);
}

/** Regions sorted by priority (stable for ties: configuration order). */
export function byPriority<R extends FailoverRegion>(regions: readonly R[]): R[] {
  return [...regions].sort((a, b) => a.priority - b.priority);
}
