// Runs the example against the fake ARM, as `npm run demo` does, and checks the story it tells.
import { ClientSecretCredential } from '@azure/identity';
import { startFakeArm, type FakeArm } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../src/app.js';

describe('examples/azure-vms against the fake ARM', () => {
  let fake: FakeArm;
  beforeEach(async () => {
    fake = await startFakeArm({ operationDelayMillis: 20 });
  });
  afterEach(async () => {
    await fake.close();
    vi.restoreAllMocks();
  });

  it('deploys three regions, fails over when the primary VM stops, fails back, and cleans up', async () => {
    const lines: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, fake.clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca: fake.caPem } });
    await run({ subscriptionId: fake.subscriptionId, prefix: 'meridian-shop', profileName: 'meridian-shop', armEndpoint: fake.url, caPem: fake.caPem, pollIntervalMillis: 10, simulateOutage: true, cleanup: true }, credential);
    const text = lines.join('\n');
    for (const id of ['eu-west', 'us-east', 'ap-southeast']) expect(text).toMatch(new RegExp(`DEPLOYED ${id}\\s+running`));
    expect(text).toMatch(/FAILOVER completed automatic eu-west -> us-east/);
    expect(text).toMatch(/FAILOVER completed failback .*-> eu-west/);
    expect(text).toContain('Done: shop was deployed to 3 Azure regions');
    // Only the Traffic Manager group and profile are left.
    expect(fake.resources().map((r) => r.type).sort()).toEqual(['Microsoft.Network/trafficManagerProfiles', 'Microsoft.Resources/resourceGroups']);
  }, 60_000);
});
