import type { SessionAdapter } from '@meridian/core';
import type { SessionMigrator } from '@meridian/session-migration';

/** What an agent start found of the sessions a previous agent registered. */
export interface ResumedSessions {
  /** Sessions read from the registry. */
  registered: number;
  /** Active again in the region the registry names (the region kept them through the restart). */
  reactivated: string[];
  /** Copies discarded: sessions registered elsewhere or under a newer epoch. */
  discarded: number;
  /** Registered in a region that does not hold them, or could not be activated there: by id, with why. */
  missing: Array<{ sessionId: string; region: string; why: string }>;
}

/**
 * At an agent's start, with a persistent session registry: reads every
 * session a previous agent registered (`migrator.load`), then reconciles each
 * deployed region, which brought back the sessions it kept (suspended, as a
 * restarted region does): its own sessions are activated again under their
 * epoch, stale copies discarded. A session its region no longer holds (its
 * file removed meanwhile) is reported by id in the log, and left in the
 * registry as it was for the operator to settle.
 */
export async function resumeSessions(migrator: SessionMigrator, adapter: SessionAdapter, regionIds: readonly string[], log: (line: string) => void): Promise<ResumedSessions> {
  const registered = await migrator.load();
  const result: ResumedSessions = { registered, reactivated: [], discarded: 0, missing: [] };
  if (registered === 0) return result;
  const failed = new Map<string, string>();
  for (const regionId of regionIds) {
    try {
      const reconciled = await migrator.reconcileRegion(regionId);
      result.reactivated.push(...reconciled.reactivated);
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
    `sessions: ${registered} registered before this start; ${result.reactivated.length} active again in their regions, ${result.discarded} stale copies discarded, ${result.missing.length} not held` +
      (result.missing.length > 0 ? ` (${result.missing.slice(0, 10).map((m) => `${m.sessionId} in ${m.region}: ${m.why}`).join('; ')}${result.missing.length > 10 ? '; …' : ''})` : ''),
  );
  return result;
}
