import { MAX_TIMER_MILLIS, MeridianError } from '@meridian/core';
import { parseOptions, throwIfAborted } from '@meridian/core/spi';
import { fetch as undiciFetch, type Dispatcher } from 'undici';
import { z } from 'zod';
import { costReport, type CostReport, type CostReportOptions } from './cost-report.js';
import { isLinuxConsumption, isPricePage, type PriceItem } from './price-item.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/** What a fetch given to the client must answer. */
export interface RetailPricesResponse {
  /** True for a 2xx status. */
  ok: boolean;
  /** HTTP status. */
  status: number;
  /** Parses the body as JSON. */
  json(): Promise<unknown>;
}

/** A fetch the client can use instead of undici's: it gets `signal`, `dispatcher` and `headers`. */
export type RetailPricesFetch = (url: string, init: { signal: AbortSignal; dispatcher?: Dispatcher; headers: Record<string, string> }) => Promise<RetailPricesResponse>;

/** Options of {@link createRetailPricesClient}. */
export interface RetailPricesClientOptions {
  /** The API. Default `https://prices.azure.com/api/retail/prices`. */
  baseUrl?: string;
  /** A fetch to use instead of undici's (it gets `dispatcher` in its init). */
  fetch?: RetailPricesFetch;
  /** An undici dispatcher (proxy, pool, mock). Default the global one. */
  dispatcher?: Dispatcher;
  /** Longest wait for one page. Default 10000. */
  timeoutMillis?: number;
  /** Most pages followed through `NextPageLink` for one query. Default 10. */
  maxPages?: number;
  /** Currency of the prices (`currencyCode`). Default `USD`. */
  currencyCode?: string;
}

/** What {@link RetailPricesClient.vmHourlyPrice} looks up. */
export interface VmPriceQuery {
  /** ARM region name, e.g. `westeurope`. */
  region: string;
  /** ARM VM size, e.g. `Standard_D2s_v3`. */
  size: string;
  /** Only `linux` (Windows meters are filtered out). */
  os?: 'linux';
  /** Aborts the lookup. */
  signal?: AbortSignal;
}

/** The pay-as-you-go hourly price of one VM size in one region. */
export interface VmPrice {
  /** Price per hour. */
  hourly: number;
  /** ISO currency code, e.g. `USD`. */
  currency: string;
  /** The ARM SKU name priced. */
  sku: string;
  /** The meter the price came from, e.g. `D2s v3`. */
  meter: string;
}

/** A client of the Azure Retail Prices API. */
export interface RetailPricesClient {
  /** The Linux pay-as-you-go hourly price; NO_ELIGIBLE_REGION when there is none, PROVIDER_ERROR when the API fails. */
  vmHourlyPrice(query: VmPriceQuery): Promise<VmPrice>;
  /** Hourly and monthly cost per region, the cheapest regions and the saving of moving there. */
  costReport(options: CostReportOptions): Promise<CostReport>;
}

const schema = z
  .object({
    baseUrl: z.url({ protocol: /^https?$/ }).default('https://prices.azure.com/api/retail/prices'),
    fetch: z.custom<RetailPricesFetch>((v) => typeof v === 'function', 'must be a function').optional(),
    dispatcher: z.custom<Dispatcher>((v) => typeof v === 'object' && v !== null, 'must be an undici Dispatcher').optional(),
    timeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(10_000),
    maxPages: z.number().int().min(1).max(100).default(10),
    currencyCode: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like USD').default('USD'),
  })
  .strict();

const ARM_NAME = /^[A-Za-z0-9_]{1,80}$/;
const odata = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** Creates a Retail Prices client (no credential needed: the API is public). */
export function createRetailPricesClient(options: RetailPricesClientOptions = {}): RetailPricesClient {
  const o = parseOptions(schema, options, 'createRetailPricesClient options');
  const doFetch = o.fetch ?? ((url, init) => undiciFetch(url, init));
  const origin = new URL(o.baseUrl).origin;

  async function page(url: string, what: string, signal: AbortSignal | undefined): Promise<{ items: PriceItem[]; next: string | undefined }> {
    const timeout = AbortSignal.timeout(o.timeoutMillis);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let body: unknown;
    try {
      const res = await doFetch(url, { signal: combined, dispatcher: o.dispatcher, headers: { accept: 'application/json' } });
      if (!res.ok) throw new MeridianError('PROVIDER_ERROR', `Retail Prices API answered ${res.status} for ${what}`, { details: { status: res.status } });
      body = await res.json();
    } catch (error) {
      if (signal?.aborted) throw new MeridianError('ABORTED', `price lookup for ${what} was aborted`, { cause: signal.reason });
      if (MeridianError.isInstance(error)) throw error;
      const why = timeout.aborted ? `no answer within ${o.timeoutMillis} ms` : (error as Error).message;
      throw new MeridianError('PROVIDER_ERROR', `Retail Prices API failed for ${what}: ${why}`, { cause: error });
    }
    if (!isPricePage(body)) throw new MeridianError('PROVIDER_ERROR', `Retail Prices API returned a body that is not a price page for ${what}`);
    const next = body.NextPageLink ?? undefined;
    if (next !== undefined && new URL(next, url).origin !== origin) {
      throw new MeridianError('PROVIDER_ERROR', `Retail Prices API sent a NextPageLink to another host (${new URL(next, url).host}) for ${what}`);
    }
    return { items: body.Items ?? [], next: next === undefined ? undefined : new URL(next, url).toString() };
  }

  const client: RetailPricesClient = {
    async vmHourlyPrice({ region, size, os = 'linux', signal }) {
      const what = `${size} in ${region}`;
      if (!ARM_NAME.test(region) || !ARM_NAME.test(size) || os !== 'linux') {
        throw new MeridianError('INVALID_ARGUMENT', `Invalid price query ${JSON.stringify({ region, size, os })}: region and size are ARM names, os is "linux"`, { details: { region, size } });
      }
      throwIfAborted(signal, 'vmHourlyPrice');
      const filter = [`serviceName eq 'Virtual Machines'`, `armRegionName eq ${odata(region)}`, `armSkuName eq ${odata(size)}`, `priceType eq 'Consumption'`].join(' and ');
      const first = new URL(o.baseUrl);
      first.searchParams.set('currencyCode', o.currencyCode);
      first.searchParams.set('$filter', filter);
      const eligible: PriceItem[] = [];
      let url: string | undefined = first.toString();
      for (let n = 0; url !== undefined; n++) {
        if (n >= o.maxPages) throw new MeridianError('PROVIDER_ERROR', `Retail Prices API returned more than ${o.maxPages} pages for ${what}`, { details: { region, size } });
        const result = await page(url, what, signal);
        eligible.push(...result.items.filter((i) => i.armRegionName === region && i.armSkuName === size && isLinuxConsumption(i)));
        url = result.next;
      }
      // Several meters can match (a region's secondary meters): prefer the primary one, then the lowest price.
      eligible.sort((a, b) => Number(b.isPrimaryMeterRegion ?? false) - Number(a.isPrimaryMeterRegion ?? false) || a.retailPrice - b.retailPrice);
      const best = eligible[0];
      if (!best) {
        throw new MeridianError('NO_ELIGIBLE_REGION', `No Linux pay-as-you-go price for ${size} in ${region}: the size is not offered there, or the names are wrong`, { details: { region, size } });
      }
      return { hourly: best.retailPrice, currency: best.currencyCode, sku: best.armSkuName, meter: best.meterName };
    },
    costReport: (options) => costReport(client, options),
  };
  return client;
}
