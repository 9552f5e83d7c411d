import { MeridianError } from '@meridian/core';
import type { RetailPricesClient } from './retail-prices-client.js';

/** A region of the deployment to price. */
export interface CostReportRegion {
  /** Meridian region id, e.g. `eu-west`. */
  id: string;
  /** ARM region name, e.g. `westeurope`. */
  armRegion: string;
  /** ARM VM size, e.g. `Standard_D2s_v3`. */
  size: string;
  /** VMs in the region. Default 1. */
  instances?: number;
}

/** Options of {@link costReport}. */
export interface CostReportOptions {
  /** The regions to price. */
  regions: CostReportRegion[];
  /** Hours in a month. Default 730 (Azure's own figure). */
  hoursPerMonth?: number;
  /** Aborts the lookups. */
  signal?: AbortSignal;
}

/** Cost of one region. */
export interface RegionCost {
  /** Meridian region id. */
  id: string;
  /** ARM region name. */
  armRegion: string;
  /** VM size. */
  size: string;
  /** VMs counted. */
  instances: number;
  /** Hourly cost of all its VMs. */
  hourly: number;
  /** Monthly cost (hourly × hoursPerMonth). */
  monthly: number;
  /** Currency of the figures. */
  currency: string;
  /** Meter the price came from. */
  meter: string;
  /** What moving this region's VMs to the cheapest region would save per month (0 for the cheapest). */
  savingIfMovedMonthly: number;
}

/** The saving of moving every region's VMs to the cheapest region. */
export interface CostSaving {
  /** Region id to move to. */
  to: string;
  /** Saved per month. */
  monthly: number;
  /** Saved, as a percentage of the current monthly total (two decimals). */
  percent: number;
}

/** A region that could not be priced. */
export interface UnpricedRegion {
  /** Meridian region id. */
  id: string;
  /** ARM region name. */
  armRegion: string;
  /** VM size. */
  size: string;
  /** The error's code (`NO_ELIGIBLE_REGION`, `PROVIDER_ERROR`, ...). */
  code: string;
  /** The error's message. */
  message: string;
}

/** Result of {@link costReport}. */
export interface CostReport {
  /** Currency of every figure. */
  currency: string;
  /** Hours per month used. */
  hoursPerMonth: number;
  /** Priced regions, in the order given. */
  regions: RegionCost[];
  /** Regions that could not be priced, with the coded error's code and message. */
  failed: UnpricedRegion[];
  /** Region ids by monthly cost per VM, cheapest first. */
  cheapest: string[];
  /** Current monthly total of the priced regions. */
  monthlyTotal: number;
  /** Moving everything to the cheapest region (undefined when nothing could be priced). */
  saving: CostSaving | undefined;
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

/**
 * Prices a deployment per region from Retail Prices (all regions in
 * parallel), ranks the regions by cost per VM and computes the saving of
 * moving there: `meridian deploy --optimize cost` with real prices. A region
 * that cannot be priced is listed in `failed`, never stops the others.
 */
export async function costReport(prices: Pick<RetailPricesClient, 'vmHourlyPrice'>, options: CostReportOptions): Promise<CostReport> {
  const hoursPerMonth = options.hoursPerMonth ?? 730;
  if (!Array.isArray(options.regions) || options.regions.length === 0 || !(hoursPerMonth > 0)) {
    throw new MeridianError('INVALID_CONFIG', 'Invalid costReport options:\n  - regions: must be a non-empty array; hoursPerMonth: must be positive', {
      details: {
        where: 'costReport options',
        issues: [
          { path: 'regions', message: 'must be a non-empty array', value: Array.isArray(options.regions) ? `[${options.regions.length} regions]` : String(JSON.stringify(options.regions)) },
          { path: 'hoursPerMonth', message: 'must be positive', value: String(hoursPerMonth) },
        ],
      },
    });
  }
  const settled = await Promise.allSettled(options.regions.map((r) => prices.vmHourlyPrice({ region: r.armRegion, size: r.size, os: 'linux', signal: options.signal })));
  if (options.signal?.aborted) throw new MeridianError('ABORTED', 'costReport was aborted', { cause: options.signal.reason });
  const priced: Array<Omit<RegionCost, 'savingIfMovedMonthly'> & { perVmMonthly: number }> = [];
  const failed: CostReport['failed'] = [];
  settled.forEach((result, i) => {
    const r = options.regions[i]!;
    const instances = r.instances ?? 1;
    if (result.status === 'rejected') {
      const e = result.reason as { code?: string; message?: string };
      failed.push({ id: r.id, armRegion: r.armRegion, size: r.size, code: e?.code ?? 'PROVIDER_ERROR', message: e?.message ?? String(e) });
      return;
    }
    const p = result.value;
    const perVmMonthly = p.hourly * hoursPerMonth;
    priced.push({ id: r.id, armRegion: r.armRegion, size: r.size, instances, hourly: round(p.hourly * instances), monthly: round(perVmMonthly * instances), currency: p.currency, meter: p.meter, perVmMonthly });
  });
  const currencies = new Set(priced.map((p) => p.currency));
  if (currencies.size > 1) throw new MeridianError('PROVIDER_ERROR', `Retail Prices returned several currencies (${[...currencies].join(', ')}): set currencyCode`);
  const ranked = [...priced].sort((a, b) => a.perVmMonthly - b.perVmMonthly);
  const best = ranked[0];
  const regions: RegionCost[] = priced.map(({ perVmMonthly, ...p }) => ({ ...p, savingIfMovedMonthly: best ? round((perVmMonthly - best.perVmMonthly) * p.instances) : 0 }));
  const monthlyTotal = round(regions.reduce((sum, r) => sum + r.monthly, 0));
  const savedMonthly = round(regions.reduce((sum, r) => sum + r.savingIfMovedMonthly, 0));
  return {
    currency: best?.currency ?? 'USD',
    hoursPerMonth,
    regions,
    failed,
    cheapest: ranked.map((r) => r.id),
    monthlyTotal,
    saving: best ? { to: best.id, monthly: savedMonthly, percent: monthlyTotal > 0 ? Math.round((savedMonthly / monthlyTotal) * 10_000) / 100 : 0 } : undefined,
  };
}
