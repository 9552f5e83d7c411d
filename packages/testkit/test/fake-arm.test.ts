import { ComputeManagementClient } from '@azure/arm-compute';
import { NetworkManagementClient } from '@azure/arm-network';
import { ResourceManagementClient } from '@azure/arm-resources';
import { TrafficManagerManagementClient } from '@azure/arm-trafficmanager';
import { ClientSecretCredential } from '@azure/identity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeArm, type FakeArm } from '../src/index.js';

const POLL = { updateIntervalInMs: 10 };

function clients(fake: FakeArm, secret = fake.clientSecret) {
  const pipeline = { additionalPolicies: [{ policy: fake.tlsPolicy, position: 'perCall' as const }] };
  const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, secret, { authorityHost: fake.url, disableInstanceDiscovery: true, ...pipeline });
  const common = { endpoint: fake.url, ...pipeline, retryOptions: { maxRetries: 3 } };
  return {
    credential,
    resources: new ResourceManagementClient(credential, fake.subscriptionId, common),
    network: new NetworkManagementClient(credential, fake.subscriptionId, common),
    compute: new ComputeManagementClient(credential, fake.subscriptionId, common),
    traffic: new TrafficManagerManagementClient(credential, fake.subscriptionId, { ...common, $host: fake.url }),
  };
}

let fake: FakeArm;
let c: ReturnType<typeof clients>;

beforeAll(async () => {
  fake = await startFakeArm({ operationDelayMillis: 30 });
  c = clients(fake);
});
afterAll(async () => {
  await fake?.close();
});

