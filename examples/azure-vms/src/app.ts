import { ComputeManagementClient } from '@azure/arm-compute';
import type { TokenCredential } from '@azure/identity';
import { FailoverManager, HealthMonitor, MemoryLeaseStore, type DeployProgress, type EventSource, type FailoverEvents, type HealthEvents, type Prober } from '@meridian/core';
import { createAzureProvider, type AzureProvider } from '@meridian/providers-azure';
import type { ExampleOptions } from './options.js';

/** The three regions: Azure location, VM size, the users' time zone, failover priority. */
const REGIONS = {
  'eu-west': { location: 'westeurope', vmSize: 'Standard_B2s', timezone: 'Europe/Amsterdam', priority: 0 },
  'us-east': { location: 'eastus', vmSize: 'Standard_B2s', timezone: 'America/New_York', priority: 1 },
  'ap-southeast': { location: 'southeastasia', vmSize: 'Standard_B2s', timezone: 'Asia/Singapore', priority: 2 },
} as const;
type RegionId = keyof typeof REGIONS;
const IDS = Object.keys(REGIONS) as RegionId[];
const PRIMARY: RegionId = 'eu-west';
const APP = 'shop';

const started = Date.now();
/** One timestamped line: `[11:20:01.123 +3.2s] text`. */
export function log(text: string): void {
  const now = new Date();
  console.log(`[${now.toISOString().slice(11, 23)} +${((now.getTime() - started) / 1000).toFixed(1)}s] ${text}`);
}

