import { NetworkManagementClient } from '@azure/arm-network';
import { MeridianError } from '@meridian/core';
import type { FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAzureProvider } from '../src/index.js';
import { fakeClientOptions, fakeCredential, fakeProvider, startQuickFakeArm } from './vm-fixture.js';

let fake: FakeArm;
beforeEach(async () => {
  fake = await startQuickFakeArm();
});
afterEach(async () => {
  await fake.close();
});

/** Every region's VNet peered with every other, both directions, Connected, as the real ARM client lists them. */
async function expectFullMesh(regionIds: string[]): Promise<void> {
  const network = new NetworkManagementClient(fakeCredential(fake), fake.subscriptionId, { endpoint: fake.url, ...fakeClientOptions(fake) });
  const pairs: string[] = [];
  for (const region of regionIds) {
    for await (const p of network.virtualNetworkPeerings.list(`meridian-test-${region}`, 'shop-vnet')) {
      expect(p.peeringState).toBe('Connected');
      pairs.push(`${region}->${p.remoteVirtualNetwork!.id!.split('/')[4]!.replace('meridian-test-', '')}`);
    }
  }
  expect(pairs.sort()).toEqual(['ap-southeast->eu-west', 'ap-southeast->us-east', 'eu-west->ap-southeast', 'eu-west->us-east', 'us-east->ap-southeast', 'us-east->eu-west']);
}

describe('AzureProvider networks', () => {
  it('peers the VNets in a full mesh, both directions, Connected', async () => {
    const provider = fakeProvider(fake, { peering: true });
    const steps: string[] = [];
    const result = await provider.deploy({ name: 'shop', regions: provider.regionIds() }, { onProgress: (p) => p.step === 'peering' && steps.push(`${p.regionId}:${p.status}`) });
    expect(result.regions.every((r) => r.state === 'running')).toBe(true);
    expect(steps.filter((s) => s.endsWith(':completed')).sort()).toEqual(['ap-southeast:completed', 'eu-west:completed', 'us-east:completed']);
    await expectFullMesh(provider.regionIds());
    // Each region lists its two peerings among its resources.
    expect(result.regions[0]!.resources.filter((id) => id.includes('/virtualNetworkPeerings/'))).toHaveLength(2);
  });

  it('deploys of one region at a time, in parallel (as MultiRegionDeployer sends them), end in the same full mesh', async () => {
    const provider = fakeProvider(fake, { peering: true });
    const results = await Promise.all(provider.regionIds().map((id) => provider.deploy({ name: 'shop', regions: [id] })));
    expect(results.every((r) => r.regions[0]!.state === 'running')).toBe(true);
    await expectFullMesh(provider.regionIds());
    // A region deployed again is peered again with the others (PUTs that change nothing), not duplicated.
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    expect(fake.resources().filter((r) => r.type === 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings')).toHaveLength(6);
  });

  it('refuses overlapping address spaces, naming both regions', () => {
    const make = () =>
      createAzureProvider({
        subscriptionId: fake.subscriptionId,
        credential: fakeCredential(fake),
        regions: { a: { location: 'westeurope', addressSpace: '10.8.0.0/16' }, b: { location: 'eastus', addressSpace: '10.8.128.0/17' } },
        peering: true,
      });
    expect(make).toThrow(MeridianError);
    try {
      make();
    } catch (e) {
      expect((e as MeridianError).code).toBe('INVALID_CONFIG');
      expect((e as MeridianError).message).toContain('regions.b.addressSpace');
      expect((e as MeridianError).message).toContain('regions.a.addressSpace');
    }
  });

  it('plans spaces around the given ones', () => {
    const provider = createAzureProvider({
      subscriptionId: fake.subscriptionId,
      credential: fakeCredential(fake),
      regions: { a: { location: 'westeurope' }, b: { location: 'eastus', addressSpace: '10.0.0.0/15' }, c: { location: 'uksouth' } },
    });
    expect(provider.addressSpaces()).toEqual({ a: '10.2.0.0/16', b: '10.0.0.0/15', c: '10.3.0.0/16' });
  });

  it('the NSG opens the app port only (SSH closed by default)', async () => {
    const provider = fakeProvider(fake);
    await provider.deploy({ name: 'shop', regions: ['eu-west'], workload: { port: 9000 } });
    const network = new NetworkManagementClient(fakeCredential(fake), fake.subscriptionId, { endpoint: fake.url, ...fakeClientOptions(fake) });
    const nsg = await network.networkSecurityGroups.get('meridian-test-eu-west', 'shop-nsg');
    expect(nsg.securityRules?.map((r) => [r.name, r.destinationPortRange, r.access])).toEqual([['allow-app', '9000', 'Allow']]);
    expect((await provider.status('eu-west')).endpoint).toMatch(/:9000$/);
  });
});
