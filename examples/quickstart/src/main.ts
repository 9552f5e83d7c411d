// Meridian quick start: four regions as real processes on this machine, a front
// door routing simulated users to them, a HealthMonitor and a FailoverManager.
// The primary is killed (automatic failover), another region slowed (degraded),
// the primary comes back (failback after a hold-down), and a drill fails over
// and rolls back on its own; then data written in every region replicates, one
// region is partitioned and heals, and all converge. Exits 0 only when every
// expected event was seen.
import { FailoverManager, HealthMonitor, MeridianError, type EventSource, type EventsOf } from '@meridian/core';
import { GeoRouter } from '@meridian/georouter';
import { createLocalProvider } from '@meridian/providers-local';
import { autoEvacuate, type AutoEvacuation, type SessionCheckpointer } from '@meridian/session-migration';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { openDemoDatabase, SAMPLE_CLIENTS } from './clients-by-ip.js';
import { formatStats, since, startClients } from './clients.js';
import { startSessions } from './sessions.js';
import { syncStory } from './sync-story.js';
import { regions } from './regions.js';
import { healthTable, log, routeTable } from './render.js';

const DEADLINE_MILLIS = 20_000;

/** Waits for an event matching `filter`, or fails the demo after a deadline. */
function expectEvent<S extends Pick<EventSource<EventsOf<S>>, 'on' | '~events'>, K extends keyof EventsOf<S> & string>(
  source: S,
  name: K,
  filter: (e: EventsOf<S>[K]) => boolean = () => true,
): Promise<EventsOf<S>[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`expected ${name} within ${DEADLINE_MILLIS} ms`));
    }, DEADLINE_MILLIS);
    const sub = source.on(name, (e) => {
      if (!filter(e)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(e);
    });
  });
}

