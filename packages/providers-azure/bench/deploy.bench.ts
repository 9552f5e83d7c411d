// Deploy to 4 regions of a fake Azure Resource Manager through the official SDKs,
// one region at a time (concurrency 1, the baseline) and all at once, in the same
// run. Every long-running operation (VNet, NSG, public IP, NIC, VM) stays InProgress
// for a fixed time, as ARM's do; the provider polls every 20 ms.
import { ClientSecretCredential } from '@azure/identity';
import { median, startFakeArm, timedDeploy, writeBenchResult } from '@meridian/testkit';
import { createAzureProvider, type AzureProvider } from '../src/index.js';

const REGIONS = { 'eu-west': 'westeurope', 'us-east': 'eastus', 'eu-north': 'northeurope', 'uk-south': 'uksouth' };
const LRO_MILLIS = [100, 250];
const ROUNDS = 5;
const GOAL = 3.5;

/** One timed deploy of every region of the provider. */
function deployOnce(provider: AzureProvider, name: string): Promise<number> {
  return timedDeploy(provider, name, provider.regionIds());
}

async function main(): Promise<void> {
  const fake = await startFakeArm();
  const credential = new ClientSecretCredential(fake.tenantId, fake.clientId, fake.clientSecret, { authorityHost: fake.url, disableInstanceDiscovery: true, tlsOptions: { ca: fake.caPem } });
  const make = (concurrency: number | undefined) =>
    createAzureProvider({
      subscriptionId: fake.subscriptionId,
      credential,
      resourceGroupPrefix: concurrency === 1 ? 'bench-serial' : 'bench-parallel',
      regions: Object.fromEntries(Object.entries(REGIONS).map(([id, location]) => [id, { location, vmSize: 'Standard_B2s' }])),
      endpoint: fake.url,
      clientOptions: { tlsOptions: { ca: fake.caPem } },
      pollIntervalMillis: 20,
      ...(concurrency ? { concurrency } : {}),
    });
  const serialProvider = make(1);
  const parallelProvider = make(undefined);
  const runs = [];
  try {
    // Warm-up (token, connections), not timed.
    fake.operationDelayMillis = 10;
    await deployOnce(serialProvider, 'warmup');
    await deployOnce(parallelProvider, 'warmup');
    for (const lroMillis of LRO_MILLIS) {
      fake.operationDelayMillis = lroMillis;
      const serial: number[] = [];
      const parallel: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        serial.push(await deployOnce(serialProvider, `serial-${lroMillis}-${round}`));
        parallel.push(await deployOnce(parallelProvider, `parallel-${lroMillis}-${round}`));
      }
      const speedup = median(serial) / median(parallel);
      runs.push({ lroMillis, serialMillis: Math.round(median(serial)), parallelMillis: Math.round(median(parallel)), speedup: Math.round(speedup * 100) / 100 });
      console.log(`LRO ${lroMillis} ms: serial ${Math.round(median(serial))} ms, parallel ${Math.round(median(parallel))} ms, ${speedup.toFixed(2)}x (goal >= ${GOAL}x)`);
    }
  } finally {
    await fake.close();
  }
  const path = writeBenchResult(new URL('./results/', import.meta.url), 'deploy', {
    description: '4-region Azure VM deploy (resource group, VNet, NSG, public IP, NIC, VM) through the official SDKs against the fake ARM: concurrency 1 vs all regions at once',
    regions: Object.keys(REGIONS).length,
    rounds: ROUNDS,
    pollIntervalMillis: 20,
    goalSpeedup: GOAL,
    runs,
  });
  console.log(`wrote ${path}`);
  if (runs.some((r) => r.speedup < GOAL)) process.exitCode = 1;
}

await main();
