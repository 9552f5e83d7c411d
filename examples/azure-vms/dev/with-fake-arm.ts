// The fake Azure Resource Manager (testkit) for trying the example without a
// subscription: starts it, runs the example against it (in this process, through
// the same SDK clients) with --cleanup, and exits with its outcome.
import { ClientSecretCredential } from '@azure/identity';
import { startFakeArm } from '@meridian/testkit';
import { run } from '../src/app.js';

const fake = await startFakeArm({ operationDelayMillis: 100 });
try {
  const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, fake.clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca: fake.caPem } });
  await run(
    { subscriptionId: fake.subscriptionId, prefix: 'meridian-shop', profileName: 'meridian-shop', armEndpoint: fake.url, caPem: fake.caPem, pollIntervalMillis: 50, simulateOutage: !process.argv.includes('--no-outage'), cleanup: true },
    credential,
  );
} catch (error) {
  console.error('azure-vms demo failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await fake.close();
}