describe('fake ARM through the official SDKs', () => {
  it('creates a resource group, network and VM with LRO polling', async () => {
    const rg = await c.resources.resourceGroups.createOrUpdate('rg-weu', { location: 'westeurope' });
    expect(rg.properties?.provisioningState).toBe('Succeeded');
    const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-weu', 'vnet-weu', {
      location: 'westeurope', addressSpace: { addressPrefixes: ['10.1.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.1.0.0/24' }],
    }, POLL);
    expect(vnet.provisioningState).toBe('Succeeded');
    expect(vnet.subnets?.[0]?.id).toMatch(/subnets\/default$/);
    const nsg = await c.network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-weu', 'nsg-weu', {
      location: 'westeurope',
      securityRules: [{ name: 'http', protocol: 'Tcp', access: 'Allow', direction: 'Inbound', priority: 100, sourceAddressPrefix: '*', sourcePortRange: '*', destinationAddressPrefix: '*', destinationPortRange: '80' }],
    }, POLL);
    const ip = await c.network.publicIPAddresses.beginCreateOrUpdateAndWait('rg-weu', 'ip-weu', {
      location: 'westeurope', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: 'meridian-weu' },
    }, POLL);
    expect(ip.ipAddress).toMatch(/^198\.51\.100\./);
    const nic = await c.network.networkInterfaces.beginCreateOrUpdateAndWait('rg-weu', 'nic-weu', {
      location: 'westeurope', networkSecurityGroup: { id: nsg.id },
      ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0]!.id }, publicIPAddress: { id: ip.id } }],
    }, POLL);
    const vm = await c.compute.virtualMachines.beginCreateOrUpdateAndWait('rg-weu', 'vm-weu-1', {
      location: 'westeurope',
      hardwareProfile: { vmSize: 'Standard_D2s_v5' },
      storageProfile: { imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
      osProfile: { computerName: 'vm-weu-1', adminUsername: 'meridian', adminPassword: 'S3cret-passw0rd!' },
      networkProfile: { networkInterfaces: [{ id: nic.id }] },
    }, POLL);
    expect(vm.provisioningState).toBe('Succeeded');
    expect(vm.osProfile?.adminPassword).toBeUndefined();
    const view = await c.compute.virtualMachines.instanceView('rg-weu', 'vm-weu-1');
    expect(view.statuses?.map((s) => s.code)).toEqual(['ProvisioningState/succeeded', 'PowerState/running']);
    await c.compute.virtualMachines.beginDeallocateAndWait('rg-weu', 'vm-weu-1', POLL);
    expect((await c.compute.virtualMachines.instanceView('rg-weu', 'vm-weu-1')).statuses?.[1]?.code).toBe('PowerState/deallocated');
    await c.compute.virtualMachines.beginStartAndWait('rg-weu', 'vm-weu-1', POLL);
    expect((await c.compute.virtualMachines.get('rg-weu', 'vm-weu-1', { expand: 'instanceView' })).instanceView?.statuses?.[1]?.code).toBe('PowerState/running');
    const polls = fake.requests().filter((r) => r.area === 'operation');
    expect(polls.length).toBeGreaterThan(5);
  }, 30_000);

  it('peers VNets both ways (Initiated, then Connected) and refuses overlapping address spaces', async () => {
    await c.resources.resourceGroups.createOrUpdate('rg-net', { location: 'northeurope' });
    const mk = (name: string, prefix: string) =>
      c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-net', name, { location: 'northeurope', addressSpace: { addressPrefixes: [prefix] } }, POLL);
    const [a, b, overlapping] = await Promise.all([mk('vnet-a', '10.10.0.0/16'), mk('vnet-b', '10.20.0.0/16'), mk('vnet-c', '10.10.128.0/17')]);
    const ab = await c.network.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-net', 'vnet-a', 'a-to-b', { remoteVirtualNetwork: { id: b.id }, allowVirtualNetworkAccess: true }, POLL);
    expect(ab.peeringState).toBe('Initiated');
    await c.network.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-net', 'vnet-b', 'b-to-a', { remoteVirtualNetwork: { id: a.id } }, POLL);
    expect((await c.network.virtualNetworkPeerings.get('rg-net', 'vnet-a', 'a-to-b')).peeringState).toBe('Connected');
    expect((await c.network.virtualNetworks.get('rg-net', 'vnet-b')).virtualNetworkPeerings?.[0]?.peeringState).toBe('Connected');
    await expect(c.network.virtualNetworkPeerings.beginCreateOrUpdateAndWait('rg-net', 'vnet-a', 'a-to-c', { remoteVirtualNetwork: { id: overlapping.id } }, POLL)).rejects.toMatchObject({
      name: 'RestError', statusCode: 400, code: 'VnetAddressSpacesOverlap',
    });
    await expect(c.network.subnets.beginCreateOrUpdateAndWait('rg-net', 'vnet-a', 'outside', { addressPrefix: '10.99.0.0/24' }, POLL)).rejects.toMatchObject({ code: 'NetcfgSubnetRangeOutsideVnet' });
    await c.network.virtualNetworkPeerings.beginDeleteAndWait('rg-net', 'vnet-b', 'b-to-a', POLL);
    expect((await c.network.virtualNetworkPeerings.get('rg-net', 'vnet-a', 'a-to-b')).peeringState).toBe('Disconnected');
  }, 30_000);

  it('manages a Traffic Manager profile and its endpoints (weights, disable)', async () => {
    await c.resources.resourceGroups.createOrUpdate('rg-tm', { location: 'eastus' });
    const ip = await c.network.publicIPAddresses.beginCreateOrUpdateAndWait('rg-tm', 'ip-eus', { location: 'eastus', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: 'meridian-eus' } }, POLL);
    const noDns = await c.network.publicIPAddresses.beginCreateOrUpdateAndWait('rg-tm', 'ip-nodns', { location: 'eastus', sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static' }, POLL);
    const profile = await c.traffic.profiles.createOrUpdate('rg-tm', 'meridian-tm', {
      location: 'global', trafficRoutingMethod: 'Weighted', dnsConfig: { relativeName: 'meridian-app', ttl: 30 },
      monitorConfig: { protocol: 'HTTP', port: 80, path: '/health' },
    });
    expect(profile.dnsConfig?.fqdn).toBe('meridian-app.trafficmanager.net');
    const azure = await c.traffic.endpoints.createOrUpdate('rg-tm', 'meridian-tm', 'AzureEndpoints', 'eus', { targetResourceId: ip.id, weight: 100, endpointStatus: 'Enabled' });
    expect(azure).toMatchObject({ target: 'meridian-eus.eastus.cloudapp.azure.com', endpointLocation: 'eastus', weight: 100, endpointMonitorStatus: 'Online' });
    await c.traffic.endpoints.createOrUpdate('rg-tm', 'meridian-tm', 'ExternalEndpoints', 'onprem', { target: 'onprem.example.com', weight: 1 });
    const updated = await c.traffic.endpoints.update('rg-tm', 'meridian-tm', 'AzureEndpoints', 'eus', { weight: 10, endpointStatus: 'Disabled' });
    expect(updated).toMatchObject({ weight: 10, endpointStatus: 'Disabled', endpointMonitorStatus: 'Disabled' });
    const read = await c.traffic.profiles.get('rg-tm', 'meridian-tm');
    expect(read.endpoints?.map((e) => [e.name, e.weight, e.endpointStatus]).sort()).toEqual([['eus', 10, 'Disabled'], ['onprem', 1, 'Enabled']]);
    await expect(c.traffic.endpoints.createOrUpdate('rg-tm', 'meridian-tm', 'AzureEndpoints', 'bad', { targetResourceId: noDns.id })).rejects.toMatchObject({ statusCode: 400, code: 'BadRequest' });
    await expect(c.traffic.endpoints.createOrUpdate('rg-tm', 'meridian-tm', 'ExternalEndpoints', 'heavy', { target: 'x.example.com', weight: 5000 })).rejects.toMatchObject({ statusCode: 400 });
    await expect(c.traffic.profiles.createOrUpdate('rg-tm', 'tm-regional', { location: 'eastus', trafficRoutingMethod: 'Priority', dnsConfig: { relativeName: 'other' } })).rejects.toMatchObject({ statusCode: 400 });
  }, 30_000);

  it('deletes with polling: a resource, then a whole resource group', async () => {
    await c.resources.resourceGroups.createOrUpdate('rg-del', { location: 'uksouth' });
    await c.network.networkSecurityGroups.beginCreateOrUpdateAndWait('rg-del', 'nsg1', { location: 'uksouth' }, POLL);
    await c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-del', 'vnet1', { location: 'uksouth', addressSpace: { addressPrefixes: ['10.5.0.0/16'] } }, POLL);
    await c.network.networkSecurityGroups.beginDeleteAndWait('rg-del', 'nsg1', POLL);
    await expect(c.network.networkSecurityGroups.get('rg-del', 'nsg1')).rejects.toMatchObject({ statusCode: 404, code: 'ResourceNotFound' });
    await c.resources.resourceGroups.beginDeleteAndWait('rg-del', POLL);
    expect(fake.resources().filter((r) => r.resourceGroup === 'rg-del')).toEqual([]);
    expect(await c.resources.resourceGroups.checkExistence('rg-del')).toMatchObject({ body: false });
  }, 30_000);

  it('honours 429 Retry-After through the SDK retry policy', async () => {
    await c.resources.resourceGroups.createOrUpdate('rg-429', { location: 'westeurope' });
    fake.throttleNext(2, { retryAfterSeconds: 1, resourceType: 'Microsoft.Network/virtualNetworks' });
    const before = fake.requests().length;
    const started = Date.now();
    const vnet = await c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-429', 'vnet-t', { location: 'westeurope', addressSpace: { addressPrefixes: ['10.7.0.0/16'] } }, POLL);
    expect(vnet.provisioningState).toBe('Succeeded');
    const puts = fake.requests().slice(before).filter((r) => r.method === 'PUT');
    expect(puts.map((r) => r.status)).toEqual([429, 429, 201]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it("surfaces a failing location's ARM error and refuses bad names, sizes and locations", async () => {
    await c.resources.resourceGroups.createOrUpdate('rg-bad', { location: 'swedencentral' });
    fake.failLocation('swedencentral', { code: 'QuotaExceeded', message: "Operation could not be completed as it results in exceeding approved standardDSv5Family Cores quota in location 'swedencentral'." });
    await expect(c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-bad', 'vnet-q', { location: 'swedencentral', addressSpace: { addressPrefixes: ['10.8.0.0/16'] } }, POLL)).rejects.toMatchObject({
      name: 'RestError', statusCode: 409, code: 'QuotaExceeded',
    });
    fake.failLocation('swedencentral', { code: 'AllocationFailed', mode: 'async' });
    await expect(c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-bad', 'vnet-a', { location: 'swedencentral', addressSpace: { addressPrefixes: ['10.8.0.0/16'] } }, POLL)).rejects.toThrow(/AllocationFailed|failed/i);
    fake.clearLocationFailure('swedencentral');
    await expect(c.resources.resourceGroups.createOrUpdate('bad name!', { location: 'westeurope' })).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceGroup' });
    await expect(c.resources.resourceGroups.createOrUpdate('rg-mars', { location: 'marsnorth' })).rejects.toMatchObject({ statusCode: 400, code: 'LocationNotAvailableForResourceGroup' });
    await expect(c.network.virtualNetworks.beginCreateOrUpdateAndWait('rg-bad', 'vnet-m', { location: 'marsnorth', addressSpace: { addressPrefixes: ['10.9.0.0/16'] } }, POLL)).rejects.toMatchObject({ code: 'LocationNotAvailableForResourceType' });
    const vmBody = (size: string, location = 'swedencentral') => ({
      location, hardwareProfile: { vmSize: size }, osProfile: { adminUsername: 'meridian', adminPassword: 'S3cret-passw0rd!' },
      networkProfile: { networkInterfaces: [{ id: `/subscriptions/${fake.subscriptionId}/resourceGroups/rg-bad/providers/Microsoft.Network/networkInterfaces/none` }] },
    });
    await expect(c.compute.virtualMachines.beginCreateOrUpdateAndWait('rg-bad', 'vm_bad_name', vmBody('Standard_B1s'), POLL)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceName' });
    await expect(c.compute.virtualMachines.beginCreateOrUpdateAndWait('rg-bad', 'vm1', vmBody('Standard_NC6s_v3'), POLL)).rejects.toMatchObject({ statusCode: 409, code: 'SkuNotAvailable' });
    await expect(c.compute.virtualMachines.beginCreateOrUpdateAndWait('rg-bad', 'vm1', vmBody('Standard_Z99'), POLL)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
    await expect(c.compute.virtualMachines.beginCreateOrUpdateAndWait('rg-bad', 'vm1', vmBody('Standard_B1s'), POLL)).rejects.toMatchObject({ statusCode: 400, code: 'InvalidResourceReference' });
    const other = new ResourceManagementClient(c.credential, '00000000-0000-0000-0000-000000000001', { endpoint: fake.url, additionalPolicies: [{ policy: fake.tlsPolicy, position: 'perCall' }] });
    await expect(other.resourceGroups.get('rg-bad')).rejects.toMatchObject({ statusCode: 404, code: 'SubscriptionNotFound' });
  }, 30_000);

  it('lists the VM sizes each location offers through Compute resource SKUs (location filter only)', async () => {
    const list = async (filter?: string) => {
      const found = [];
      for await (const sku of c.compute.resourceSkus.list(filter === undefined ? {} : { filter })) found.push(sku);
      return found;
    };
    const asia = await list("location eq 'southeastasia'");
    expect(asia.map((s) => s.name).sort()).toEqual(['Standard_B1s', 'Standard_B2s', 'Standard_D2s_v5', 'Standard_D4s_v5']);
    expect(asia[0]).toMatchObject({ resourceType: 'virtualMachines', tier: 'Standard', locations: ['southeastasia'], restrictions: [] });
    // ARM compares locations without case or spaces; a location that does not exist offers nothing.
    expect((await list("location eq 'Southeast Asia'")).length).toBe(4);
    expect(await list("location eq 'marsnorth'")).toEqual([]);
    const all = await list();
    expect(new Set(all.flatMap((s) => s.locations ?? [])).size).toBe(8);
    expect(all.some((s) => s.name === 'Standard_NC6s_v3' && s.locations?.[0] === 'westeurope')).toBe(true);
    await expect(list("name eq 'Standard_B1s'")).rejects.toMatchObject({ statusCode: 400, code: 'InvalidParameter' });
  });

  it('rejects a wrong client secret at the token endpoint (invalid_client)', async () => {
    const bad = clients(fake, 'not-the-secret');
    await expect(bad.credential.getToken(`${fake.url}/.default`)).rejects.toThrow(/invalid_client|AADSTS7000215/);
    await expect(bad.resources.resourceGroups.get('rg-weu')).rejects.toThrow();
    expect(fake.requests().some((r) => r.area === 'token' && r.status === 401)).toBe(true);
    expect(fake.requests().some((r) => r.area === 'arm' && r.method === 'GET' && r.path.endsWith('/rg-weu') && r.status === 401)).toBe(false);
  }, 30_000);

  it('answers 401 AuthenticationFailed without a bearer token', async () => {
    const anonymous = new ResourceManagementClient({ getToken: async () => ({ token: 'forged.token.value', expiresOnTimestamp: Date.now() + 3_600_000 }) }, fake.subscriptionId, {
      endpoint: fake.url, additionalPolicies: [{ policy: fake.tlsPolicy, position: 'perCall' }],
    });
    await expect(anonymous.resourceGroups.get('rg-weu')).rejects.toMatchObject({ statusCode: 401, code: 'InvalidAuthenticationToken' });
  }, 30_000);
});