function next<M extends object, K extends keyof M & string>(source: Pick<EventSource<M>, 'on'>, name: K, filter: (e: M[K]) => boolean, timeoutMillis = 60_000): Promise<M[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`no ${name} within ${timeoutMillis} ms`));
    }, timeoutMillis);
    const sub = source.on(name, (e) => {
      if (!filter(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

/** Healthy while the provider says the region's VM is running (its instance view). */
function instanceViewProber(provider: AzureProvider): Prober {
  return {
    async probe(target, { signal }) {
      const status = await provider.status(target.regionId, { signal });
      return status.state === 'running' ? { ok: true } : { ok: false, error: `VM ${String(status.details?.['powerState'] ?? status.state)}` };
    },
  };
}

/**
 * Deploys the app to three Azure regions in parallel, puts Traffic Manager
 * (Priority routing) in front, and lets a FailoverManager move traffic when a
 * region's VM stops running; optionally deallocates the primary's VM and starts
 * it again to show a failover and a failback.
 */
export async function run(options: ExampleOptions, credential: TokenCredential): Promise<void> {
  const clientOptions = options.caPem ? { tlsOptions: { ca: options.caPem } } : {};
  const provider = createAzureProvider({
    subscriptionId: options.subscriptionId,
    credential,
    resourceGroupPrefix: options.prefix,
    regions: Object.fromEntries(IDS.map((id) => [id, { location: REGIONS[id].location, vmSize: REGIONS[id].vmSize, timezone: REGIONS[id].timezone }])),
    trafficManager: { resourceGroup: `${options.prefix}-global`, profileName: options.profileName, routing: 'Priority', location: REGIONS[PRIMARY].location },
    peering: true,
    ...(options.armEndpoint ? { endpoint: options.armEndpoint } : {}),
    clientOptions,
    ...(options.pollIntervalMillis ? { pollIntervalMillis: options.pollIntervalMillis } : {}),
  });
  const monitor = new HealthMonitor({ intervalMillis: 1_000, timeoutMillis: 900, failuresBeforeUnhealthy: 2, successesBeforeHealthy: 2, samplesPerProbe: 1, prober: instanceViewProber(provider) });
  let manager: FailoverManager | undefined;
  try {
    log(`Deploying ${APP} to ${IDS.map((id) => `${id} (${REGIONS[id].location})`).join(', ')}`);
    const onProgress = (p: DeployProgress): void => {
      if (p.status !== 'started') log(`  ${p.regionId.padEnd(12)} ${p.step.padEnd(14)} ${p.status}${p.status === 'failed' && p.message ? `: ${p.message}` : ''}`);
    };
    const deployed = await provider.deploy({ name: APP, regions: IDS, env: { APP_MODE: 'multi-region' } }, { onProgress });
    for (const r of deployed.regions) log(`DEPLOYED ${r.regionId.padEnd(12)} ${r.state.padEnd(8)} ${r.endpoint}${r.error ? `  ${r.error}` : ''}`);
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`${failed.length} region(s) did not deploy; remove what they left with --cleanup`);

    monitor.on('region:healthy', (e) => log(`EVENT    region:healthy   ${e.regionId.padEnd(12)} ${e.previous} -> ${e.state}`));
    monitor.on('region:unhealthy', (e) => log(`EVENT    region:unhealthy ${e.regionId.padEnd(12)} ${e.previous} -> ${e.state}: ${e.reason}`));
    const allHealthy = Promise.all(IDS.map((id) => next<HealthEvents, 'region:healthy'>(monitor, 'region:healthy', (e) => e.regionId === id)));
    for (const r of deployed.regions) monitor.add({ id: r.regionId, endpoint: r.endpoint });
    await monitor.start();
    await allHealthy;

    // One process here; run several against a shared LeaseStore (e.g. AzureBlobLeaseStore) and only the holder acts.
    manager = new FailoverManager({
      regions: IDS.map((id) => ({ id, priority: REGIONS[id].priority, weight: 100 })),
      monitor,
      provider,
      leaseStore: new MemoryLeaseStore(),
      leaseName: `${APP}-failover`,
      failback: { holdDownMillis: 2_000 },
      drainMillis: 0,
    });
    manager.on('failover:completed', (r) => log(`FAILOVER completed ${r.kind} ${r.from.join(',')} -> ${r.to} in ${r.durationMillis} ms`));
    manager.on('failover:failed', (r) => log(`FAILOVER failed ${r.kind} at ${r.failedStep}: ${r.error}`));
    manager.on('traffic:changed', (e) => log(`TRAFFIC  ${IDS.map((id) => `${id}=${e.weights[id] ?? 0}`).join(' ')} (Traffic Manager ${options.profileName}, fencing token ${e.fencingToken})`));
    const initial = next<FailoverEvents, 'traffic:changed'>(manager, 'traffic:changed', () => true);
    await manager.start();
    await initial;

    if (options.simulateOutage) {
      const compute = new ComputeManagementClient(credential, options.subscriptionId, { ...clientOptions, ...(options.armEndpoint ? { endpoint: options.armEndpoint } : {}) });
      const poll = options.pollIntervalMillis ? { updateIntervalInMs: options.pollIntervalMillis } : {};
      log(`Simulating an outage: deallocating the VM of ${PRIMARY}`);
      const failedOver = next<FailoverEvents, 'failover:completed'>(manager, 'failover:completed', (r) => r.kind === 'automatic');
      await compute.virtualMachines.deallocate(`${options.prefix}-${PRIMARY}`, `${APP}-vm`, poll);
      await failedOver;
      log(`Restoring ${PRIMARY}: starting its VM`);
      const failedBack = next<FailoverEvents, 'failover:completed'>(manager, 'failover:completed', (r) => r.kind === 'failback');
      await compute.virtualMachines.start(`${options.prefix}-${PRIMARY}`, `${APP}-vm`, poll);
      await failedBack;
    }
    if (options.cleanup) {
      await manager.close();
      manager = undefined;
      await provider.destroy();
      log(`Cleaned up: the resource groups of ${IDS.length} regions were deleted`);
    }
    const story = options.simulateOutage ? `; ${PRIMARY} failed over to the next region and back through Traffic Manager` : '';
    log(`Done: ${APP} was deployed to ${IDS.length} Azure regions${story}${options.cleanup ? ', and removed again' : ''}`);
  } finally {
    await manager?.close();
    await monitor.close();
  }
}
