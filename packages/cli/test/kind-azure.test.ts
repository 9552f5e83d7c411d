// `provider.kind: azure` end to end: the built binary against a real agent
// subprocess, Azure played by testkit's fake ARM (HTTPS with its own CA, Entra
// token endpoint, Compute SKUs), fake Retail Prices, and a real Azurite for the
// failover lease. Credentials reach the agent only through its environment, as
// DefaultAzureCredential reads them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { defaultRetailPriceItems, findAzuriteBlob, findLeakedProcesses, getFreePort, skipUnless, startAzurite, startFakeArm, startFakeRetailPrices, systemRequirement, type Azurite, type FakeArm, type FakeRetailPrices } from '@meridian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, meridian, meridianJson, repo, startAgent, weightsOf, type AgentProcess } from './cli-harness.js';

const azuriteFrom = join(repo, 'packages', 'providers-azure', 'package.json');
const azuriteInstalled = (() => {
  try {
    findAzuriteBlob(azuriteFrom);
    return true;
  } catch {
    return false;
  }
})();
const azurite_ = systemRequirement('azurite', azuriteInstalled, 'azurite is not installed (packages/providers-azure devDependency)', 'npx --yes pnpm@10.34.9 install');

const IDS = ['eu-west', 'us-east', 'eu-north'] as const;
const dir = mkdtempSync(join(tmpdir(), 'meridian-kind-azure-'));
let arm: FakeArm;
let prices: FakeRetailPrices;
let azurite: Azurite | undefined;
let env: NodeJS.ProcessEnv;
let agent: AgentProcess | undefined;
let azuritePid: number | undefined;

function config(port: number, regions = 'eu-west: { location: westeurope, vmSize: Standard_B2s }\n    us-east: { location: eastus, vmSize: Standard_B2s }\n    eu-north: { location: northeurope, vmSize: Standard_B2s }'): string {
  return `# written by kind-azure.test.ts
app:
  name: shop
provider:
  kind: azure
  subscriptionId: ${arm.subscriptionId}
  resourceGroupPrefix: shop
  armEndpoint: ${arm.url}
  pricesUrl: ${prices.pricesUrl}
  peering: true
  pollIntervalMillis: 20
  trafficManager: { profile: shop-tm }
  storage: { container: meridian-leases }
  regions:
    ${regions}
regions:
  - id: eu-west
    location: { lat: 52.4, lon: 4.9 }
  - id: us-east
    location: { lat: 37.5, lon: -77.5 }
  - id: eu-north
    location: { lat: 53.3, lon: -6.2 }
# Health is the VM's instance view, three ARM calls a probe: generous timeouts, so a loaded CI machine is not an outage.
health:
  intervalMillis: 1000
  timeoutMillis: 900
  failuresBeforeUnhealthy: 3
  successesBeforeHealthy: 1
failover:
  drainMillis: 0
  lease: { ttlMillis: 3000 }
  failback: { holdDownMillis: 60000 }
agent:
  port: ${port}
`;
}

const run = (args: string[], cwd = dir) => meridian(cwd, env, args, 120_000);
const json = <T = any>(args: string[], cwd = dir) => meridianJson<T>(cwd, env, args);
const types = (): string[] => arm.resources().map((r) => r.type);

beforeAll(async () => {
  if (!azuriteInstalled) return;
  ensureBuilt();
  arm = await startFakeArm({ operationDelayMillis: 20 });
  prices = await startFakeRetailPrices();
  azurite = await startAzurite({ resolveFrom: azuriteFrom });
  azuritePid = azurite.pid;
  const ca = join(dir, 'fake-arm-ca.pem');
  writeFileSync(ca, arm.caPem);
  env = {
    AZURE_TENANT_ID: arm.tenantId,
    AZURE_CLIENT_ID: arm.clientId,
    AZURE_CLIENT_SECRET: arm.clientSecret,
    AZURE_AUTHORITY_HOST: arm.url,
    // The fake's CA, trusted by every TLS client of the agent process (ARM SDKs and the token request alike).
    NODE_EXTRA_CA_CERTS: ca,
    AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
  };
  writeFileSync(join(dir, 'meridian.config.yaml'), config(await getFreePort()));
  agent = await startAgent(dir, env);
}, 120_000);

