import { resolve, dirname } from 'node:path';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { CrossRegionSync, FailoverManager, HealthMonitor, MultiRegionDeployer } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { createPrometheusMetrics, type PrometheusMetrics } from '@meridian/metrics-prometheus';
import { autoEvacuate, FileSnapshotStore, MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec, SnapshotStoreSessionRegistry } from '@meridian/session-migration';
import { resumeSessions, sweepLeftSnapshots } from './resume-sessions.js';
import { SnapshotSweeper } from './snapshot-sweeper.js';
import type { MeridianConfig } from '../config/config-schema.js';
import type { LoadedConfig } from '../config/load-config.js';
import { CliError, EXIT } from '../exit-codes.js';
import { Deployments } from './deployments.js';
import { eachRegionEvent } from './each-region-event.js';
import { startDirectorySync, type DirectorySync } from './directory-sync.js';
import { logEvents } from './log-events.js';
import type { Log } from './logger.js';
import { buildKind } from './providers/build-kind.js';
import type { PlaneProvider, ProviderKind } from './providers/provider-kind.js';
import { snapshotKey } from './snapshot-key.js';

/** Everything `meridian agent` runs, built from the config. */
export interface ControlPlane {
  /** The validated config. */
  readonly config: MeridianConfig;
  /** The provider kind's pieces (lease store, health source, sessions, destroy). */
  readonly kind: ProviderKind;
  /** Deploys, destroys and shifts traffic: local processes, Kubernetes clusters or Azure VMs. */
  readonly provider: PlaneProvider;
  /** Deployments, one at a time, with each region's last outcome. */
  readonly deployments: Deployments;
  /** Probes every deployed region. */
  readonly monitor: HealthMonitor;
  /** Moves traffic, only while it holds the kind's lease (memory, Kubernetes Lease, Azure Blob lease). */
  readonly failover: FailoverManager;
  /** Replication between the regions' replica stores, when `sync.enabled`. */
  readonly sync: CrossRegionSync | undefined;
  /** The regions' data directories kept in step, when two or more regions have a `dataPath`. */
  readonly directorySync: DirectorySync | undefined;
  /** Session moves; undefined when the kind has no session adapter. */
  readonly migrator: SessionMigrator | undefined;
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

    const kind = buildKind(loaded, options.env);
    cleanup.push(() => kind.close());
    const { provider } = kind;
    await kind.preflight(AbortSignal.timeout(60_000));
    const metrics = createPrometheusMetrics();
    const deployer = new MultiRegionDeployer({ provider, metrics });
    const deployments = new Deployments(config, deployer, provider);
    deployments.onReport((r) => kind.noteDeployed(r));
    const events = logEvents(log);
    if (directorySync) events.sync(directorySync.sync);
    events.deployer(deployer);

    log(`deploying ${config.regions.length} region(s) of ${config.app.name} (provider ${config.provider.kind}): ${config.regions.map((r) => r.id).join(', ')}`);
    // Weights are the failover manager's to set: it applies them when it takes the lease.
    const report = await deployments.start({ regions: config.regions.map((r) => r.id), strategy: config.failover.mode, applyTraffic: false });
    kind.noteDeployed(report);
    const live = kind.regions();
    if (live.length === 0) throw new CliError(`no region could be deployed: ${report.regions.map((r) => `${r.regionId} (${r.error})`).join('; ')}`, EXIT.FAILED);
    await kind.started();
    const door = kind.frontDoorUrl();
    if (door) log(`front door listening on ${door}`);

    const monitor = new HealthMonitor({ regions: live, ...config.health, metrics, ...(kind.prober ? { prober: kind.prober } : {}) });
    events.monitor(monitor);
    await monitor.start();
    cleanup.push(() => monitor.close());
    // Ready means every region has a health state: wait (bounded) for each one's first probe.
    await eachRegionEvent(monitor, 'health:probe', live.map((r) => r.id), config.health.intervalMillis * 0.1 + config.health.timeoutMillis + 500);

    let sync: CrossRegionSync | undefined;
    const stores = config.sync.enabled && live.length >= 2 ? kind.replicaStores(live.map((r) => r.id), config.sync.timeoutMillis) : undefined;
    if (stores) {
      cleanup.push(() => Promise.all(stores.map((s) => s.close())).then(() => undefined));
      sync = new CrossRegionSync({
        regions: live.map((r, i) => ({ id: r.id, store: stores[i]!, priority: r.priority })),
        mode: config.sync.mode,
        ...(config.sync.primary ? { primary: config.sync.primary } : {}),
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
      leaseStore: kind.leaseStore,
      leaseName: `${config.app.name}-failover`,
      // Unique across the machines that share the lease.
      holderId: `meridian-agent-${hostname()}-${process.pid}`,
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

    let migrator: SessionMigrator | undefined;
    if (kind.sessions) {
      const store = config.sessions.store === 'memory' ? new MemorySnapshotStore() : new FileSnapshotStore(resolve(dirname(loaded.path), config.sessions.store.directory));
      // A directory store keeps the session registry too: a restarted agent reads every session back from it.
      const registry = config.sessions.store === 'memory' ? undefined : new SnapshotStoreSessionRegistry(store);
      // One codec for migrations and checkpoints: the same key (and key id) encrypts both.
      const codec = new SnapshotCodec({ keys: [key] });
      const started = new SessionMigrator({
        adapter: kind.sessions.adapter,
        codec,
        store,
        timeoutMillis: config.sessions.timeoutMillis,
        metrics,
        regions: config.regions.map((r) => r.id),
        ...(router ? { router } : {}),
        ...(registry ? { registry } : {}),
      });
      events.migrator(started);
      cleanup.push(() => started.close());
      migrator = started;
      if (registry) {
        await resumeSessions(started, kind.sessions.adapter, live.map((r) => r.id), log);
        await sweepLeftSnapshots(started, log);
      }
      // Twice the move timeout: a move still running by then has been rolled back, and its snapshot is named or gone.
      const sweeper = new SnapshotSweeper({ migrator: started, intervalMillis: config.sessions.snapshotSweepIntervalMillis, olderThanMillis: 2 * config.sessions.timeoutMillis, log });
      sweeper.start();
      cleanup.push(() => sweeper.close());
      const { checkpointIntervalMillis, autoEvacuate: automatic } = config.sessions;
      if (checkpointIntervalMillis !== undefined) {
        const checkpointer = new SessionCheckpointer({ adapter: kind.sessions.adapter, codec, store, source: started, checkpointIntervalMillis, timeoutMillis: config.sessions.timeoutMillis, metrics });
        events.checkpointer(checkpointer);
        await checkpointer.start();
        cleanup.push(() => checkpointer.close());
      }
      if (automatic) {
        const wiring = autoEvacuate({
          migrator: started,
          monitor,
          failover,
          ...(router ? { router } : {}),
          onDegraded: automatic.onDegraded,
          onUnhealthy: automatic.onUnhealthy,
          onHealthy: automatic.onHealthy,
          // A region back without sessions whose recovery found no target: restored there from checkpoints, or lost by id.
          restoreMissing: kind.sessions.adapter.list !== undefined,
          ...(automatic.fallbackTo ? { fallbackTo: automatic.fallbackTo } : {}),
          onOutcome: events.autoEvacuation,
        });
        cleanup.push(() => wiring.close());
      }
    }

    return { config, kind, provider, deployments, monitor, failover, sync, directorySync, migrator, router, geo, metrics, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
