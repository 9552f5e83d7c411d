import type { SessionAdapter } from '@meridian/core';
import type { SessionMigrator } from '@meridian/session-migration';
import { sweepAndLog } from './snapshot-sweeper.js';

/** What an agent start found of the sessions a previous agent registered. */
export interface ResumedSessions {
  /** Sessions read from the registry. */
  registered: number;
  /** Active again in the region the registry names (the region kept them through the restart). */
  reactivated: string[];
  /**
   * Not held by their region any more (it restarted without them): restored there under the next epoch from the
   * freshest state stored, their checkpoint or the snapshot of a migration an agent died in the middle of.
   */
  restored: Array<{ sessionId: string; region: string; stalenessMillis: number; restoredFrom: 'checkpoint' | 'snapshot' | 'live' }>;
  /** Not held by their region any more, and nothing usable stored of them: reported lost (state `lost`), by id. */
  lost: Array<{ sessionId: string; region: string; reason: string }>;
  /** Copies discarded: of sessions registered elsewhere. */
  discarded: number;
  /** Registered in a region that does not hold them, or could not be activated there: by id, with why. */
  missing: Array<{ sessionId: string; region: string; why: string }>;
}

/**
 * At an agent's start, with a persistent session registry: reads every
 * session a previous agent registered (`migrator.load`), then reconciles each
 * deployed region, which brought back the sessions it kept (suspended, as a
 * restarted region does): its own sessions are activated again under their
 * epoch, stale copies discarded. A session its region no longer holds (the
 * region restarted without it, its file removed meanwhile) is restored there
 * from its checkpoint (or the snapshot of a migration the previous agent died
 * in the middle of, when that is newer), or reported lost by id when it has none
 * (`reconcileRegion`'s `restoreMissing`, when the kind's regions list their
 * sessions). What is still not served where the registry says (a region that
 * does not answer, a snapshot store that is down) is named by id in the log.
 */
export async function resumeSessions(migrator: SessionMigrator, adapter: SessionAdapter, regionIds: readonly string[], log: (line: string) => void): Promise<ResumedSessions> {
  const registered = await migrator.load();
  const result: ResumedSessions = { registered, reactivated: [], restored: [], lost: [], discarded: 0, missing: [] };
  if (registered === 0) return result;
  const failed = new Map<string, string>();
  for (const regionId of regionIds) {
    try {
      const reconciled = await migrator.reconcileRegion(regionId, adapter.list ? { restoreMissing: true } : {});
      result.reactivated.push(...reconciled.reactivated);
      result.restored.push(...reconciled.restored.map((r) => ({ sessionId: r.sessionId, region: regionId, stalenessMillis: r.stalenessMillis, restoredFrom: r.restoredFrom })));
      result.lost.push(...reconciled.lost.map((l) => ({ sessionId: l.sessionId, region: regionId, reason: l.reason })));
      result.discarded += reconciled.discarded.length;
      for (const f of reconciled.failed) failed.set(f.sessionId, f.error);
    } catch (error) {
      // A region that does not answer now is reconciled when it turns healthy (autoEvacuate's onHealthy), not here.
      log(`sessions: cannot reconcile ${regionId} at the start: ${(error as Error).message}`);
    }
  }
  // What each region holds now (id -> status), against what the registry says it should.
  const held = new Map<string, Map<string, string>>();
  if (!adapter.list) {
    log(`sessions: ${registered} registered before this start; ${result.reactivated.length} active again in their regions, ${result.discarded} stale copies discarded (the kind's regions cannot list their sessions: the others are not checked)`);
    return result;
  }
  for (const regionId of regionIds) {
    try {
      held.set(regionId, new Map((await adapter.list(regionId, { signal: AbortSignal.timeout(10_000) })).map((c) => [c.id, c.status])));
    } catch (error) {
      log(`sessions: cannot list the sessions of ${regionId} after the start: ${(error as Error).message}`);
    }
  }
  for (const session of migrator.sessions()) {
    if (session.state === 'lost') continue;
    const there = held.get(session.region);
    const status = there?.get(session.id);
    // An active session must be served there; a suspended or migrating one only kept.
    if (status === 'active' || (status !== undefined && session.state !== 'active')) continue;
    const why = failed.get(session.id) ?? (status === 'suspended' ? `${session.region} holds it suspended` : there ? `${session.region} does not hold it` : `${session.region} is not deployed or did not answer`);
    result.missing.push({ sessionId: session.id, region: session.region, why });
  }
  log(
    `sessions: ${registered} registered before this start; ${result.reactivated.length} active again in their regions, ` +
      `${result.restored.length} restored where they were lost${named(result.restored, (r) => `${r.sessionId} in ${r.region} from ${FROM[r.restoredFrom]}, ${r.stalenessMillis} ms stale`)}, ` +
      `${result.lost.length} lost${named(result.lost, (l) => `${l.sessionId} in ${l.region}: ${l.reason}`)}, ` +
      `${result.discarded} stale copies discarded, ${result.missing.length} not held${named(result.missing, (m) => `${m.sessionId} in ${m.region}: ${m.why}`)}`,
  );
  return result;
}

/**
 * After {@link resumeSessions}: removes the migration snapshots no session's
 * record names any more. An agent that died mid-move leaves its snapshot in the
 * store (the move's record names it until the next agent settles the session),
 * as does a delete a store outage refused. With nothing older spared: the
 * directory is this agent's alone (its agent file keeps a second one out), and
 * it has started no move yet.
 */
export function sweepLeftSnapshots(migrator: SessionMigrator, log: (line: string) => void): Promise<void> {
  return sweepAndLog(migrator, 0, log, 'a previous agent left');
}

const FROM = { checkpoint: 'its checkpoint', snapshot: 'the snapshot of a migration cut short', live: 'its live state' } as const;

/** ` (a; b; …)`: the first ten, for a log line; nothing when there are none. */
function named<T>(items: readonly T[], describe: (item: T) => string): string {
  if (items.length === 0) return '';
  return ` (${items.slice(0, 10).map(describe).join('; ')}${items.length > 10 ? '; …' : ''})`;
}
