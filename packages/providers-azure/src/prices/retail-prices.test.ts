import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MeridianError } from '@meridian/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetailPricesClient } from './retail-prices-client.js';

// A Retail Prices API serving recorded-shape pages: it evaluates the `eq` clauses of
// $filter joined by `and` (rejecting anything else with 400, as the real API rejects
// bad filters), pages by `$skip` with a NextPageLink, and can be told to fail.
const item = (armRegionName: string, armSkuName: string, retailPrice: number, extra: Record<string, unknown> = {}) => ({
  currencyCode: 'USD', tierMinimumUnits: 0, retailPrice, unitPrice: retailPrice, armRegionName, location: armRegionName,
  effectiveStartDate: '2024-01-01T00:00:00Z', meterId: `${armRegionName}-${armSkuName}-${retailPrice}`, meterName: armSkuName.replace(/^Standard_/, '').replace(/_/g, ' '),
  productId: 'DZH318Z0BQ4L', skuId: 'DZH318Z0BQ4L/00TG', productName: 'Virtual Machines DSv3 Series', skuName: armSkuName.replace(/^Standard_/, '').replace(/_/g, ' '),
  serviceName: 'Virtual Machines', serviceId: 'DZH313Z7MMC8', serviceFamily: 'Compute', unitOfMeasure: '1 Hour', type: 'Consumption', priceType: 'Consumption', isPrimaryMeterRegion: true, armSkuName, ...extra,
});
const SIZE = 'Standard_D2s_v3';
const TABLE = [
  item('westeurope', SIZE, 0.2, { productName: 'Virtual Machines DSv3 Series Windows' }),
  item('westeurope', SIZE, 0.021, { meterName: 'D2s v3 Spot', skuName: 'D2s v3 Spot' }),
  item('westeurope', SIZE, 0.0192, { meterName: 'D2s v3 Low Priority', skuName: 'D2s v3 Low Priority' }),
  item('westeurope', SIZE, 604.0, { type: 'Reservation', priceType: 'Reservation', unitOfMeasure: '1 Hour', reservationTerm: '1 Year' }),
  item('westeurope', SIZE, 0.115), // the one (on page 3 with 2 items a page)
  item('eastus', SIZE, 0.096),
  item('eastus', SIZE, 0.01, { meterName: 'D2s v3 Spot', skuName: 'D2s v3 Spot' }),
  item('southeastasia', SIZE, 0.12),
  item('southeastasia', SIZE, 0.11, { isPrimaryMeterRegion: false }),
  item('brazilsouth', SIZE, 0.19),
];

interface Fake {
  url: string;
  requests: URL[];
  failRegion?: string;
  loopPages?: boolean;
  foreignLink?: boolean;
  hangRegion?: string;
  server: Server;
}

