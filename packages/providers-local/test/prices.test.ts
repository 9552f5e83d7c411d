import { defineRegions, MeridianError, selectRegions } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, meridianErrorOf } from '@meridian/testkit';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const regions = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, price: { hourly: 0.12, currency: 'USD', sku: 'small' } },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, price: { hourly: 0.1, currency: 'USD' } },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 } },
];

let provider: LocalProvider | undefined;
const pids = new Set<number>();

afterEach(async () => {
  for (const pid of provider?.pids() ?? []) pids.add(pid);
  await provider?.stop();
  provider = undefined;
});

afterAll(async () => {
  expect(await findLeakedProcesses([...pids])).toEqual([]);
});

describe('LocalProvider prices (declared by the user)', () => {
  it('returns the declared price of every region that has one, before any deploy', async () => {
    provider = createLocalProvider({ regions });
    expect(await provider.prices()).toEqual([
      { regionId: 'us-east', hourly: 0.12, currency: 'USD', sku: 'small' },
      { regionId: 'eu-west', hourly: 0.1, currency: 'USD' },
    ]);
  });

  it('keeps the price out of the core Regions it reports', async () => {
    provider = createLocalProvider({ regions: regions.slice(0, 1) });
    await provider.deploy({ name: 'prices', regions: [] });
    const [region] = provider.regions();
    expect(region).not.toHaveProperty('price');
    expect(defineRegions(provider.regions())).toHaveLength(1);
  });

  it('returns an empty list when no region declares a price', async () => {
    provider = createLocalProvider({ regions: [{ id: 'us-east', location: { lat: 37.5, lon: -77.5 } }] });
    expect(await provider.prices()).toEqual([]);
  });

  it('refuses a malformed price with INVALID_CONFIG naming the path and the value', () => {
    const bad = meridianErrorOf(() => createLocalProvider({ regions: [{ id: 'us-east', location: { lat: 1, lon: 1 }, price: { hourly: -1, currency: 'usd' } }] }));
    expect(bad.code).toBe('INVALID_CONFIG');
    expect(bad.message).toContain('regions[0].price.hourly');
    expect(bad.message).toContain('regions[0].price.currency');
    expect(bad.message).toContain('"usd"');
  });

  it('rejects with ABORTED on an aborted signal', async () => {
    provider = createLocalProvider({ regions });
    const error = await provider.prices({ signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'ABORTED')).toBe(true);
  });

  it('feeds cost-aware placement: maxCostPerHour leaves out dearer and unpriced regions', async () => {
    provider = createLocalProvider({ regions });
    const placement = selectRegions({ count: 1, from: regions, prices: await provider.prices(), maxCostPerHour: 0.11 });
    expect(placement.picks.map((p) => p.regionId)).toEqual(['eu-west']);
    expect(placement.rejected.map((r) => r.regionId).sort()).toEqual(['ap-south', 'us-east']);
  });
});
