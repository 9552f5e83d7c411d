// The fake Azure Resource Manager (testkit) for trying the example without a subscription.
// `tsx dev/with-fake-arm.ts` starts it, runs the example against it (in this process, through the
// same SDK clients) with --cleanup, and exits with its outcome. `tsx dev/with-fake-arm.ts --serve`
// starts it, prints the environment that points `node dist/main.js` at it (one `NAME=value` a line:
// subscription, service principal, Entra authority, ARM endpoint, the CA as a file) and keeps it up
// until stdin closes. The example reads no Retail Prices, so no fake of those is needed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClientSecretCredential } from '@azure/identity';
import { startFakeArm } from '@meridian/testkit';
import { run } from '../src/app.js';

const POLL_INTERVAL_MILLIS = 50;
const fake = await startFakeArm({ operationDelayMillis: 100 });
try {
  if (process.argv.includes('--serve')) {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-azure-vms-'));
    try {
      const caFile = join(dir, 'fake-arm-ca.pem');
      writeFileSync(caFile, fake.caPem);
      const env = {
        AZURE_SUBSCRIPTION_ID: fake.subscriptionId,
        AZURE_TENANT_ID: fake.tenantId,
        AZURE_CLIENT_ID: fake.clientId,
        AZURE_CLIENT_SECRET: fake.clientSecret,
        AZURE_AUTHORITY_HOST: fake.url,
        AZURE_ARM_ENDPOINT: fake.url,
        AZURE_ARM_CA_FILE: caFile,
        AZURE_POLL_INTERVAL_MS: String(POLL_INTERVAL_MILLIS),
      };
      for (const [name, value] of Object.entries(env)) console.log(`${name}=${value}`);
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.once('end', resolve));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, fake.clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca: fake.caPem } });
    await run(
      { subscriptionId: fake.subscriptionId, prefix: 'meridian-shop', profileName: 'meridian-shop', armEndpoint: fake.url, caPem: fake.caPem, pollIntervalMillis: POLL_INTERVAL_MILLIS, simulateOutage: !process.argv.includes('--no-outage'), cleanup: true },
      credential,
    );
  }
} catch (error) {
  console.error('azure-vms demo failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await fake.close();
}
