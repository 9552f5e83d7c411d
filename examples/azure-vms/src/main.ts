// Meridian on Azure VMs: deploys one app to three regions, puts Traffic Manager in
// front and fails over between them. See README.md; `npm run demo` runs it against
// the fake Azure Resource Manager from @meridian/testkit, and `tsx dev/with-fake-arm.ts --serve`
// keeps that fake up and prints the environment that points `node dist/main.js` at it.
import { run } from './app.js';
import { createCredential } from './credential.js';
import { readOptions } from './options.js';

try {
  const options = readOptions(process.argv.slice(2));
  // Public Azure (no ARM endpoint given) uses DefaultAzureCredential; a private endpoint (the demo's fake) may bring
  // its own Entra authority and CA.
  await run(options, createCredential(options));
} catch (error) {
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` [${String((error as { code: unknown }).code)}]` : '';
  console.error(`azure-vms failed${code}:`, error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
