import { readFileSync } from 'node:fs';
import { ComputeManagementClient } from '@azure/arm-compute';
import { ResourceManagementClient } from '@azure/arm-resources';
import { DefaultAzureCredential } from '@azure/identity';
import type { Prober } from '@meridian/core';
import { AzureBlobLeaseStore, createAzureProvider, createRetailPricesClient, type AzureProvider } from '@meridian/providers-azure';
import type { MeridianConfig } from '../../config/config-schema.js';
import type { LoadedConfig } from '../../config/load-config.js';
import type { AzureProviderConfig } from '../../config/provider-schemas.js';
import { CliError, EXIT } from '../../exit-codes.js';
import { checkLocationsAndSizes } from './azure-preflight.js';
import { providerConfigError } from './config-error.js';
import { DeployedRegions } from './deployed-regions.js';
import { configRelativePath } from './config-path.js';
import { homeRegion, type PlaneProvider, type ProviderKind } from './provider-kind.js';

/** Healthy while the provider says the region's VM runs (its instance view): Meridian need not reach the VM. */
function instanceViewProber(provider: AzureProvider): Prober {
  return {
    async probe(target, { signal }) {
      try {
        const status = await provider.status(target.regionId, { signal });
        return status.state === 'running' ? { ok: true } : { ok: false, error: `VM ${String(status.details?.['powerState'] ?? status.state)}` };
      } catch (error) {
        return { ok: false, error: (error as Error).message };
      }
    },
  };
}

// Microsoft's own clouds: MSAL validates these through instance discovery (login.microsoftonline.com).
const MICROSOFT_AUTHORITY = /^https:\/\/login\.(microsoftonline\.(com|us)|chinacloudapi\.cn|partner\.microsoftonline\.cn)\/?$/;

/**
 * Whether AZURE_AUTHORITY_HOST names an authority outside Microsoft's clouds
 * (Azure Stack Hub, a private cloud, a test's fake): instance discovery would
 * ask login.microsoftonline.com about it and fail, so it is turned off, as
 * Azure Identity advises for such authorities.
 */
function customAuthority(env: NodeJS.ProcessEnv): boolean {
  const host = env['AZURE_AUTHORITY_HOST'] || undefined;
  return host !== undefined && !MICROSOFT_AUTHORITY.test(host);
}

const toConfigPath = (path: string): PropertyKey[] => {
  const [first, ...rest] = path.split('.');
  const renamed: Record<string, string> = { adminUsername: 'adminUser', adminSshPublicKey: 'sshPublicKeyFile', endpoint: 'armEndpoint', resourceGroupPrefix: 'resourceGroupPrefix' };
  return ['provider', renamed[first!] ?? first!, ...rest];
};

/**
 * `provider.kind: azure`: a resource group per region with a VM
 * (AzureProvider), VNet peering, Traffic Manager for traffic, prices from the
 * Retail Prices API, the failover lease an Azure Blob lease. Credentials come
 * only from DefaultAzureCredential (az login, managed identity, environment);
 * the lease account from `storage.accountUrl` with that credential, or
 * AZURE_STORAGE_CONNECTION_STRING. No session adapter and no replica store.
 */