async function main(): Promise<void> {
  // Regions keep their sessions on disk, so the killed one comes back holding stale copies (which must never serve).
  const dataDir = mkdtempSync(join(os.tmpdir(), 'meridian-quickstart-'));
  const provider = createLocalProvider({ regions, dataDir });
  const monitor = new HealthMonitor({ intervalMillis: 1_000, timeoutMillis: 500, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, degradedLatencyMillis: 150 });
  let manager: FailoverManager | undefined;
  let clients: ReturnType<typeof startClients> | undefined;
  let router: GeoRouter | undefined;
  let checkpointer: SessionCheckpointer | undefined;
  let wiring: AutoEvacuation | undefined;
  let retriedLogged = 0;

  for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
    monitor.on(name, (e) => log(`EVENT ${name.padEnd(16)} ${e.regionId.padEnd(10)} ${e.previous} -> ${e.state}: ${e.reason}`));
  }
  monitor.on('health:probe', (p) => {
    if (!p.ok) log(`probe  ${p.regionId.padEnd(10)} failed after ${p.latencyMillis} ms: ${p.error}`);
  });

  try {
    log('Starting 4 regions as local processes ...');
    const deployed = await provider.deploy({ name: 'quickstart', regions: regions.map((r) => r.id) });
    for (const r of deployed.regions) log(`  ${r.regionId.padEnd(10)} ${r.state.padEnd(8)} ${r.endpoint}`);
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`regions failed to start: ${failed.map((r) => `${r.regionId} (${r.error})`).join(', ')}`);
    // The door reports every request's outcome to the monitor (passive detection) and
    // retries a request that found a region dead on another one.
    const door = await provider.startFrontDoor({ monitor });
    log(`Front door (the local global load balancer) at ${door.url}`);
    door.on('request:retried', (e) => {
      if (retriedLogged++ < 3) log(`RETRY    ${e.method} ${e.path} failed in ${e.from} (${e.reason}), sent again to another region`);
    });
    monitor.on('region:ejected', (e) => log(`EJECTED  ${e.regionId} by passive detection: ${e.reason}`));

    const allHealthy = Promise.all(regions.map((r) => expectEvent(monitor, 'region:healthy', (e) => e.regionId === r.id)));
    for (const region of provider.regions()) monitor.add(region);
    await monitor.start();
    await allHealthy;

    manager = new FailoverManager({ regions: provider.regions(), monitor, provider, failback: { holdDownMillis: 4_000 }, drainMillis: 500 });
    manager.on('failover:started', (e) => log(`FAILOVER started   ${e.kind.padEnd(9)} ${e.from.join(',')} -> ${e.to}: ${e.reason}`));
    manager.on('failover:completed', (r) => log(`FAILOVER completed ${r.kind.padEnd(9)} ${r.from.join(',')} -> ${r.to} in ${r.durationMillis} ms`));
    manager.on('failover:failed', (r) => log(`FAILOVER failed    ${r.kind} at ${r.failedStep}: ${r.error}`));
    manager.on('failback:scheduled', (e) => log(`FAILBACK scheduled ${e.regionId} at ${new Date(e.at).toISOString().slice(11, 23)} (hold-down)`));
    manager.on('traffic:changed', (e) => log(`TRAFFIC  ${Object.entries(e.weights).map(([r, w]) => `${r}=${Math.round(w)}`).join(' ')}`));
    await manager.start();
    log(`Region health:\n${healthTable(monitor.snapshot())}`);

    const { database, label } = await openDemoDatabase();
    const geo = new GeoRouter({ regions: provider.regions(), database, monitor, fallbackRegion: 'us-east' });
    router = geo;
    const routeSamples = (): string => routeTable(SAMPLE_CLIENTS.map((c) => ({ ...c, decision: geo.route({ ip: c.ip }) })));
    log(`Routing sample clients by geography and latency, with ${label}:\n${routeSamples()}`);

    const sessions = await startSessions(provider, geo, ['us-east', 'eu-west', 'ap-south', 'ru-central'], 400);
    const migrator = sessions.migrator;
    checkpointer = sessions.checkpointer;
    log(`Registered 400 live sessions: ${JSON.stringify(migrator.statistics().byRegion)}; checkpointed every second`);
    // A dead region's sessions come back from their checkpoints; a region back from the dead is reconciled.
    // (The brownout below is evacuated by hand, to show it step by step.)
    wiring = autoEvacuate({ migrator, monitor, onDegraded: 'ignore' });
    migrator.on('region:reconciled', (e) => log(`RECONCILED ${e.regionId}: ${e.discarded} stale session copies it came back with discarded, ${e.reactivated} reactivated`));

    clients = startClients(door.url);
    await pause(1_500);
    let mark = clients.stats();
    log(`Users so far: ${formatStats(mark)}`);

    log('Killing us-east (the primary) with SIGKILL, as a crash would ...');
    const failedOver = expectEvent(manager, 'failover:completed', (r) => r.kind === 'automatic');
    const recovered = expectEvent(migrator, 'region:recovered', (e) => e.regionId === 'us-east');
    const killedAt = Date.now();
    // The first answer from elsewhere that needed no retry: from then on, traffic goes around us-east.
    const moved = clients.next((r) => r.at >= killedAt && r.region !== 'us-east' && r.attempts === 1);
    await provider.kill('us-east');
    await failedOver;
    const firstElsewhere = await moved;
    log(`Traffic moved off us-east ${firstElsewhere.at - killedAt} ms after the kill (first request served by ${firstElsewhere.region} without a retry)`);
    await pause(1_000);
    log(`Users during the outage and failover: ${formatStats(since(mark, clients.stats()))}`);
    const recovery = await recovered;
    log(
      `Sessions of us-east after the kill: ${recovery.recovered} recovered (max staleness ${recovery.maxStalenessMillis} ms), ${recovery.lost} lost` +
        ` — restored from their checkpoints in ${recovery.durationMillis} ms; sessions now ${JSON.stringify(migrator.statistics().byRegion)}`,
    );
    mark = clients.stats();
    log(`The same clients routed again, us-east unhealthy:\n${routeSamples()}`);

    log('Slowing ap-south by 250 ms per request ...');
    const apSlow = expectEvent(monitor, 'region:degraded', (e) => e.regionId === 'ap-south');
    await provider.slow('ap-south', 250);
    await apSlow;
    log(`ap-south is browning out: evacuating its ${migrator.sessions('ap-south').length} sessions to their nearest healthy region ...`);
    const evacuation = await migrator.evacuate('ap-south');
    const stats = migrator.statistics();
    log(
      `EVACUATED ap-south: ${evacuation.migrated.length} moved, ${evacuation.failed.length} failed; sessions now ${JSON.stringify(stats.byRegion)}, ` +
        `p50 ${stats.p50Millis} ms, p95 ${stats.p95Millis} ms, ${Math.round(stats.bytesMoved / 1024)} KB of encrypted snapshots`,
    );
    const apBack = expectEvent(monitor, 'region:healthy', (e) => e.regionId === 'ap-south');
    await provider.restore('ap-south');
    await apBack;
    geo.setDrained('ap-south', false);

    log('Restoring us-east; it must stay healthy for the 4 s hold-down before traffic returns ...');
    const failedBack = expectEvent(manager, 'failover:completed', (r) => r.kind === 'failback');
    const reconciled = expectEvent(migrator, 'region:reconciled', (e) => e.regionId === 'us-east');
    await provider.restore('us-east');
    await reconciled;
    await failedBack;
    await pause(500);
    log(`Users while failing back: ${formatStats(since(mark, clients.stats()))}`);
    mark = clients.stats();

    log('Drill: fail over to ru-central for 2 s, then roll back on its own ...');
    const drill = await manager.drill({ to: 'ru-central', durationMillis: 2_000 });
    log(`DRILL    failover ${drill.failoverMillis} ms, held ${drill.heldMillis} ms, rollback ${drill.rollbackMillis} ms, target served: ${drill.targetServed}, rolled back: ${drill.rolledBack}`);
    await pause(300);
    log(`Users during the drill: ${formatStats(since(mark, clients.stats()))}`);

    await syncStory(provider, regions.map((r) => r.id));

    const total = await clients.stop();
    clients = undefined;
    log(`Region health:\n${healthTable(monitor.snapshot())}`);
    log(`Users in all: ${formatStats(total)}`);
    log('Done: the killed region went unhealthy and came back; traffic failed over, its sessions were recovered elsewhere, traffic failed back, the drill rolled back, and the data converged after a partition.');
  } finally {
    await clients?.stop();
    await wiring?.close();
    await checkpointer?.close();
    await manager?.close();
    await router?.close();
    await monitor.close();
    await provider.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const code = MeridianError.isInstance(error) ? ` [${error.code}]` : '';
    console.error(`quickstart failed${code}:`, error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
