import { createRetailPricesClient } from '../src/index.js';
import { startFakeRetailPrices, type FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeProvider, startQuickFakeArm } from './vm-fixture.js';

let fake: FakeArm;
beforeEach(async () => {
  fake = await startQuickFakeArm();
});
afterEach(async () => {
  await fake.close();
});

describe('AzureProvider lifecycle', () => {
  it('destroy removes every resource of every region, and their Traffic Manager endpoints', async () => {
    const provider = fakeProvider(fake, { peering: true, trafficManager: { resourceGroup: 'meridian-tm', profileName: 'shop-meridian', routing: 'Weighted' } });
    await provider.deploy({ name: 'shop', regions: provider.regionIds() });
    await provider.setTraffic({ 'eu-west': 1, 'us-east': 1, 'ap-southeast': 1 });
    expect(fake.resources().filter((r) => r.type.endsWith('/azureEndpoints'))).toHaveLength(3);
    await provider.destroy();
    const left = fake.resources();
    // Only the Traffic Manager's own group and profile stay (shared, not a region's).
    expect(left.map((r) => r.type).sort()).toEqual(['Microsoft.Network/trafficManagerProfiles', 'Microsoft.Resources/resourceGroups']);
    for (const id of provider.regionIds()) expect((await provider.status(id)).state).toBe('not-deployed');
    // Idempotent.
    await provider.destroy();
  });

  it('status follows the VM power state (deallocated -> stopped)', async () => {
    const provider = fakeProvider(fake);
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    const { ComputeManagementClient } = await import('@azure/arm-compute');
    const { fakeCredential, fakeClientOptions } = await import('./vm-fixture.js');
    const compute = new ComputeManagementClient(fakeCredential(fake), fake.subscriptionId, { endpoint: fake.url, ...fakeClientOptions(fake) });
    await compute.virtualMachines.deallocate('meridian-test-eu-west', 'shop-vm', { updateIntervalInMs: 10 });
    expect(await provider.status('eu-west')).toMatchObject({ state: 'stopped', details: { powerState: 'deallocated' } });
  });

  it('prices come from the Retail Prices client for each region VM size', async () => {
    const prices = await startFakeRetailPrices();
    try {
      const provider = fakeProvider(fake, { pricesClient: createRetailPricesClient({ baseUrl: prices.pricesUrl }) });
      const list = await provider.prices();
      // The recorded table has no southeastasia price: that region is left out, not an error.
      expect(list.map((p) => p.regionId).sort()).toEqual(['eu-west', 'us-east']);
      const byId = Object.fromEntries(list.map((p) => [p.regionId, p]));
      expect(byId['us-east']).toMatchObject({ currency: 'USD', sku: 'Standard_B2s', hourly: 0.0416 });
      expect(byId['eu-west']!.hourly).toBeCloseTo(0.0416 * 1.15, 4);
      expect(await fakeProvider(fake).prices()).toEqual([]);
    } finally {
      await prices.close();
    }
  });
});
