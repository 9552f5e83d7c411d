import type { ControlPlane } from './control-plane.js';
import { trafficView } from './traffic-view.js';

/** Everything `meridian status` shows, as the agent sees it now. */
export async function statusView(plane: ControlPlane, startedAt: number) {
  const { config, provider, monitor, failover, sync, migrator, deployments } = plane;
  const weights = provider.traffic() ?? {};
  const health = new Map(monitor.snapshot().map((h) => [h.regionId, h]));
  const prices = new Map((await provider.prices()).map((p) => [p.regionId, p]));
  const syncStatus = sync?.status();
  const lag = new Map((syncStatus?.regions ?? []).map((r) => [r.regionId, r]));
  const stats = migrator?.statistics() ?? { sessions: 0, migrated: 0, failed: 0, p50Millis: 0, p95Millis: 0, byRegion: {} as Record<string, number> };
  const fo = failover.status();
  const traffic = trafficView(plane);
  const regions = await Promise.all(
    config.regions.map(async (r, index) => {
      const run = await provider.status(r.id);
      const deployed = deployments.region(r.id);
      const h = health.get(r.id);
      const price = prices.get(r.id);
      const syncState = lag.get(r.id);
      return {
        id: r.id,
        name: r.name,
        location: r.location,
        priority: r.priority ?? index,
        residency: r.residency,
        health: h?.state ?? 'unknown',
        healthReason: h?.reason ?? 'not monitored',
        latencyMillis: h?.latencyMillis === undefined ? undefined : Math.round(h.latencyMillis * 10) / 10,
        weight: weights[r.id] ?? 0,
        configuredWeight: r.weight,
        deploy: {
          status: deployed?.status ?? 'not-deployed',
          state: run.state,
          endpoint: run.endpoint,
          pid: run.details?.['pid'] as number | undefined,
          error: deployed?.error,
          finishedAt: deployed?.finishedAt,
        },
        // The resolved per-region configuration; env values are not shown (names only).
        config: {
          size: deployed?.config.size ?? r.size,
          replicas: deployed?.config.replicas ?? r.replicas,
          timezone: deployed?.config.timezone ?? r.timezone,
          locale: deployed?.config.locale ?? r.locale,
          env: Object.keys(deployed?.config.env ?? {}).sort(),
        },
        price: price ? { hourly: price.hourly, currency: price.currency } : undefined,
        sync: syncState ? { lagMillis: syncState.lagMillis, pendingChanges: syncState.pendingChanges, reachable: syncState.reachable } : undefined,
        sessions: stats.byRegion[r.id] ?? 0,
        requests: traffic?.byRegion[r.id]?.requests,
      };
    }),
  );
  return {
    app: { name: config.app.name },
    provider: provider.name,
    agent: { pid: process.pid, startedAt, uptimeMillis: Date.now() - startedAt },
    frontDoor: plane.kind.frontDoorUrl(),
    priceSource: plane.kind.priceSource,
    sessionsSupported: migrator !== undefined,
    failover: {
      mode: fo.mode,
      home: fo.home,
      active: fo.active,
      isLeader: fo.isLeader,
      operation: fo.operation,
      pendingFailbacks: fo.pendingFailbacks,
      last: fo.lastFailover ? { kind: fo.lastFailover.kind, to: fo.lastFailover.to, outcome: fo.lastFailover.outcome, startedAt: fo.lastFailover.startedAt } : undefined,
    },
    sync: syncStatus
      ? { enabled: true, policy: syncStatus.policy, conflicts: syncStatus.conflicts, conflictsPending: syncStatus.conflictsPending, lastRoundAt: syncStatus.lastRoundAt }
      : { enabled: false },
    traffic,
    sessions: { total: stats.sessions, migrated: stats.migrated, failed: stats.failed, p50Millis: stats.p50Millis, p95Millis: stats.p95Millis },
    lastDeploy: deployments.last ? { id: deployments.last.id, outcome: deployments.last.outcome, durationMillis: deployments.last.durationMillis, speedup: deployments.last.speedup } : undefined,
    regions,
  };
}

/** The JSON `GET /v1/status` answers. */
export type StatusView = Awaited<ReturnType<typeof statusView>>;
