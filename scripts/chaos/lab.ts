import { CrossRegionSync, type Clock, FailoverManager, HealthMonitor, ReplicaWriter, type FailoverManagerOptions, type HealthMonitorOptions, type PassiveOutcome, type ReplicaStore } from '@meridian/core';
import { createLocalReplicaStore, type FrontDoor } from '@meridian/providers-local';
import { scanAll, startChaosProxy, type ChaosProxy } from '@meridian/testkit';
import { DEFAULT_CLIENT_RATE, describeClientCounts, startClientTraffic, type ClientTraffic, type ClientTrafficOptions } from './client-traffic.js';
import { startRegions, type RegionSet } from './regions.js';
import { writersFor } from './scale.js';
import type { ClientOutcome, ScenarioContext, ScenarioVolume } from './scenario.js';
import { countLostSessions, placeSessions, type PlacedSession } from './session-census.js';
import { startWriteWorkload, type WriteWorkload } from './write-workload.js';

/** Probe settings of the failover scenarios: detection in about a second, probe timeout far below 5 s. */
export const FAST_HEALTH = { intervalMillis: 250, timeoutMillis: 200, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, samplesPerProbe: 3, jitterFraction: 0 } as const;

/**
 * A response body that stalls this long is cut (the door's default is 30 s). The
 * wait for response headers is the per-try timeout below: 1 s, then an
 * idempotent request goes to another region, well within the clients' own 3 s.
 */
const FRONT_DOOR_UPSTREAM_TIMEOUT_MILLIS = 2_000;

/** Options of {@link startLab}. */
export interface LabOptions {
  /** Regions in network namespaces (root only). Default false. */
  netns?: boolean;
  /** Regions persist their sessions here (loopback mode only). Default none: a restarted region is empty. */
  dataDir?: string;
  /** Sessions placed per region at the start. Default 2 × `ctx.scale`; a scenario that sets it scales it itself. */
  sessionsPerRegion?: number;
  /** Regions that hold sessions. Default all. */
  sessionRegions?: string[];
  /** The syncer reaches this region through a chaos proxy (`lab.syncProxy`): a link between regions that can be cut. */
  syncProxy?: string;
  /** Sync's clock (default the system clock) and whether it runs on its own timer (default true). */
  sync?: { clock?: Clock; start?: boolean };
  /** Start the background write workload (`writersFor(ctx.scale)` writers, each a write every 25 ms). Default true. */
  writes?: boolean;
  /** Client traffic through the front door (default 50 req/s, 1 in 10 a POST); `false` for none. Not in netns mode: no front door there. */
  clients?: false | Omit<ClientTrafficOptions, 'url' | 'signal' | 'dispatcher'>;
}

/** Regions, their sessions and data, a syncer, and a write workload: what "nothing lost" is checked against. */
export interface Lab extends RegionSet {
  readonly sessions: PlacedSession[];
  readonly writers: Record<string, ReplicaWriter>;
  readonly sync: CrossRegionSync;
  readonly workload: WriteWorkload;
  /** The proxy on the syncer's link to `syncProxy`'s region. */
  readonly syncProxy?: ChaosProxy;
  /** The provider's front door over the regions (loopback mode only). */
  readonly frontDoor?: FrontDoor;
  /** Client traffic through the front door, from the lab's start to `nothingLost()` (stopped at clean-up otherwise, cancelled when the scenario overruns). */
  readonly clients?: ClientTraffic;
  /** A HealthMonitor on the regions (endpoints overridable, e.g. through a proxy); stopped at clean-up. */
  monitor(options?: HealthMonitorOptions & { endpoints?: Record<string, string> }): HealthMonitor;
  /** A FailoverManager over `monitor` and the provider, with the syncer; stopped at clean-up. */
  manager(monitor: HealthMonitor, options?: Partial<FailoverManagerOptions>): Promise<FailoverManager>;
  /** Regions with traffic now (all, before a manager set any). */
  serving(): string[];
  /** Sessions not active in exactly one region with their state (regions that do not answer hold none). */
  lostSessions(): Promise<{ lost: number; checked: number }>;
  /** Stops the client traffic (its requests in flight finish), pauses writes, syncs until nothing moves, counts sessions and acknowledged writes missing anywhere. */
  nothingLost(): Promise<{ lost: number; checked: number; clients: ClientOutcome; volume: ScenarioVolume }>;
}