export function azureKind(loaded: LoadedConfig, o: AzureProviderConfig, env: NodeJS.ProcessEnv): ProviderKind {
  const config: MeridianConfig = loaded.config;
  const credential = new DefaultAzureCredential(customAuthority(env) ? { disableInstanceDiscovery: true } : {});
  const clientOptions = o.armEndpoint ? { endpoint: o.armEndpoint } : {};
  const home = homeRegion(config);
  const tmGroup = o.trafficManager.resourceGroup ?? `${o.resourceGroupPrefix}-global`;
  let sshKey: string | undefined;
  if (o.sshPublicKeyFile) {
    const path = configRelativePath(loaded, o.sshPublicKeyFile);
    try {
      sshKey = readFileSync(path, 'utf8').trim();
    } catch (error) {
      throw new CliError(`${loaded.where(['provider', 'sshPublicKeyFile'])}: provider.sshPublicKeyFile: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, EXIT.USAGE, { code: 'INVALID_CONFIG' });
    }
  }
  const storageConnection = env['AZURE_STORAGE_CONNECTION_STRING'] || undefined;
  if (!storageConnection && !o.storage.accountUrl) {
    throw new CliError(
      `${loaded.where(['provider', 'storage'])}: provider.storage.accountUrl: the failover lease needs a Blob account: set provider.storage.accountUrl (signed in through DefaultAzureCredential), or AZURE_STORAGE_CONNECTION_STRING in the environment [INVALID_CONFIG]`,
      EXIT.USAGE,
      { code: 'INVALID_CONFIG' },
    );
  }
  let azure: AzureProvider;
  try {
    azure = createAzureProvider({
      subscriptionId: o.subscriptionId,
      credential,
      resourceGroupPrefix: o.resourceGroupPrefix,
      regions: Object.fromEntries(
        config.regions.map((r) => {
          const own = o.regions[r.id]!;
          return [r.id, { location: own.location, vmSize: own.vmSize, ...(own.image ? { image: own.image } : {}), ...(r.timezone ? { timezone: r.timezone } : {}), ...(r.locale ? { locale: r.locale } : {}) }];
        }),
      ),
      trafficManager: { resourceGroup: tmGroup, profileName: o.trafficManager.profile, routing: o.trafficManager.routing, location: o.regions[home]!.location, dnsTtlSeconds: o.trafficManager.dnsTtlSeconds },
      peering: o.peering,
      port: o.port,
      adminUsername: o.adminUser,
      ...(sshKey ? { adminSshPublicKey: sshKey } : {}),
      ...(o.image ? { image: o.image } : {}),
      ...(o.armEndpoint ? { endpoint: o.armEndpoint } : {}),
      pricesClient: createRetailPricesClient({ ...(o.pricesUrl ? { baseUrl: o.pricesUrl } : {}), currencyCode: o.currency }),
      ...(o.pollIntervalMillis ? { pollIntervalMillis: o.pollIntervalMillis } : {}),
    });
  } catch (error) {
    providerConfigError(error, loaded, 'INVALID_CONFIG', toConfigPath);
  }
  // Every agent on this config competes for one blob lease in this container.
  const leaseStore = new AzureBlobLeaseStore({
    ...(storageConnection ? { connectionString: storageConnection } : { accountUrl: o.storage.accountUrl!, credential }),
    containerName: o.storage.container,
    prefix: `leases/${config.app.name}/`,
  });
  const lro = o.pollIntervalMillis ? { updateIntervalInMs: o.pollIntervalMillis } : {};
  const deployed = new DeployedRegions(config);
  const provider: PlaneProvider = {
    name: azure.name,
    regionIds: () => azure.regionIds(),
    traffic: () => azure.traffic(),
    prices: () => azure.prices(),
    deploy: (spec, options) => azure.deploy(spec, options),
    destroy: (ids, options) => azure.destroy(ids, options),
    status: (id, options) => azure.status(id, options),
    setTraffic: (weights, options) => azure.setTraffic(weights, options),
  };
  return {
    kind: 'azure',
    provider,
    leaseStore,
    prober: instanceViewProber(azure),
    sessions: undefined,
    priceSource: `Azure Retail Prices API (Linux pay-as-you-go, ${o.currency}) for each region's VM size`,
    frontDoorUrl: () => undefined,
    frontDoorStats: () => undefined,
    regions: () => deployed.regions(),
    noteDeployed: (report) => deployed.note(report),
    preflight: (signal) => checkLocationsAndSizes(loaded, o, new ComputeManagementClient(credential, o.subscriptionId, clientOptions), signal),
    started: async () => undefined,
    replicaStores: () => undefined,
    async destroy(regionIds, all, signal) {
      await azure.destroy(regionIds, { signal });
      deployed.remove(regionIds);
      if (!all) return;
      // The last region gone: the Traffic Manager profile's group goes too, so nothing is left behind.
      const resources = new ResourceManagementClient(credential, o.subscriptionId, clientOptions);
      try {
        await resources.resourceGroups.beginDeleteAndWait(tmGroup, { abortSignal: signal, ...lro });
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode !== 404) throw error;
      }
    },
    close: async () => undefined,
  };
}
