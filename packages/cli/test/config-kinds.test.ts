// The provider kinds in the config, in-process: defaults, cross-checks, and credentials refused unseen.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/load-config.js';
import { CliError, EXIT } from '../src/exit-codes.js';

const dir = mkdtempSync(join(tmpdir(), 'meridian-config-kinds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function errorOf(text: string): Promise<string> {
  writeFileSync(join(dir, 'meridian.config.yaml'), text);
  const error = await loadConfig({ cwd: dir }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(EXIT.USAGE);
  return (error as CliError).message;
}

const REGIONS = `regions:
  - id: eu-west
    location: { lat: 53.3, lon: -6.2 }
  - id: us-east
    location: { lat: 37.5, lon: -77.5 }
`;
const K8S = `app: { name: shop }
provider:
  kind: kubernetes
  image: shop:1
  dns: { dnsName: shop.example.com }
${REGIONS}`;
const AZURE = `app: { name: shop }
provider:
  kind: azure
  subscriptionId: 6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f
  trafficManager: { profile: shop-tm }
  regions:
    eu-west: { location: westeurope, vmSize: Standard_B2s }
    us-east: { location: eastus }
${REGIONS}`;

describe('provider kinds in the config', () => {
  it('kubernetes: fills in the defaults (namespace, port, DNS record, per-region blocks)', async () => {
    writeFileSync(join(dir, 'meridian.config.yaml'), K8S);
    const { config } = await loadConfig({ cwd: dir });
    expect(config.provider).toEqual({
      kind: 'kubernetes', image: 'shop:1', namespace: 'default', port: 8080, serviceType: 'ClusterIP', rolloutTimeoutMillis: 300_000,
      dns: { dnsName: 'shop.example.com', recordType: 'CNAME', ttl: 60, weightProperty: 'aws/weight' }, lease: {}, regions: {},
    });
  });

  it('azure: fills in the defaults (prefix, size, routing, lease container, peering off)', async () => {
    writeFileSync(join(dir, 'meridian.config.yaml'), AZURE);
    const { config } = await loadConfig({ cwd: dir });
    expect(config.provider).toMatchObject({
      kind: 'azure', resourceGroupPrefix: 'meridian', currency: 'USD', adminUser: 'meridian', port: 8080, peering: false,
      trafficManager: { profile: 'shop-tm', routing: 'Priority', dnsTtlSeconds: 30 }, storage: { container: 'meridian' },
      regions: { 'eu-west': { location: 'westeurope', vmSize: 'Standard_B2s' }, 'us-east': { location: 'eastus', vmSize: 'Standard_B1s' } },
    });
  });

  it('refuses credentials anywhere under provider, saying where they go, and never shows the value', async () => {
    const message = await errorOf(AZURE.replace('  trafficManager:', '  clientSecret: hunter2-very-secret\n  storage: { connectionString: "AccountKey=abc123" }\n  trafficManager:'));
    const lines = message.split('\n');
    expect(lines[0]).toMatch(/^meridian\.config\.yaml:5:3: provider\.clientSecret: credentials never go in the config file .*DefaultAzureCredential.*AZURE_CLIENT_SECRET/);
    expect(lines[1]).toMatch(/^meridian\.config\.yaml:6:14: provider\.storage\.connectionString: credentials never go .*AZURE_STORAGE_CONNECTION_STRING/);
    expect(message).not.toMatch(/hunter2|abc123/);
    expect(await errorOf(AZURE.replace('  trafficManager:', '  storage: { accountUrl: "https://acct.blob.core.windows.net/?sv=2024&sig=xyz" }\n  trafficManager:'))).toMatch(
      /provider\.storage\.accountUrl: must not carry a query string \(a SAS token is a credential/,
    );
    expect(await errorOf(K8S.replace('  image: shop:1', '  image: shop:1\n  token: abc'))).toMatch(/provider\.token: credentials never go in the config file/);
  });

  it('azure: every region needs its location; sizes, prices and replicas go where azure takes them', async () => {
    const text = AZURE.replace('    us-east: { location: eastus }\n', '    mars: { location: marsnorth }\n').replace('  - id: us-east\n    location: { lat: 37.5, lon: -77.5 }\n', '  - id: us-east\n    location: { lat: 37.5, lon: -77.5 }\n    size: Standard_D2s_v5\n    price: { hourly: 0.1 }\n    replicas: 2\n');
    expect((await errorOf(text)).split('\n')).toEqual([
      'meridian.config.yaml:8:5: provider.regions.mars: not one of the regions (eu-west, us-east) (got {"location":"marsnorth"})',
      'meridian.config.yaml:12:5: regions[1].id: needs provider.regions.us-east with its Azure location (e.g. { location: westeurope, vmSize: Standard_B2s }) (got "us-east")',
      'meridian.config.yaml:14:5: regions[1].size: the Azure VM size goes in provider.regions.us-east.vmSize (got "Standard_D2s_v5")',
      'meridian.config.yaml:15:5: regions[1].price: Azure prices come from the Retail Prices API (provider.pricesUrl); remove the declared price (got {"hourly":0.1})',
      'meridian.config.yaml:16:5: regions[1].replicas: the Azure provider runs one VM per region: replicas must be 1 (got 2)',
    ]);
  });

  it('refuses sync on a kind without replica stores, and DNS or lease regions that are not configured', async () => {
    const message = await errorOf(K8S.replace('  dns: { dnsName: shop.example.com }', '  dns: { dnsName: shop.example.com, region: ap-south }') + 'sync:\n  enabled: true\n');
    expect(message.split('\n')).toEqual([
      'meridian.config.yaml:5:37: provider.dns.region: not one of the regions (eu-west, us-east) (got "ap-south")',
      expect.stringMatching(/^meridian\.config\.yaml:12:3: sync\.enabled: the kubernetes provider has no replica store to sync .*leave sync off \(got true\)$/),
    ]);
  });
  it('refuses a dataPath (directory sync) on a kind whose regions keep their files on their own machines', async () => {
    const text = K8S.replace('    location: { lat: 53.3, lon: -6.2 }\n', '    location: { lat: 53.3, lon: -6.2 }\n    dataPath: ./data-eu\n').replace('    location: { lat: 37.5, lon: -77.5 }\n', '    location: { lat: 37.5, lon: -77.5 }\n    dataPath: ./data-us\n');
    const lines = (await errorOf(text)).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^meridian\.config\.yaml:\d+:\d+: regions\[0\]\.dataPath: directory sync runs between directories this agent can open \(provider\.kind: local\); the kubernetes provider's .* \(got "\.\/data-eu"\)$/);
    expect(lines[1]).toMatch(/regions\[1\]\.dataPath: .*\(got "\.\/data-us"\)$/);
  });
});