/** Starts a lab: regions, sessions spread over them, sync running every 100 ms, writers each writing every 25 ms, client requests through the front door. */
export async function startLab(ctx: ScenarioContext, options: LabOptions = {}): Promise<Lab> {
  const regions = await startRegions(ctx, { netns: options.netns, ...(options.dataDir ? { dataDir: options.dataDir } : {}) });
  const { ids, provider } = regions;
  const endpoints = Object.fromEntries(ids.map((id) => [id, regions.endpoint(id)]));
  const sessions: PlacedSession[] = [];
  for (const region of options.sessionRegions ?? ids) {
    for (let i = 0; i < (options.sessionsPerRegion ?? 2 * ctx.scale); i++) sessions.push({ id: `s-${region}-${i}`, region, state: { cart: [region, i], theme: 'dark' } });
  }
  await placeSessions(endpoints, sessions);

  const open: ReplicaStore[] = [];
  const store = (endpoint: string): ReplicaStore => {
    const s = createLocalReplicaStore({ endpoint, timeoutMillis: 300 });
    open.push(s);
    return s;
  };
  ctx.defer(() => Promise.all(open.map((s) => s.close?.())));
  const direct = Object.fromEntries(ids.map((id) => [id, store(endpoints[id]!)]));
  // The apps in each region write to their own region only: past any proxy.
  const writers = Object.fromEntries(ids.map((id) => [id, new ReplicaWriter({ regionId: id, store: direct[id]!, writerId: 'app' })]));
  let syncProxy: ChaosProxy | undefined;
  if (options.syncProxy) {
    const proxy = await startChaosProxy({ target: { host: new URL(endpoints[options.syncProxy]!).hostname, port: Number(new URL(endpoints[options.syncProxy]!).port) } });
    ctx.defer(() => proxy.close());
    syncProxy = proxy;
  }
  const sync = new CrossRegionSync({
    regions: ids.map((id) => ({ id, store: id === options.syncProxy ? store(syncProxy!.url) : direct[id]! })),
    intervalMillis: 100,
    retry: { initialDelayMillis: 50, maxDelayMillis: 200, jitterFraction: 0 },
    ...(options.sync?.clock ? { clock: options.sync.clock } : {}),
  });
  ctx.defer(() => sync.shutdown());
  if (options.sync?.start !== false) sync.start();

  const serving = (): string[] => {
    const weights = provider.traffic();
    const live = ids.filter((id) => (weights[id] ?? 0) > 0);
    return live.length > 0 ? live : ids;
  };
  const stop = new AbortController();
  ctx.defer(() => stop.abort());
  const workload = startWriteWorkload({ writers, targets: serving, concurrency: writersFor(ctx.scale), signal: AbortSignal.any([ctx.signal, stop.signal]) });
  if (options.writes === false) await workload.pause();

  let frontDoor: FrontDoor | undefined;
  let clients: ClientTraffic | undefined;
  let clientsLogged = false;
  let clientsFrom = 0;
  let clientSeconds = 0;
  const stopClients = async (): Promise<ClientOutcome> => {
    if (!clients) return { notApplicable: regions.hosts ? 'regions in network namespaces: no front door over them' : 'no client traffic in this scenario' };
    // Sending stops now; the wait below is for the answers.
    clientSeconds ||= (performance.now() - clientsFrom) / 1000;
    const counts = await clients.stop();
    if (!clientsLogged) ctx.log(`${describeClientCounts(counts)} (${(counts.sent / clientSeconds).toFixed(0)} req/s over ${clientSeconds.toFixed(1)} s)`);
    clientsLogged = true;
    return counts;
  };
  // The door's passive detection feeds the scenario's HealthMonitor, which the
  // scenario makes later (lab.monitor()): the first one made is bound here.
  let doorHealth: HealthMonitor | undefined;
  const passive = {
    get: (regionId: string) => doorHealth?.get(regionId) ?? { state: 'unknown' as const },
    report: (regionId: string, outcome: PassiveOutcome) => doorHealth?.report(regionId, outcome),
  };
  if (!regions.hosts && options.clients !== false) {
    frontDoor = await provider.startFrontDoor({ upstreamTimeoutMillis: FRONT_DOOR_UPSTREAM_TIMEOUT_MILLIS, retry: { perTryTimeoutMillis: 1_000 }, monitor: passive });
    // Never past the scenario: a minute's worth per scale step outlasts every scaled deadline (scale.ts).
    const ratePerSecond = options.clients?.ratePerSecond ?? ctx.clientRatePerSecond ?? DEFAULT_CLIENT_RATE;
    clients = startClientTraffic({ ratePerSecond, maxRequests: ratePerSecond * 60 * ctx.scale, ...options.clients, url: frontDoor.url, signal: ctx.signal });
    clientsFrom = performance.now();
    // Registered after the provider's stop, so it runs before it: no request meets the door closing.
    ctx.defer(() => stopClients());
  }

  return {
    ...regions,
    sessions,
    writers,
    sync,
    workload,
    ...(syncProxy ? { syncProxy } : {}),
    ...(frontDoor ? { frontDoor } : {}),
    ...(clients ? { clients } : {}),
    serving,
    monitor(monitorOptions = {}) {
      const { endpoints: overrides, ...rest } = monitorOptions;
      const monitor = new HealthMonitor({ ...FAST_HEALTH, ...rest, regions: ids.map((id) => ({ id, endpoint: overrides?.[id] ?? endpoints[id]! })) });
      doorHealth ??= monitor;
      ctx.defer(() => monitor.stop());
      return monitor;
    },
    async manager(monitor, managerOptions = {}) {
      const manager = new FailoverManager({
        regions: ids.map((id, priority) => ({ id, priority, weight: 100 })),
        monitor,
        provider,
        syncer: sync,
        failback: { holdDownMillis: 1_000, maxLagMillis: 2_000 },
        verifyAttempts: 1,
        ...managerOptions,
      });
      ctx.defer(() => manager.stop());
      await manager.start();
      return manager;
    },
    async lostSessions() {
      const census = await countLostSessions(endpoints, sessions);
      for (const line of census.details.slice(0, 5)) ctx.log(line);
      return { lost: census.lost, checked: sessions.length };
    },
    async nothingLost() {
      // The requests in flight finish (bounded by their timeout) while sync settles.
      const clientsStopped = stopClients();
      await workload.pause();
      await converge(sync, ids.length, ctx.signal);
      let lostWrites = 0;
      const data = await Promise.all(ids.map(async (id) => new Map((await scanAll(direct[id]!)).map((r) => [r.key, r.value]))));
      for (const [key, value] of workload.acked) {
        const missing = ids.filter((_, i) => JSON.stringify(data[i]!.get(key)) !== JSON.stringify(value));
        if (missing.length > 0) {
          lostWrites++;
          if (lostWrites <= 5) ctx.log(`write ${key} missing or different in ${missing.join(', ')}`);
        }
      }
      const census = await countLostSessions(endpoints, sessions);
      for (const line of census.details.slice(0, 5)) ctx.log(line);
      ctx.log(`writes acknowledged ${workload.acked.size}, refused ${workload.refused()}; sessions ${sessions.length}`);
      const clients = await clientsStopped;
      return { lost: lostWrites + census.lost, checked: workload.acked.size + sessions.length, clients, volume: { sessions: sessions.length, writes: workload.acked.size, clientSeconds } };
    },
  };
}

/** Syncs until a full round moves nothing (bounded: 60 rounds, waiting out backoffs on the real clock). */
export async function converge(sync: CrossRegionSync, regions: number, signal: AbortSignal): Promise<void> {
  for (let i = 0; i < 60 && !signal.aborted; i++) {
    const report = await sync.syncNow({ signal });
    if (report.pairs.length === regions * (regions - 1) && report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) return;
    await new Promise((resolve) => setTimeout(resolve, 110));
  }
  throw new Error(`sync did not settle: ${JSON.stringify(sync.status().pairs.map((p) => [p.from, p.to, p.state, p.lastError?.message]))}`);
}
