import { resolve, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { CrossRegionSync, FailoverManager, HealthMonitor, MemoryLeaseStore, MultiRegionDeployer } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { createPrometheusMetrics, type PrometheusMetrics } from '@meridian/metrics-prometheus';
import { createLocalProvider, createLocalReplicaStore, createLocalSessionAdapter, type LocalProvider, type LocalReplicaStore } from '@meridian/providers-local';
import { FileSnapshotStore, MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import type { MeridianConfig } from '../config/config-schema.js';
import type { LoadedConfig } from '../config/load-config.js';
import { CliError, EXIT } from '../exit-codes.js';
import { Deployments } from './deployments.js';
import { startDirectorySync, type DirectorySync } from './directory-sync.js';
import { logEvents } from './log-events.js';
import type { Log } from './logger.js';
import { snapshotKey } from './snapshot-key.js';

/** Everything `meridian agent` runs, built from the config. */
export interface ControlPlane {
  /** The validated config. */
  readonly config: MeridianConfig;
  /** Regions as processes on loopback, with the front door. */
  readonly provider: LocalProvider;
  /** Deployments, one at a time, with each region's last outcome. */
  readonly deployments: Deployments;
  /** Probes every deployed region. */
  readonly monitor: HealthMonitor;
  /** Moves traffic (holds a lease in a MemoryLeaseStore). */
  readonly failover: FailoverManager;
  /** Replication between the regions' replica stores, when `sync.enabled`. */
  readonly sync: CrossRegionSync | undefined;
  /** The regions' data directories kept in step, when two or more regions have a `dataPath`. */
  readonly directorySync: DirectorySync | undefined;
  /** Session moves. */
  readonly migrator: SessionMigrator;
  /** What every engine records, in a Prometheus registry of the agent's own (served on `/metrics`). */
  readonly metrics: PrometheusMetrics;
  /** IP → region, when `geo.database` is set. */
  readonly router: GeoRouter | undefined;
  /** The IP database behind `router`. */
  readonly geo: GeoDatabase | undefined;
  /** Stops everything, region processes included. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Builds the control plane: deploys every region (MultiRegionDeployer), starts
 * the front door, the HealthMonitor, CrossRegionSync over each region's replica
 * store, the FailoverManager under a lease, the GeoRouter and the
 * SessionMigrator. What was started is stopped again if a later step fails.
 */
export async function startControlPlane(loaded: LoadedConfig, options: { env: NodeJS.ProcessEnv; log: Log }): Promise<ControlPlane> {
  const { config } = loaded;
  const { log } = options;
  const cleanup: Array<() => Promise<void> | void> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) {
      try {
        await step();
      } catch (error) {
        log(`shutdown: ${(error as Error).message}`);
      }
    }
  };
  try {
    const key = snapshotKey(loaded, options.env, log);
    const geoPath = config.geo ? resolve(dirname(loaded.path), config.geo.database) : undefined;
    if (geoPath && !existsSync(geoPath)) throw new CliError(`${loaded.where(['geo', 'database'])}: geo.database: no such file: ${geoPath}`, EXIT.USAGE);
    // Before any region is deployed: a bad data path is a usage error, found first.
    const directorySync = await startDirectorySync(loaded, log);
    if (directorySync) cleanup.push(() => directorySync.stop());

    const provider = createLocalProvider({
      regions: config.regions.map((r, index) => ({
        id: r.id,
        location: r.location,
        weight: r.weight,
        priority: r.priority ?? index,
        ...(r.name ? { name: r.name } : {}),
        ...(r.residency ? { residency: r.residency } : {}),
        ...(r.price ? { price: r.price } : {}),
      })),
      startTimeoutMillis: config.provider.startTimeoutMillis,
      stopGraceMillis: config.provider.stopGraceMillis,
    });
    cleanup.push(() => provider.close());
    const metrics = createPrometheusMetrics();
    const deployer = new MultiRegionDeployer({ provider, metrics });
    const deployments = new Deployments(config, deployer, provider);
    const events = logEvents(log);
    if (directorySync) events.sync(directorySync.sync);
    events.deployer(deployer);

    log(`deploying ${config.regions.length} region(s) of ${config.app.name}: ${config.regions.map((r) => r.id).join(', ')}`);
    // Weights are the failover manager's to set: it applies them when it takes the lease.
    const report = await deployments.start({ regions: config.regions.map((r) => r.id), strategy: config.failover.mode, applyTraffic: false });
    const live = provider.regions();
    if (live.length === 0) throw new CliError(`no region could be deployed: ${report.regions.map((r) => `${r.regionId} (${r.error})`).join('; ')}`, EXIT.FAILED);
    const door = await provider.startFrontDoor({ port: config.provider.frontDoorPort });
    log(`front door listening on ${door.url}`);

    const monitor = new HealthMonitor({ regions: live, ...config.health, metrics });
    events.monitor(monitor);
    await monitor.start();
    cleanup.push(() => monitor.close());
    // Ready means every region has a health state: wait (bounded) for each one's first probe.
    await firstProbes(monitor, live.map((r) => r.id), config.health.intervalMillis * 0.1 + config.health.timeoutMillis + 500);

    let sync: CrossRegionSync | undefined;
    if (config.sync.enabled && live.length >= 2) {
      const stores: LocalReplicaStore[] = live.map((r) => createLocalReplicaStore(provider, r.id, { timeoutMillis: config.sync.timeoutMillis }));
      cleanup.push(() => Promise.all(stores.map((s) => s.close())).then(() => undefined));
      sync = new CrossRegionSync({
        regions: live.map((r, i) => ({ id: r.id, store: stores[i]!, priority: r.priority })),
        conflictPolicy: config.sync.conflictPolicy,
        intervalMillis: config.sync.intervalMillis,
        metrics,
        ...(config.sync.maxBytesPerSecond ? { maxBytesPerSecond: config.sync.maxBytesPerSecond } : {}),
      });
      events.sync(sync);
      await sync.start();
      const started = sync;
      cleanup.push(() => started.close());
    }

    const failover = new FailoverManager({
      regions: live,
      monitor,
      provider,
      mode: config.failover.mode,
      automatic: config.failover.automatic,
      failback: config.failover.failback,
      leaseStore: new MemoryLeaseStore(),
      holderId: `meridian-agent-${process.pid}`,
      leaseTtlMillis: config.failover.lease.ttlMillis,
      leaseRenewMillis: config.failover.lease.renewMillis,
      drainMillis: config.failover.drainMillis,
      metrics,
      ...(sync ? { syncer: sync } : {}),
    });
    events.failover(failover);
    await failover.start();
    cleanup.push(() => failover.stop());

    let geo: GeoDatabase | undefined;
    let router: GeoRouter | undefined;
    if (geoPath) {
      geo = await GeoDatabase.open(geoPath);
      router = new GeoRouter({ regions: live, database: geo, monitor, metrics, ...(config.geo?.fallbackRegion ? { fallbackRegion: config.geo.fallbackRegion } : {}) });
      const opened = router;
      cleanup.push(() => opened.close());
    }

    const store = config.sessions.store === 'memory' ? new MemorySnapshotStore() : new FileSnapshotStore(resolve(dirname(loaded.path), config.sessions.store.directory));
    const migrator = new SessionMigrator({
      adapter: createLocalSessionAdapter(provider),
      codec: new SnapshotCodec({ keys: [key] }),
      store,
      timeoutMillis: config.sessions.timeoutMillis,
      metrics,
      regions: config.regions.map((r) => r.id),
      ...(router ? { router } : {}),
    });
    events.migrator(migrator);
    cleanup.push(() => migrator.close());

    return { config, provider, deployments, monitor, failover, sync, directorySync, migrator, router, geo, metrics, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function firstProbes(monitor: HealthMonitor, regionIds: string[], timeoutMillis: number): Promise<void> {
  const waiting = new Set(regionIds);
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    };
    const timer = setTimeout(done, timeoutMillis);
    const sub = monitor.on('health:probe', (p) => {
      waiting.delete(p.regionId);
      if (waiting.size === 0) done();
    });
  });
}
