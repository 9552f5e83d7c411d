import { FailoverManager, HealthMonitor, type HealthEvents, type EventSource, type DeployProgress, type FailoverEvents } from '@meridian/core';
import { createKubernetesProvider, createReadinessProber, KubernetesLeaseStore, type KubernetesProvider } from '@meridian/providers-k8s';
import type { ExampleOptions } from './options.js';

/** The three regions: where they are and who their users are (the ConfigMap of each carries it). */
const REGIONS = {
  'eu-west': { location: { lat: 53.35, lon: -6.26 }, timezone: 'Europe/Dublin', locale: 'en-IE', currency: 'EUR', priority: 0 },
  'us-east': { location: { lat: 37.54, lon: -77.44 }, timezone: 'America/New_York', locale: 'en-US', currency: 'USD', priority: 1 },
  'ap-south': { location: { lat: 1.35, lon: 103.82 }, timezone: 'Asia/Singapore', locale: 'en-SG', currency: 'SGD', priority: 2 },
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

/** Resolves on the next `name` event that passes `filter`; rejects after `timeoutMillis` saying what it waited for. */
function next<M extends object, K extends keyof M & string>(source: Pick<EventSource<M>, 'on'>, name: K, filter: (e: M[K]) => boolean, timeoutMillis = 30_000): Promise<M[K]> {
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

/**
 * Deploys the app to three clusters, watches their health through the
 * Deployment watch, and lets a FailoverManager (one leader, elected with a
 * Kubernetes Lease) shift the external-dns weights; optionally scales the
 * primary to 0 and back to show a failover and a failback.
 */
export async function run(options: ExampleOptions): Promise<void> {
  const provider: KubernetesProvider = createKubernetesProvider({
    ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}),
    regions: Object.fromEntries(
      IDS.map((id) => {
        const { location, timezone, locale, currency } = REGIONS[id];
        // endpoint: where the region's ingress answers; it is also the region's DNS target.
        return [id, { context: options.contexts[id], namespace: options.namespace, location, timezone, locale, currency, endpoint: `https://${id}.${options.dnsName}` }];
      }),
    ),
    dns: { region: PRIMARY, namespace: options.namespace, dnsName: options.dnsName, ttl: 30 },
    image: options.image,
  });
  const leaseStore = new KubernetesLeaseStore({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), context: options.contexts[PRIMARY], namespace: options.namespace });
  const monitor = new HealthMonitor({ intervalMillis: 500, timeoutMillis: 400, failuresBeforeUnhealthy: 2, successesBeforeHealthy: 2, samplesPerProbe: 1, prober: createReadinessProber(provider) });
  let manager: FailoverManager | undefined;
  try {
    log(`Deploying ${APP} (${options.image}) to ${IDS.map((id) => `${id} (context ${options.contexts[id]})`).join(', ')}`);
    const onProgress = (p: DeployProgress): void => {
      if (p.status !== 'started') log(`  ${p.regionId.padEnd(8)} ${p.step.padEnd(10)} ${p.status}${p.message ? `: ${p.message}` : ''}`);
    };
    const deployed = await provider.deploy({ name: APP, regions: IDS, env: { APP_MODE: 'multi-region' } }, { onProgress });
    for (const r of deployed.regions) log(`DEPLOYED ${r.regionId.padEnd(8)} ${r.state.padEnd(8)} ${r.endpoint}${r.error ? `  ${r.error}` : ''}`);
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`${failed.length} region(s) did not deploy`);

    provider.on('region:status', (e) => {
      const reason = e.status.details?.['reason'];
      log(`STATUS   ${e.regionId.padEnd(8)} ${e.previous ?? '-'} -> ${e.status.state}${typeof reason === 'string' ? ` (${reason})` : ''}`);
    });
    monitor.on('region:healthy', (e) => log(`EVENT    region:healthy   ${e.regionId.padEnd(8)} ${e.previous} -> ${e.state}`));
    monitor.on('region:unhealthy', (e) => log(`EVENT    region:unhealthy ${e.regionId.padEnd(8)} ${e.previous} -> ${e.state}: ${e.reason}`));
    const allHealthy = Promise.all(IDS.map((id) => next<HealthEvents, 'region:healthy'>(monitor, 'region:healthy', (e) => e.regionId === id)));
    for (const id of IDS) monitor.add({ id, endpoint: `https://${id}.${options.dnsName}` });
    await monitor.start();
    await allHealthy;

    const regions = IDS.map((id) => ({ id, priority: REGIONS[id].priority, weight: 100 }));
    manager = new FailoverManager({ regions, monitor, provider, leaseStore, leaseName: `${APP}-failover`, leaseTtlMillis: 6_000, leaseRenewMillis: 2_000, failback: { holdDownMillis: 2_000 }, drainMillis: 0 });
    manager.on('lease:acquired', (e) => log(`LEASE    acquired by ${e.holder} (token ${e.token})`));
    manager.on('failover:completed', (r) => log(`FAILOVER completed ${r.kind} ${r.from.join(',')} -> ${r.to} in ${r.durationMillis} ms`));
    manager.on('failover:failed', (r) => log(`FAILOVER failed ${r.kind} at ${r.failedStep}: ${r.error}`));
    manager.on('failback:scheduled', (e) => log(`FAILBACK scheduled ${e.regionId} (after the hold-down)`));
    manager.on('traffic:changed', (e) => log(`TRAFFIC  ${IDS.map((id) => `${id}=${e.weights[id] ?? 0}`).join(' ')} (DNSEndpoint in ${PRIMARY}/${options.namespace}, fencing token ${e.fencingToken})`));
    const initial = next<FailoverEvents, 'traffic:changed'>(manager, 'traffic:changed', () => true);
    await manager.start();
    await initial;

    if (options.simulateOutage) {
      log(`Simulating an outage: scaling ${PRIMARY} to 0 replicas`);
      const failedOver = next<FailoverEvents, 'failover:completed'>(manager, 'failover:completed', (r) => r.kind === 'automatic');
      await provider.deploy({ name: APP, regions: [PRIMARY], env: { APP_MODE: 'multi-region' }, overrides: { [PRIMARY]: { replicas: 0 } } });
      await failedOver;
      log(`Restoring ${PRIMARY}`);
      const failedBack = next<FailoverEvents, 'failover:completed'>(manager, 'failover:completed', (r) => r.kind === 'failback');
      await provider.deploy({ name: APP, regions: [PRIMARY], env: { APP_MODE: 'multi-region' } });
      await failedBack;
    }
    if (options.cleanup) {
      await manager.close();
      manager = undefined;
      await provider.destroy();
      log(`Cleaned up: ${APP} deleted from ${IDS.length} clusters`);
    }
    const story = options.simulateOutage ? `; ${PRIMARY} failed over to the next region and back through DNSEndpoint weights` : '';
    log(`Done: ${APP} was deployed to ${IDS.length} clusters${story}${options.cleanup ? ', and removed again' : ''}`);
  } finally {
    await manager?.close();
    await monitor.close();
    leaseStore.close();
    await provider.close();
  }
}
