import type { ControlPlane } from './control-plane.js';
import { compareRegions } from './cost-comparison.js';
import { place, type PlacementAsk } from './placement.js';

/**
 * Hourly price of each region (from the provider kind: declared in the config
 * for local and kubernetes, the Retail Prices API for azure), the total of the
 * deployed ones and the monthly comparison against the home region; with
 * `optimize`, a placement of the same number of regions that `selectRegions` prefers.
 */
export async function costsView(plane: ControlPlane, optimize: Partial<PlacementAsk> | undefined) {
  const prices = new Map((await plane.provider.prices()).map((p) => [p.regionId, p]));
  const deployed = plane.kind.regions().map((r) => r.id);
  const regions = plane.config.regions.map((r) => {
    const price = prices.get(r.id);
    return { regionId: r.id, deployed: deployed.includes(r.id), hourly: price?.hourly, currency: price?.currency };
  });
  const totals: Record<string, number> = {};
  for (const r of regions) if (r.deployed && r.hourly !== undefined) totals[r.currency!] = round((totals[r.currency!] ?? 0) + r.hourly);
  const unpriced = regions.filter((r) => r.deployed && r.hourly === undefined).map((r) => r.regionId);
  const view = { source: plane.kind.priceSource, regions, totals, unpriced, comparison: compareRegions(plane.config, regions) };
  if (!optimize) return { ...view, optimize: undefined };
  const count = optimize.count ?? deployed.length;
  const placement = await place(plane, { ...optimize, count });
  const currentHourly = round(regions.filter((r) => r.deployed).reduce((n, r) => n + (r.hourly ?? 0), 0));
  const suggested = placement.picks.map((p) => p.regionId);
  return {
    ...view,
    optimize: {
      count,
      current: deployed,
      currentHourly,
      suggested,
      suggestedHourly: round(placement.hourlyTotal),
      savingsHourly: round(currentHourly - placement.hourlyTotal),
      unchanged: suggested.length === deployed.length && suggested.every((id) => deployed.includes(id)),
      placement,
    },
  };
}

/** The JSON `GET /v1/costs` answers. */
export type CostsView = Awaited<ReturnType<typeof costsView>>;

function round(n: number): number {
  return Math.round(n * 1e6) / 1e6;
}
