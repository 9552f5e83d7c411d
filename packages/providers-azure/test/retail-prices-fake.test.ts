// The prices client against testkit's recorded-shape Retail Prices fake (paging, decoy meters, faults).
import { MeridianError } from '@meridian/core';
import { createRetailPricesClient } from '@meridian/providers-azure';
import { defaultRetailPriceItems, startFakeRetailPrices, type FakeRetailPrices } from '@meridian/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';

let fake: FakeRetailPrices;
beforeAll(async () => {
  fake = await startFakeRetailPrices({ pageSize: 2 });
});
afterAll(async () => {
  await fake.close();
});

const SIZE = 'Standard_D2s_v5';
/** The one Linux pay-as-you-go item of the table, picked by hand. */
function linuxItem(region: string): { retailPrice: number; meterName: string } {
  const items = defaultRetailPriceItems().filter(
    (i) => i.armRegionName === region && i.armSkuName === SIZE && i.type === 'Consumption' && !i.productName.includes('Windows') && !/Spot|Low Priority/.test(i.meterName),
  );
  expect(items).toHaveLength(1);
  return items[0]!;
}

it('finds the Linux pay-as-you-go price across pages, past Windows, Spot, Low Priority, Reservation and DevTest items', async () => {
  const client = createRetailPricesClient({ baseUrl: fake.pricesUrl });
  const before = fake.requests().length;
  for (const region of ['eastus', 'westeurope']) {
    const expected = linuxItem(region);
    expect(await client.vmHourlyPrice({ region, size: SIZE, os: 'linux' })).toEqual({ hourly: expected.retailPrice, currency: 'USD', sku: SIZE, meter: expected.meterName });
  }
  expect(fake.requests().length - before).toBeGreaterThan(2); // paged
});

it('a 500 is PROVIDER_ERROR naming size and region; an unknown size is NO_ELIGIBLE_REGION', async () => {
  const client = createRetailPricesClient({ baseUrl: fake.pricesUrl });
  fake.failNext(1, 500);
  await expect(client.vmHourlyPrice({ region: 'northeurope', size: SIZE })).rejects.toSatisfy(
    (e: unknown) => MeridianError.hasCode(e, 'PROVIDER_ERROR') && /Standard_D2s_v5 in northeurope/.test((e as Error).message),
  );
  await expect(client.vmHourlyPrice({ region: 'northeurope', size: 'Standard_M416ms_v2' })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'NO_ELIGIBLE_REGION'));
});

it('costReport ranks the regions and computes the saving of moving to the cheapest', async () => {
  const client = createRetailPricesClient({ baseUrl: fake.pricesUrl });
  const regions = ['eastus', 'westeurope', 'northeurope', 'swedencentral'].map((armRegion) => ({ id: armRegion, armRegion, size: SIZE, instances: 2 }));
  const report = await client.costReport({ regions });
  const prices = regions.map((r) => linuxItem(r.armRegion).retailPrice);
  const cheapest = Math.min(...prices);
  expect(report.failed).toEqual([]);
  expect(report.cheapest[0]).toBe(regions[prices.indexOf(cheapest)]!.id);
  expect(report.regions.map((r) => r.monthly)).toEqual(prices.map((p) => Math.round(p * 730 * 2 * 10_000) / 10_000));
  expect(report.saving!.monthly).toBeCloseTo(prices.reduce((sum, p) => sum + (p - cheapest) * 730 * 2, 0), 2);
  console.log(`cost report (fake prices): ${report.regions.map((r) => `${r.id} ${r.monthly} USD/month`).join(', ')}; moving to ${report.saving!.to} saves ${report.saving!.monthly} (${report.saving!.percent} %)`);
});
