// Meridian on Azure VMs: deploys one app to three regions, puts Traffic Manager in
// front and fails over between them. See README.md; `npm run demo` runs it against
// the fake Azure Resource Manager from @meridian/testkit.
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import { run } from './app.js';
import { readOptions } from './options.js';

try {
  const options = readOptions(process.argv.slice(2));
  // A private endpoint (the demo's fake) brings its own Entra authority and CA; real Azure uses DefaultAzureCredential.
  const authorityHost = process.env['AZURE_AUTHORITY_HOST'];
  const credential =
    options.armEndpoint && authorityHost
      ? new ClientSecretCredential(process.env['AZURE_TENANT_ID'] ?? '', process.env['AZURE_CLIENT_ID'] ?? '', process.env['AZURE_CLIENT_SECRET'] ?? '', {
          authorityHost,
          disableInstanceDiscovery: true,
          ...(options.caPem ? { tlsOptions: { ca: options.caPem } } : {}),
        })
      : new DefaultAzureCredential();
  await run(options, credential);
} catch (error) {
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` [${String((error as { code: unknown }).code)}]` : '';
  console.error(`azure-vms failed${code}:`, error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
