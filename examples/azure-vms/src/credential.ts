import { ClientSecretCredential, DefaultAzureCredential, type TokenCredential } from '@azure/identity';
import type { ExampleOptions } from './options.js';

/**
 * The credential for ARM. Public Azure (no ARM endpoint given) always uses `DefaultAzureCredential` (az login, a
 * managed identity, or a service principal from `AZURE_TENANT_ID` / `AZURE_CLIENT_ID` / `AZURE_CLIENT_SECRET`).
 * A private ARM endpoint (the demo's fake) that comes with its own Entra authority (`AZURE_AUTHORITY_HOST`) and a
 * client secret gets a `ClientSecretCredential` against that authority, trusting the given CA; any other private
 * endpoint (e.g. a sovereign cloud reached with az login) keeps `DefaultAzureCredential`.
 */
export function createCredential(options: Pick<ExampleOptions, 'armEndpoint' | 'caPem'>, env: NodeJS.ProcessEnv = process.env): TokenCredential {
  const authorityHost = env['AZURE_AUTHORITY_HOST'] || undefined;
  const clientSecret = env['AZURE_CLIENT_SECRET'] || undefined;
  if (!options.armEndpoint || !authorityHost || !clientSecret) return new DefaultAzureCredential();
  const tenantId = env['AZURE_TENANT_ID'];
  const clientId = env['AZURE_CLIENT_ID'];
  if (!tenantId || !clientId) throw new Error('AZURE_CLIENT_SECRET with AZURE_AUTHORITY_HOST needs AZURE_TENANT_ID and AZURE_CLIENT_ID');
  return new ClientSecretCredential(tenantId, clientId, clientSecret, {
    authorityHost,
    disableInstanceDiscovery: true,
    ...(options.caPem ? { tlsOptions: { ca: options.caPem } } : {}),
  });
}
