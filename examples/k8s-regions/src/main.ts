// Meridian on Kubernetes: deploys one app to three clusters (kubeconfig contexts),
// watches their health, and fails over between them through weighted DNS records.
// See README.md; `npm run demo` runs it against three fake clusters.
import { run } from './app.js';
import { readOptions } from './options.js';

try {
  await run(readOptions(process.argv.slice(2)));
} catch (error) {
  const code = typeof error === 'object' && error !== null && 'code' in error ? ` [${String((error as { code: unknown }).code)}]` : '';
  console.error(`k8s-regions failed${code}:`, error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
