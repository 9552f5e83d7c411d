import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import { MeridianError } from '@meridian/core';
import type { FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClientOptions, fakeCredential, fakeProvider, startQuickFakeArm } from './vm-fixture.js';

let fake: FakeArm;
beforeEach(async () => {
  fake = await startQuickFakeArm();
});
afterEach(async () => {
  await fake.close();
});

async function endpoints(profile: string) {
  const client = new TrafficManagerManagementClient(fakeCredential(fake), fake.subscriptionId, { ...fakeClientOptions(fake), endpoint: fake.url, $host: fake.url });
  const p = await client.profiles.get('meridian-tm', profile);
  return {
    routing: p.trafficRoutingMethod,
    monitor: { protocol: p.monitorConfig?.protocol, port: p.monitorConfig?.port, path: p.monitorConfig?.path },
    endpoints: Object.fromEntries((p.endpoints ?? []).map((e) => [e.name, { status: e.endpointStatus, weight: e.weight, priority: e.priority, target: e.target }])),
  };
}

describe('AzureProvider setTraffic through Traffic Manager', () => {
  it('creates the profile, then changes endpoint weights and statuses (Weighted); refuses a stale fencing token', async () => {
    const provider = fakeProvider(fake, { trafficManager: { resourceGroup: 'meridian-tm', profileName: 'shop-meridian', routing: 'Weighted' } });
    await provider.deploy({ name: 'shop', regions: provider.regionIds() });
    await provider.setTraffic({ 'eu-west': 50, 'us-east': 50, 'ap-southeast': 0 }, { fencingToken: 3 });
    let seen = await endpoints('shop-meridian');
    expect(seen.routing).toBe('Weighted');
    expect(seen.monitor).toEqual({ protocol: 'HTTP', port: 8080, path: '/health' });
    expect(seen.endpoints).toMatchObject({
      'eu-west': { status: 'Enabled', weight: 1000, target: expect.stringMatching(/^meridian-test-shop-eu-west\..*/) },
      'us-east': { status: 'Enabled', weight: 1000 },
      'ap-southeast': { status: 'Disabled', weight: 1 },
    });

    // Failover: eu-west out, ap-southeast in.
    await provider.setTraffic({ 'us-east': 3, 'ap-southeast': 1 }, { fencingToken: 4 });
    seen = await endpoints('shop-meridian');
    expect(seen.endpoints).toMatchObject({
      'eu-west': { status: 'Disabled' },
      'us-east': { status: 'Enabled', weight: 1000 },
      'ap-southeast': { status: 'Enabled', weight: 333 },
    });
    expect(provider.traffic()).toEqual({ 'eu-west': 0, 'us-east': 3, 'ap-southeast': 1 });

    // A paused old leader comes back with token 3: refused, nothing written.
    const puts = fake.requests().filter((r) => r.method === 'PUT').length;
    await expect(provider.setTraffic({ 'eu-west': 1 }, { fencingToken: 3 })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'LEASE_LOST'));
    expect(fake.requests().filter((r) => r.method === 'PUT').length).toBe(puts);
    expect((await endpoints('shop-meridian')).endpoints['eu-west']!.status).toBe('Disabled');
  });

  it('sets priorities for Priority routing, heaviest first, and swaps them on failover', async () => {
    const provider = fakeProvider(fake, { trafficManager: { resourceGroup: 'meridian-tm', profileName: 'shop-prio', routing: 'Priority' } });
    await provider.deploy({ name: 'shop', regions: provider.regionIds() });
    await provider.setTraffic({ 'eu-west': 100, 'us-east': 50, 'ap-southeast': 10 });
    expect((await endpoints('shop-prio')).endpoints).toMatchObject({ 'eu-west': { priority: 1 }, 'us-east': { priority: 2 }, 'ap-southeast': { priority: 3 } });
    await provider.setTraffic({ 'eu-west': 0, 'us-east': 10, 'ap-southeast': 100 });
    expect((await endpoints('shop-prio')).endpoints).toMatchObject({
      'ap-southeast': { priority: 1, status: 'Enabled' },
      'us-east': { priority: 2, status: 'Enabled' },
      'eu-west': { priority: 3, status: 'Disabled' },
    });
  });

  it('refuses weights for a region that is not deployed, and setTraffic without a Traffic Manager', async () => {
    const provider = fakeProvider(fake, { trafficManager: { resourceGroup: 'meridian-tm', profileName: 'shop-meridian', routing: 'Weighted' } });
    await provider.deploy({ name: 'shop', regions: ['eu-west'] });
    await expect(provider.setTraffic({ 'us-east': 1 })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'REGION_UNAVAILABLE') && (e as MeridianError).message.includes('"us-east"'));
    await provider.setTraffic({ 'eu-west': 1 });
    expect(Object.keys((await endpoints('shop-meridian')).endpoints)).toEqual(['eu-west']);
    await expect(fakeProvider(fake).setTraffic({ 'eu-west': 1 })).rejects.toSatisfy((e: unknown) => MeridianError.hasCode(e, 'INVALID_CONFIG'));
  });
});