async function startFake(pageSize = 2): Promise<Fake> {
  const fake = { requests: [] as URL[] } as Fake;
  fake.server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    fake.requests.push(url);
    const send = (status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const filter = url.searchParams.get('$filter') ?? '';
    const clauses = filter.split(' and ').map((c) => /^(\w+) eq '((?:[^']|'')*)'$/.exec(c));
    if (clauses.some((c) => !c)) return send(400, { Error: { Code: 'BadRequest', Message: `Invalid OData parameters supplied: ${filter}` } });
    const where = Object.fromEntries(clauses.map((c) => [c![1]!, c![2]!.replace(/''/g, "'")]));
    if (where['armRegionName'] === fake.hangRegion) return; // never answers
    if (where['armRegionName'] === fake.failRegion) return send(500, { Error: { Code: 'InternalServerError', Message: 'oops' } });
    const matches = TABLE.filter((i) => Object.entries(where).every(([k, v]) => String((i as Record<string, unknown>)[k]) === v));
    const skip = Number(url.searchParams.get('$skip') ?? 0);
    const next = new URL(`${fake.url}?${url.searchParams}`);
    next.searchParams.set('$skip', String(fake.loopPages ? skip : skip + pageSize));
    if (fake.foreignLink) next.host = 'evil.example:443';
    const more = fake.loopPages || skip + pageSize < matches.length;
    send(200, { BillingCurrency: 'USD', CustomerEntityId: 'Default', CustomerEntityType: 'Retail', Items: matches.slice(skip, skip + pageSize), NextPageLink: more ? next.toString() : null, Count: Math.min(pageSize, matches.length - skip) });
  });
  await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}/api/retail/prices`;
  return fake;
}

let fake: Fake;
beforeAll(async () => {
  fake = await startFake();
});
afterAll(async () => {
  fake.server.closeAllConnections();
  await new Promise((resolve) => fake.server.close(resolve));
});

const coded = (code: string, text?: RegExp) => (e: unknown) => MeridianError.hasCode(e, code as never) && (!text || text.test((e as Error).message));

describe('createRetailPricesClient', () => {
  it('queries with an OData $filter, follows NextPageLink and keeps the Linux pay-as-you-go meter', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url });
    fake.requests.length = 0;
    expect(await client.vmHourlyPrice({ region: 'westeurope', size: SIZE, os: 'linux' })).toEqual({ hourly: 0.115, currency: 'USD', sku: SIZE, meter: 'D2s v3' });
    expect(fake.requests[0]!.searchParams.get('$filter')).toBe(`serviceName eq 'Virtual Machines' and armRegionName eq 'westeurope' and armSkuName eq '${SIZE}' and priceType eq 'Consumption'`);
    expect(fake.requests[0]!.searchParams.get('currencyCode')).toBe('USD');
    expect(fake.requests).toHaveLength(2); // 4 consumption items, 2 a page
  });

  it('prefers the primary meter region, and filters Spot', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url });
    expect((await client.vmHourlyPrice({ region: 'southeastasia', size: SIZE })).hourly).toBe(0.12);
    expect((await client.vmHourlyPrice({ region: 'eastus', size: SIZE })).hourly).toBe(0.096);
  });

  it('is NO_ELIGIBLE_REGION naming region and size when nothing matches', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url });
    await expect(client.vmHourlyPrice({ region: 'westeurope', size: 'Standard_Nope' })).rejects.toSatisfy(coded('NO_ELIGIBLE_REGION', /Standard_Nope in westeurope/));
  });

  it('is PROVIDER_ERROR naming region and size for a 500, a timeout, endless or foreign page links', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url, timeoutMillis: 300, maxPages: 3 });
    fake.failRegion = 'eastus';
    fake.hangRegion = 'brazilsouth';
    try {
      await expect(client.vmHourlyPrice({ region: 'eastus', size: SIZE })).rejects.toSatisfy(coded('PROVIDER_ERROR', /500 for Standard_D2s_v3 in eastus/));
      await expect(client.vmHourlyPrice({ region: 'brazilsouth', size: SIZE })).rejects.toSatisfy(coded('PROVIDER_ERROR', /no answer within 300 ms/));
      fake.loopPages = true;
      await expect(client.vmHourlyPrice({ region: 'westeurope', size: SIZE })).rejects.toSatisfy(coded('PROVIDER_ERROR', /more than 3 pages/));
      fake.loopPages = false;
      fake.foreignLink = true;
      await expect(client.vmHourlyPrice({ region: 'westeurope', size: SIZE })).rejects.toSatisfy(coded('PROVIDER_ERROR', /another host \(evil\.example/));
    } finally {
      Object.assign(fake, { failRegion: undefined, hangRegion: undefined, loopPages: false, foreignLink: false });
    }
  });

  it('refuses bad names and options, and stops when aborted', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url });
    await expect(client.vmHourlyPrice({ region: "west' or 1 eq 1", size: SIZE })).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
    expect(() => createRetailPricesClient({ baseUrl: 'ftp://x', timeoutMillis: -1 })).toThrow(/baseUrl[\s\S]*timeoutMillis/);
    fake.hangRegion = 'brazilsouth';
    try {
      const controller = new AbortController();
      const pending = client.vmHourlyPrice({ region: 'brazilsouth', size: SIZE, signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await expect(pending).rejects.toSatisfy(coded('ABORTED'));
    } finally {
      fake.hangRegion = undefined;
    }
  });

  it('costReport: per-region hourly and monthly cost, cheapest first, the saving of moving there; a failing region is listed', async () => {
    const client = createRetailPricesClient({ baseUrl: fake.url });
    fake.failRegion = 'brazilsouth';
    try {
      const report = await client.costReport({
        regions: [
          { id: 'eu-west', armRegion: 'westeurope', size: SIZE, instances: 2 },
          { id: 'us-east', armRegion: 'eastus', size: SIZE },
          { id: 'ap-south', armRegion: 'southeastasia', size: SIZE },
          { id: 'sa-east', armRegion: 'brazilsouth', size: SIZE },
        ],
      });
      expect(report.cheapest).toEqual(['us-east', 'eu-west', 'ap-south']);
      expect(report.regions.map((r) => [r.id, r.hourly, r.monthly, r.savingIfMovedMonthly])).toEqual([
        ['eu-west', 0.23, 167.9, 27.74],
        ['us-east', 0.096, 70.08, 0],
        ['ap-south', 0.12, 87.6, 17.52],
      ]);
      expect(report.monthlyTotal).toBe(325.58);
      expect(report.saving).toEqual({ to: 'us-east', monthly: 45.26, percent: 13.9 });
      expect(report.failed).toEqual([expect.objectContaining({ id: 'sa-east', code: 'PROVIDER_ERROR', message: expect.stringMatching(/Standard_D2s_v3 in brazilsouth/) })]);
    } finally {
      fake.failRegion = undefined;
    }
  });
});
