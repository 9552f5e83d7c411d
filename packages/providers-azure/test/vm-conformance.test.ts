import { runProviderConformance, startFakeArm } from '@meridian/testkit';
import { armBackedProbe, fakeProvider } from './vm-fixture.js';

runProviderConformance('AzureProvider (fake ARM, official SDKs)', async () => {
  const fake = await startFakeArm({ operationDelayMillis: 20 });
  const provider = fakeProvider(fake, { trafficManager: { resourceGroup: 'meridian-tm', profileName: 'conformance-meridian', routing: 'Weighted' } });
  const regionIds = ['eu-west', 'us-east', 'ap-southeast'];
  return {
    provider,
    regionIds,
    probe: armBackedProbe(
      fake,
      regionIds.map((id) => `meridian-test-${id}`),
    ),
    close: () => fake.close(),
  };
});
