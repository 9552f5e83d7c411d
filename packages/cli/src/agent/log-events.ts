import type { CrossRegionSync, FailoverManager, HealthMonitor, MultiRegionDeployer } from '@meridian/core';
import type { AutoEvacuationOutcome, SessionCheckpointer, SessionMigrator } from '@meridian/session-migration';
import type { Log } from './logger.js';

/** Subscribes the agent's log to the engines' events that an operator wants to see. */
export function logEvents(log: Log) {
  return {
    deployer(deployer: MultiRegionDeployer): void {
      deployer.on('deploy:region-completed', (e) => log(`deploy: ${e.regionId} running at ${e.endpoint} (${e.durationMillis} ms)`));
      deployer.on('deploy:region-failed', (e) => log(`deploy: ${e.regionId} failed: ${e.error}`));
      deployer.on('deploy:completed', (r) => log(`deploy: ${r.outcome} in ${r.durationMillis} ms (speedup ${r.speedup.toFixed(1)}x over one region after another)`));
      deployer.on('error', (e) => log(`deploy: a listener of ${e.event} threw: ${String(e.error)}`));
    },
    monitor(monitor: HealthMonitor): void {
      for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
        monitor.on(name, (e) => log(`health: ${e.regionId} ${e.previous} -> ${e.state}: ${e.reason}`));
      }
    },
    failover(failover: FailoverManager): void {
      failover.on('failover:started', (e) => log(`failover: ${e.kind} ${e.from.join(',') || '(none)'} -> ${e.to} started: ${e.reason}`));
      failover.on('failover:completed', (r) => log(`failover: ${r.kind} -> ${r.to} completed in ${r.durationMillis} ms`));
      failover.on('failover:failed', (r) => log(`failover: ${r.kind} -> ${r.to} ${r.outcome} at ${r.failedStep ?? '?'}: ${r.error ?? ''}; rolled back`));
      failover.on('failback:scheduled', (e) => log(`failover: failback to ${e.regionId} scheduled at ${new Date(e.at).toISOString()}`));
      failover.on('lease:acquired', (e) => log(`failover: lease acquired (token ${e.token})`));
      failover.on('lease:lost', (e) => log(`failover: lease lost: ${e.reason ?? ''}`));
    },
    sync(sync: CrossRegionSync): void {
      sync.on('sync:lag', (e) => log(`sync: ${e.regionId} ${e.lagging ? `lagging ${e.lagMillis} ms, ${e.pendingChanges} changes pending` : 'back in step'}`));
      sync.on('sync:conflict', (e) => log(`sync: conflict on ${e.key} in ${e.regionId}${e.queued ? ' (queued for resolve)' : ''}`));
    },
    migrator(migrator: SessionMigrator): void {
      migrator.on('session:migrated', (e) => log(`sessions: ${e.sessionId} ${e.from} -> ${e.to} in ${e.durationMillis} ms`));
      migrator.on('session:migration-failed', (e) => log(`sessions: ${e.sessionId} ${e.from} -> ${e.to} failed at ${e.failedStep}: ${e.error}`));
      migrator.on('region:evacuated', (e) => log(`sessions: ${e.regionId} evacuated: ${e.migrated} moved, ${e.failed} failed in ${e.durationMillis} ms`));
      migrator.on('region:recovering', (e) => log(`sessions: ${e.regionId} is down: recovering its ${e.sessionCount} sessions from their checkpoints`));
      migrator.on('region:recovered', (e) => log(`sessions: ${e.regionId} recovered: ${e.recovered} restored elsewhere, ${e.lost} lost, ${e.failed} failed (staleness up to ${e.maxStalenessMillis} ms)`));
      migrator.on('session:lost', (e) => log(`sessions: ${e.sessionId} lost in ${e.region} (${e.reason}): ${e.error}`));
      migrator.on('region:reconciled', (e) => log(`sessions: ${e.regionId} reconciled: ${e.discarded} stale copies discarded${e.restored + e.lost > 0 ? `, ${e.restored} it no longer held restored from their stored state, ${e.lost} lost` : ''}`));
    },
    checkpointer(checkpointer: SessionCheckpointer): void {
      // Per round only when something failed: a round every second that went well is not news.
      checkpointer.on('checkpoint:completed', (r) => r.failed > 0 && log(`sessions: checkpoint round: ${r.written} written, ${r.failed} failed`));
    },
    /** What autoEvacuate did, when it did something. */
    autoEvacuation(o: AutoEvacuationOutcome): void {
      const what = o.action === 'reconcile' ? `${o.discarded ?? 0} discarded${o.recovered + o.lost > 0 ? `, ${o.recovered} restored, ${o.lost} lost` : ''}` : `${o.migrated} moved, ${o.recovered} recovered, ${o.lost} lost, ${o.failed} failed`;
      log(`sessions: automatic ${o.action} of ${o.regionId ?? o.sessionId} on ${o.trigger}: ${what}${o.error ? ` (${o.error})` : ''}`);
    },
  };
}
