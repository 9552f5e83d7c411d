import { homeRegion } from './providers/provider-kind.js';
import type { MeridianConfig } from '../config/config-schema.js';

/** Hours in a month, as Azure's own calculator counts them. */
export const HOURS_PER_MONTH = 730;

/** One region of the comparison `meridian costs` shows (the design document's table). */
export interface RegionCostComparison {
  regionId: string;
  /** Price × 730 h, two decimals. */
  monthly: number;
  currency: string;
  /** Against the baseline, in percent (negative: cheaper), whole numbers. */
  differencePercent: number;
  /** `baseline`, `same`, `10% cheaper`, `12% more expensive`. */
  label: string;
  /** The cheapest region of the comparison. */
  cheapest: boolean;
}

/** Every priced region's monthly cost against the home region's, and which region is cheapest. */
export interface CostComparison {
  /** The home region (lowest priority), or the first priced one when the home region has no price. */
  baseline: string;
  regions: RegionCostComparison[];
  /** The cheapest region, and what moving one region's workload there saves per month. */
  recommendation: { regionId: string; monthlySaving: number; text: string };
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

/**
 * Monthly cost per region (hourly price × 730), each against the baseline,
 * with a recommendation, from the prices the provider kind reports; undefined
 * when nothing is priced. Regions priced in another currency than the
 * baseline's are left out: they cannot be compared.
 */
export function compareRegions(config: MeridianConfig, priced: Array<{ regionId: string; hourly?: number | undefined; currency?: string | undefined }>): CostComparison | undefined {
  const withPrice = priced.filter((r): r is { regionId: string; hourly: number; currency: string } => r.hourly !== undefined && r.currency !== undefined);
  if (withPrice.length === 0) return undefined;
  const home = homeRegion(config);
  const base = withPrice.find((r) => r.regionId === home) ?? withPrice[0]!;
  const baseMonthly = round2(base.hourly * HOURS_PER_MONTH);
  const comparable = withPrice.filter((r) => r.currency === base.currency);
  const rows = comparable.map((r) => {
    const monthly = round2(r.hourly * HOURS_PER_MONTH);
    const differencePercent = baseMonthly > 0 ? Math.round(((monthly - baseMonthly) / baseMonthly) * 100) : 0;
    const label =
      r.regionId === base.regionId ? 'baseline' : monthly === baseMonthly ? 'same' : monthly < baseMonthly ? `${Math.abs(differencePercent)}% cheaper` : `${differencePercent}% more expensive`;
    return { regionId: r.regionId, monthly, currency: r.currency, differencePercent, label, cheapest: false };
  });
  const cheapest = [...rows].sort((a, b) => a.monthly - b.monthly)[0]!;
  cheapest.cheapest = true;
  const monthlySaving = round2(baseMonthly - cheapest.monthly);
  const text =
    monthlySaving > 0
      ? `Deploy to ${cheapest.regionId} for cost savings (${monthlySaving} ${cheapest.currency}/month less than ${base.regionId} per region)`
      : `${base.regionId} is already the cheapest region`;
  return { baseline: base.regionId, regions: rows, recommendation: { regionId: cheapest.regionId, monthlySaving, text } };
}
