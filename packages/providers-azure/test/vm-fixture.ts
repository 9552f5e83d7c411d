import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ClientSecretCredential } from '@azure/identity';
import type { FakeArm, FakeArmOptions } from '@meridian/testkit';
import { startFakeArm } from '@meridian/testkit';
import { createAzureProvider, type AzureProvider, type AzureProviderOptions } from '../src/index.js';

/** Three regions in three Azure locations. */
export const REGIONS = {
  'eu-west': { location: 'westeurope', vmSize: 'Standard_B2s', timezone: 'Europe/Amsterdam' },
  'us-east': { location: 'eastus', vmSize: 'Standard_B2s', timezone: 'America/New_York' },
  'ap-southeast': { location: 'southeastasia', vmSize: 'Standard_B2s', timezone: 'Asia/Singapore' },
} satisfies AzureProviderOptions['regions'];

/** How the SDK clients reach the fake: its CA on every request, quick retries and polls. */
export function fakeClientOptions(fake: FakeArm) {
  return { tlsOptions: { ca: fake.caPem }, retryOptions: { maxRetries: 4, retryDelayInMs: 20, maxRetryDelayInMs: 200 } };
}

/** A ClientSecretCredential against the fake's Entra ID (loopback authority with the fake's CA). */
export function fakeCredential(fake: FakeArm, secret = fake.clientSecret): ClientSecretCredential {
  return new ClientSecretCredential(fake.tenantId, fake.clientId, secret, {
    authorityHost: fake.url,
    disableInstanceDiscovery: true,
    tlsOptions: { ca: fake.caPem },
  });
}

/** A provider pointed at the fake, through the real SDKs. */
export function fakeProvider(fake: FakeArm, overrides: Partial<AzureProviderOptions> = {}): AzureProvider {
  return createAzureProvider({
    subscriptionId: fake.subscriptionId,
    credential: fakeCredential(fake),
    resourceGroupPrefix: 'meridian-test',
    regions: REGIONS,
    endpoint: fake.url,
    clientOptions: fakeClientOptions(fake),
    pollIntervalMillis: 10,
    ...overrides,
  });
}

/** Starts a fake ARM with quick LROs. */
export function startQuickFakeArm(options: FakeArmOptions = {}): Promise<FakeArm> {
  return startFakeArm({ operationDelayMillis: 20, ...options });
}

/**
 * The fake has no data plane: a VM "answers" `/health` on its public IP when
 * ARM shows a VM running behind that IP (public IP -> NIC -> VM, power state
 * running). Throws (like a refused connection) otherwise.
 */
export function armBackedProbe(fake: FakeArm, resourceGroups: string[]): (endpoint: string) => Promise<number> {
  const credential = fakeCredential(fake);
  const options = { endpoint: fake.url, ...fakeClientOptions(fake) };
  const network = new NetworkManagementClient(credential, fake.subscriptionId, options);
  const compute = new ComputeManagementClient(credential, fake.subscriptionId, options);
  return async (endpoint) => {
    const host = new URL(endpoint).hostname;
    // Walked from the VMs down: the fake shows neither a public IP's ipConfiguration nor a NIC's virtualMachine.
    for (const rg of resourceGroups) {
      try {
        for await (const vm of compute.virtualMachines.list(rg)) {
          for (const ref of vm.networkProfile?.networkInterfaces ?? []) {
            const nic = await network.networkInterfaces.get(rg, ref.id!.split('/').pop()!);
            for (const config of nic.ipConfigurations ?? []) {
              const ipId = config.publicIPAddress?.id;
              if (!ipId) continue;
              const ip = await network.publicIPAddresses.get(ipId.split('/')[4]!, ipId.split('/').pop()!);
              if (ip.ipAddress !== host) continue;
              const view = await compute.virtualMachines.instanceView(rg, vm.name!);
              if (view.statuses?.some((s) => s.code === 'PowerState/running')) return 200;
            }
          }
        }
      } catch {
        // The group does not exist (not deployed, or destroyed).
      }
    }
    throw new Error(`connect ECONNREFUSED ${host} (no running VM behind it)`);
  };
}