afterAll(async () => {
  try {
    if (agent) {
      expect(await agent.stop()).toBe(0);
      expect(agent.log()).toMatch(/stopped; the azure deployment stays/);
      expect(agent.log()).not.toContain(arm.clientSecret);
    }
  } finally {
    await arm?.close();
    await prices?.close();
    await azurite?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  if (azuritePid) expect(await findLeakedProcesses([azuritePid])).toEqual([]);
}, 30_000);


describe('meridian on provider.kind azure (fake ARM, fake Retail Prices, Azurite)', skipUnless(azurite_), () => {
  it('deploys a resource group with a VM per region, peered, with Traffic Manager on the home region', async () => {
    const s = await json(['status']);
    expect(s.provider).toBe('azure');
    expect(s.regions.map((r: any) => [r.id, r.health, r.deploy.status, r.deploy.state])).toEqual(IDS.map((id) => [id, 'healthy', 'completed', 'running']));
    expect(s.regions.every((r: any) => /^http:\/\/[\d.]+:8080$/.test(r.deploy.endpoint))).toBe(true);
    expect(s.failover).toMatchObject({ home: 'eu-west', isLeader: true });
    expect(weightsOf(s)).toEqual({ 'eu-west': 100, 'us-east': 0, 'eu-north': 0 });
    const groups = arm.resources().filter((r) => r.type === 'Microsoft.Resources/resourceGroups').map((r) => r.name).sort();
    expect(groups).toEqual(['shop-eu-north', 'shop-eu-west', 'shop-global', 'shop-us-east']);
    expect(types().filter((t) => t === 'Microsoft.Compute/virtualMachines')).toHaveLength(3);
    expect(types().filter((t) => t === 'Microsoft.Network/virtualNetworks/virtualNetworkPeerings')).toHaveLength(6);
    // The lease is a blob in Azurite, held by this agent.
    const blobs: string[] = [];
    for await (const b of BlobServiceClient.fromConnectionString(azurite!.connectionString).getContainerClient('meridian-leases').listBlobsFlat()) blobs.push(b.name);
    expect(blobs).toEqual(['leases/shop/shop-failover']);
    const health = await json(['health']);
    expect(health.regions.every((h: any) => h.state === 'healthy')).toBe(true);
  });

  it('a second agent on the same config never acts: the blob lease is held', async () => {
    const other = join(dir, 'second');
    mkdirSync(other);
    writeFileSync(join(other, 'meridian.config.yaml'), config(await getFreePort()));
    const second = await startAgent(other, env);
    try {
      expect((await json(['status'], other)).failover.isLeader).toBe(false);
      const refused = await run(['failover', '--to', 'us-east'], other);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toMatch(/lease|leader/i);
      expect((await json(['status'])).failover.isLeader).toBe(true);
    } finally {
      expect(await second.stop()).toBe(0);
    }
  }, 120_000);

  it('failover --dry-run changes nothing; failover and failback move Traffic Manager', async () => {
    // The weights the manager applied on taking the lease are in place (Traffic Manager written) before the snapshot.
    await expect.poll(async () => weightsOf(await json(['status'])), { timeout: 10_000 }).toEqual({ 'eu-west': 100, 'us-east': 0, 'eu-north': 0 });
    const before = JSON.stringify(arm.resources());
    const dry = await json(['failover', '--to', 'us-east', '--dry-run']);
    expect(dry.plan).toMatchObject({ to: 'us-east', wouldSucceed: true });
    expect(JSON.stringify(arm.resources())).toBe(before);
    const endpointWrites = (): number => arm.requests().filter((q) => q.method === 'PUT' && q.resourceType?.toLowerCase() === 'microsoft.network/trafficmanagerprofiles/azureendpoints').length;
    const writesBefore = endpointWrites();
    const report = await json(['failover', '--to', 'us-east']);
    expect(report).toMatchObject({ kind: 'planned', to: 'us-east', outcome: 'completed' });
    expect(weightsOf(await json(['status']))).toEqual({ 'eu-west': 0, 'us-east': 100, 'eu-north': 0 });
    // The shift went through Traffic Manager: its endpoints were written.
    expect(endpointWrites()).toBeGreaterThan(writesBefore);
    expect(await json(['failback'])).toMatchObject({ kind: 'failback', to: 'eu-west', outcome: 'completed' });
  }, 60_000);

  it('drill on a region holds, then rolls back on its own', async () => {
    const drill = await json(['drill', '--to', 'eu-north', '--duration', '300ms']);
    expect(drill).toMatchObject({ to: 'eu-north', rolledBack: true, targetServed: true });
    expect(weightsOf(await json(['status']))).toEqual({ 'eu-west': 100, 'us-east': 0, 'eu-north': 0 });
  }, 60_000);

  it('costs: Retail Prices per region and size, the monthly table against the baseline, a recommendation', async () => {
    const view = await json(['costs']);
    expect(view.source).toMatch(/Azure Retail Prices API/);
    expect(view.regions.map((r: any) => [r.regionId, r.hourly])).toEqual([
      ['eu-west', 0.0478],
      ['us-east', 0.0416],
      ['eu-north', 0.0441],
    ]);
    expect(view.comparison.regions.map((r: any) => [r.regionId, r.monthly, r.label])).toEqual([
      ['eu-west', 34.89, 'baseline'],
      ['us-east', 30.37, '13% cheaper'],
      ['eu-north', 32.19, '8% cheaper'],
    ]);
    expect(view.comparison.recommendation).toMatchObject({ regionId: 'us-east', monthlySaving: 4.52 });
    expect(prices.requests().length).toBeGreaterThan(0);
    // A price change in the API shows at once: nothing is cached or built in.
    prices.setItems([]);
    const unpriced = await json(['costs']);
    expect(unpriced.unpriced).toEqual([...IDS]);
    expect(unpriced.comparison).toBeUndefined();
    prices.setItems(defaultRetailPriceItems());
  });

  it('deploy --auto places by distance and Retail Prices, and deploys the pick', async () => {
    const report = await json(['deploy', '--auto', '--count', '1', '--near', '40.7,-74.0', '--max-cost', '0.045']);
    expect(report.outcome).toBe('completed');
    expect(report.regions.map((r: any) => r.regionId)).toEqual(['us-east']);
  }, 60_000);

  it('session commands answer SESSIONS_UNSUPPORTED (exit 7); sync is off', async () => {
    const r = await run(['migrate', 's1', '--to', 'us-east']);
    expect(r.code).toBe(7);
    expect(r.stderr).toMatch(/the azure provider has no session adapter/);
    expect((await run(['sync', 'status'])).code).toBe(2);
  });

  it('destroy deletes every resource group, the Traffic Manager one included: nothing is left in the subscription', async () => {
    expect(await json(['destroy', 'eu-north', '--yes'])).toMatchObject({ destroyed: ['eu-north'], all: false, stillDeployed: [] });
    expect(arm.resources().some((r) => r.resourceGroup === 'shop-eu-north')).toBe(false);
    expect(await json(['destroy', '--yes'])).toMatchObject({ all: true, stillDeployed: [] });
    expect(arm.resources()).toEqual([]);
    const s = await json(['status']);
    expect(s.regions.map((r: any) => r.deploy.state)).toEqual(['not-deployed', 'not-deployed', 'not-deployed']);
  }, 120_000);
});

describe('azure config errors, checked before anything is created', skipUnless(azurite_), () => {
  let own: string;
  beforeAll(() => {
    own = mkdtempSync(join(dir, 'bad-'));
  });
  afterAll(() => rmSync(own, { recursive: true, force: true }));
  const creates = (): number => arm.requests().filter((q) => q.method === 'PUT').length;

  it('a location that does not exist names the region and lists the locations (exit 2)', async () => {
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('eu-north: { location: northeurope, vmSize: Standard_B2s }', 'eu-north: { location: marsnorth, vmSize: Standard_B2s }'));
    const before = creates();
    const r = await run(['agent'], own);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/meridian\.config\.yaml:\d+:\d+: provider\.regions\.eu-north\.location: region "eu-north": Azure location "marsnorth" does not exist .*\(locations: eastus, eastus2, northeurope, southeastasia, swedencentral, uksouth, westeurope, westus2\) \[AZURE_LOCATION_NOT_FOUND\]/);
    expect(creates()).toBe(before);
  });

  it('a VM size not offered in the location names region, size and what is offered there (exit 2)', async () => {
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('eu-north: { location: northeurope, vmSize: Standard_B2s }', 'eu-north: { location: northeurope, vmSize: Standard_NC6s_v3 }'));
    const before = creates();
    const r = await run(['agent'], own);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/provider\.regions\.eu-north\.vmSize: region "eu-north": VM size "Standard_NC6s_v3" is not offered in northeurope \(offered there: .*Standard_B2s.*\) \[AZURE_VM_SIZE_NOT_OFFERED\]/);
    expect(creates()).toBe(before);
  });

  it('a client secret in the file is refused, saying where credentials go, and never shown', async () => {
    writeFileSync(join(own, 'meridian.config.yaml'), config(0).replace('  peering: true\n', `  peering: true\n  clientSecret: ${arm.clientSecret}\n`));
    const r = await run(['config'], own);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/provider\.clientSecret: credentials never go in the config file .*DefaultAzureCredential/);
    expect(r.stderr).not.toContain(arm.clientSecret);
    expect(readFileSync(join(own, 'meridian.config.yaml'), 'utf8')).toContain('clientSecret');
  });
});
