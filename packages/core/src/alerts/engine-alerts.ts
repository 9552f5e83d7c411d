import type { Disposable } from '../events/disposable.js';
import type { FailoverEvents } from '../failover/failover-types.js';
import type { HealthEvents } from '../health/health-types.js';
import type { SyncEvents } from '../sync/sync-types.js';
import type { AlertInput } from './alert-types.js';

/** Anything whose typed `on` offers the events `M` (engines fit). */
export interface AlertSource<M> {
  /** Subscribe; the Disposable unsubscribes. */
  on<K extends keyof M & string>(name: K, listener: (payload: M[K]) => void): Disposable;
}

/** What the notifier needs of a failed migration (`SessionMigrator`'s `session:migration-failed` fits). */
export interface MigrationFailureLike {
  /** Session id. */
  sessionId: string;
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** The step that failed. */
  failedStep: string;
  /** Why. */
  error: string;
  /** Whether the session serves again from its source. */
  resumedInSource: boolean;
}

/** The one migrator event the notifier listens to. */
export interface MigrationFailureEvents {
  /** A migration attempt failed and was rolled back. */
  'session:migration-failed': MigrationFailureLike;
}

/** Engines a notifier watches; each is optional. */
export interface AlertSources {
  /** Region health changes (a `HealthMonitor`). */
  monitor?: AlertSource<Pick<HealthEvents, 'region:healthy' | 'region:degraded' | 'region:unhealthy'>>;
  /** Failovers (a `FailoverManager`). */
  failover?: AlertSource<Pick<FailoverEvents, 'failover:started' | 'failover:completed' | 'failover:failed' | 'failover:no-healthy-region'>>;
  /** Failed migrations (a `SessionMigrator` from @meridian/session-migration). */
  migrator?: AlertSource<MigrationFailureEvents>;
  /** Replication lag (a `CrossRegionSync`). */
  sync?: AlertSource<Pick<SyncEvents, 'sync:lag'>>;
}

/** @internal Subscribes to each source and turns its events into alerts. */
export function watchSources(sources: AlertSources, notify: (alert: AlertInput) => void, syncLagThresholdMillis: number): Disposable[] {
  const subs: Disposable[] = [];
  const { monitor, failover, migrator, sync } = sources;
  if (monitor) {
    subs.push(
      monitor.on('region:unhealthy', (e) =>
        notify({ type: 'region-unhealthy', severity: 'critical', region: e.regionId, message: `${e.regionId} is unhealthy: ${e.reason}`, details: { previous: e.previous, reason: e.reason }, key: `region-health:${e.regionId}:unhealthy` }),
      ),
      monitor.on('region:degraded', (e) =>
        notify({ type: 'region-degraded', severity: 'warning', region: e.regionId, message: `${e.regionId} is degraded: ${e.reason}`, details: { previous: e.previous, reason: e.reason }, key: `region-health:${e.regionId}:degraded` }),
      ),
      monitor.on('region:healthy', (e) => {
        // From unknown is start-up, not news.
        if (e.previous === 'unknown') return;
        notify({ type: 'region-recovered', severity: 'info', region: e.regionId, message: `${e.regionId} is healthy again (was ${e.previous})`, details: { previous: e.previous, reason: e.reason }, key: `region-health:${e.regionId}:healthy` });
      }),
    );
  }
  if (failover) {
    subs.push(
      // As it begins (azlin's `failover-initiated`): an automatic one means a region just failed.
      failover.on('failover:started', (e) =>
        notify({
          type: 'failover-started',
          severity: e.kind === 'automatic' ? 'warning' : 'info',
          region: e.to,
          message: `${e.kind} failover started: moving traffic from ${e.from.join(', ') || '(none)'} to ${e.to} (${e.reason})`,
          details: { id: e.id, kind: e.kind, from: e.from, to: e.to, reason: e.reason },
          key: `failover:${e.kind}:${e.from.join(',')}->${e.to}:started`,
        }),
      ),
      failover.on('failover:completed', (r) =>
        notify({
          type: 'failover-completed',
          severity: r.kind === 'automatic' ? 'warning' : 'info',
          region: r.to,
          message: `${r.kind} failover completed: traffic moved from ${r.from.join(', ') || '(none)'} to ${r.to} (${r.reason})`,
          details: { id: r.id, kind: r.kind, from: r.from, to: r.to, reason: r.reason, durationMillis: r.durationMillis, weightsAfter: r.weightsAfter },
          key: `failover:${r.kind}:${r.from.join(',')}->${r.to}:completed`,
        }),
      ),
      failover.on('failover:failed', (r) =>
        notify({
          type: 'failover-failed',
          severity: r.outcome === 'cancelled' ? 'warning' : 'critical',
          region: r.to,
          message: `${r.kind} failover to ${r.to} ${r.outcome === 'cancelled' ? 'was cancelled' : `failed at ${r.failedStep ?? 'a step'}`}: ${r.error ?? 'no detail'}; rolled back`,
          details: { id: r.id, kind: r.kind, from: r.from, to: r.to, outcome: r.outcome, failedStep: r.failedStep, error: r.error },
          key: `failover:${r.kind}:${r.from.join(',')}->${r.to}:${r.outcome}`,
        }),
      ),
      failover.on('failover:no-healthy-region', (e) =>
        notify({
          type: 'no-healthy-region',
          severity: 'critical',
          region: e.failed,
          message: `${e.failed} failed and no other region is healthy: the last good traffic weights are kept`,
          details: { failed: e.failed, weights: e.weights },
          key: `no-healthy-region:${e.failed}`,
        }),
      ),
    );
  }
  if (migrator) {
    subs.push(
      migrator.on('session:migration-failed', (e) =>
        notify({
          type: 'migration-failed',
          severity: e.resumedInSource ? 'warning' : 'critical',
          region: e.from,
          message: `migration of session ${e.sessionId} ${e.from} -> ${e.to} failed at ${e.failedStep}: ${e.error}; ${e.resumedInSource ? `active again in ${e.from}` : 'left suspended'}`,
          details: { sessionId: e.sessionId, from: e.from, to: e.to, failedStep: e.failedStep, error: e.error, resumedInSource: e.resumedInSource },
          // Per route and step: a batch failing the same way alerts once per window.
          key: `migration-failed:${e.from}->${e.to}:${e.failedStep}:${e.resumedInSource}`,
        }),
      ),
    );
  }
  if (sync) {
    const alerted = new Set<string>();
    subs.push(
      sync.on('sync:lag', (e) => {
        if (e.lagging && e.lagMillis >= syncLagThresholdMillis) {
          alerted.add(e.regionId);
          notify({
            type: 'sync-lag',
            severity: 'warning',
            region: e.regionId,
            message: `${e.regionId} is ${(e.lagMillis / 1000).toFixed(1)} s behind on replicated data (${e.pendingChanges} changes waiting)`,
            details: { lagMillis: e.lagMillis, pendingChanges: e.pendingChanges },
            key: `sync-lag:${e.regionId}`,
          });
        } else if (!e.lagging && alerted.delete(e.regionId)) {
          notify({ type: 'sync-recovered', severity: 'info', region: e.regionId, message: `${e.regionId} caught up on replicated data`, details: { lagMillis: e.lagMillis }, key: `sync-recovered:${e.regionId}` });
        }
      }),
    );
  }
  return subs;
}
