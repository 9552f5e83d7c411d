import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeRetailPrices, type FakeRetailPrices, type RetailPriceItem } from '../src/index.js';

interface PricePage {
  BillingCurrency: string;
  CustomerEntityId: string;
  Items: RetailPriceItem[];
  NextPageLink: string | null;
  Count: number;
}

let prices: FakeRetailPrices;
beforeAll(async () => {
  prices = await startFakeRetailPrices({ pageSize: 3 });
});
afterAll(async () => {
  await prices?.close();
});

async function fetchAll(first: string): Promise<{ items: RetailPriceItem[]; pages: number }> {
  const items: RetailPriceItem[] = [];
  let next: string | null = first;
  let pages = 0;
  while (next && pages < 20) {
    const response = await fetch(next, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    const page = (await response.json()) as PricePage;
    expect(page.Count).toBe(page.Items.length);
    items.push(...page.Items);
    next = page.NextPageLink;
    pages++;
  }
  return { items, pages };
}

describe('fake Azure Retail Prices API', () => {
  it('filters by service, region and size and pages through NextPageLink with $skip', async () => {
    const filter = "serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq 'Standard_D2s_v5'";
    const { items, pages } = await fetchAll(`${prices.pricesUrl}?$filter=${encodeURIComponent(filter)}`);
    expect(items).toHaveLength(7);
    expect(pages).toBe(3);
    expect(new Set(items.map((i) => i.armRegionName))).toEqual(new Set(['westeurope']));
    expect(prices.requests().slice(-3).map((r) => r.skip)).toEqual([0, 3, 6]);
    // What a client keeps: pay-as-you-go Linux, no Spot/Low Priority/Windows/reservation.
    const payg = items.filter((i) => i.type === 'Consumption' && !/Spot|Low Priority/.test(i.skuName) && !i.productName.endsWith('Windows'));
    expect(payg).toHaveLength(1);
    expect(payg[0]).toMatchObject({ unitOfMeasure: '1 Hour', location: 'EU West', skuName: 'D2s v5', productName: 'Virtual Machines Dsv5 Series', isPrimaryMeterRegion: true, currencyCode: 'USD' });
    expect(payg[0]!.retailPrice).toBeGreaterThan(0.09);
  });

  it("narrows with priceType eq 'Consumption' and or-groups", async () => {
    const filter = "serviceName eq 'Virtual Machines' and priceType eq 'Consumption' and armSkuName eq 'Standard_B2s' and (armRegionName eq 'eastus' or armRegionName eq 'northeurope')";
    const response = await fetch(`${prices.pricesUrl}?$filter=${encodeURIComponent(filter)}`, { signal: AbortSignal.timeout(5000) });
    // priceType is a real filter field, but not an item field: the fake maps it to `type`.
    expect(response.status).toBe(200);
    const { items } = await fetchAll(`${prices.pricesUrl}?$filter=${encodeURIComponent(filter)}`);
    expect(items.every((i) => i.type === 'Consumption')).toBe(true);
    expect(new Set(items.map((i) => i.armRegionName))).toEqual(new Set(['eastus', 'northeurope']));
    expect(items).toHaveLength(10);
  });

  it('refuses a malformed filter with 400 and serves injected faults', async () => {
    const bad = await fetch(`${prices.pricesUrl}?$filter=${encodeURIComponent('armRegionName = westeurope')}`, { signal: AbortSignal.timeout(5000) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ Error: { Code: 'BadRequest', Message: 'Invalid OData parameters supplied' } });
    prices.failNext(1, 429);
    const throttled = await fetch(prices.pricesUrl, { signal: AbortSignal.timeout(5000) });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
  });
});
