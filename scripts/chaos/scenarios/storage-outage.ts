import { randomBytes } from 'node:crypto';
import { MeridianError, type SnapshotStore } from '@meridian/core';
import { createLocalSessionAdapter } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { collectEvents } from '@meridian/testkit';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

/** Sessions in the batch and snapshots written before the store fails (a third in), each × `ctx.scale`. */
const SESSIONS = 24;
const PUTS_BEFORE_OUTAGE = 8;

/** A snapshot store that goes down after `okPuts` puts (every call fails from then on) until healed. */
function failingStore(inner: SnapshotStore, okPuts: number): SnapshotStore & { down: () => number | undefined; heal(): void } {
  let puts = 0;
  let downAt: number | undefined;
  let healed = false;
  const guard = (): void => {
    if (downAt !== undefined && !healed) throw new MeridianError('STORE_UNAVAILABLE', 'snapshot store outage (chaos)');
  };
  return {
    put: async (...args) => {
      if (!healed && ++puts > okPuts) downAt ??= performance.now();
      guard();
      return inner.put(...args);
    },
    get: async (...args) => (guard(), inner.get(...args)),
    delete: async (...args) => (guard(), inner.delete(...args)),
    list: async (...args) => (guard(), inner.list(...args)),
    down: () => downAt,
    heal: () => void (healed = true),
  };
}

/** 8. The snapshot store fails in the middle of a batch migration. */
export const storageOutage: ChaosScenario = {
  id: 'storage-outage',
  title: 'snapshot store outage mid-migration',
  expected: 'failed migrations roll back; retried after',
  deadlineMillis: 30_000,
  // The fault is off the clients' path (front door → regions): every request must be served.
  clientGoals: { maxFailedGets: 0, maxFailedPosts: 0 },
  run: async (ctx) => {
    const sessions = SESSIONS * ctx.scale;
    const lab = await startLab(ctx, { sessionRegions: ['us-east'], sessionsPerRegion: sessions });
    const store = failingStore(new MemorySnapshotStore(), PUTS_BEFORE_OUTAGE * ctx.scale);
    const codec = new SnapshotCodec({ keys: [{ id: 'chaos', key: randomBytes(32) }] });
    const migrator = new SessionMigrator({ adapter: createLocalSessionAdapter(lab.provider), codec, store, timeoutMillis: 5_000, concurrency: 4 });
    for (const s of lab.sessions) migrator.register({ id: s.id, region: s.region });
    const failures = collectEvents(migrator, 'session:migration-failed').events;
    let firstRollback: number | undefined;
    migrator.on('session:migration-failed', () => void (firstRollback ??= performance.now()));

    const batch = await migrator.batchMigrate(lab.sessions.map((s) => s.id), 'eu-west');
    ctx.log(`batch: ${batch.migrated.length} migrated, ${batch.failed.length} rolled back (${failures[0]?.failedStep}: ${failures[0]?.error})`);
    check(batch.migrated.length > 0 && batch.failed.length > 0, `expected some migrated and some failed, got ${batch.migrated.length}/${batch.failed.length}`);
    check(failures.every((f) => f.resumedInSource), `a failed migration did not resume in its source: ${JSON.stringify(failures.find((f) => !f.resumedInSource))}`);
    for (const s of lab.sessions) {
      const info = migrator.getSession(s.id)!;
      const moved = batch.migrated.some((m) => m.sessionId === s.id);
      check(info.state === 'active' && info.region === (moved ? 'eu-west' : 'us-east'), `migrator thinks ${s.id} is ${info.state} in ${info.region}`);
    }
    const timeToReactMillis = Math.round((firstRollback ?? performance.now()) - (store.down() ?? performance.now()));
    const census = await lab.lostSessions(); // every session active in exactly one region now, mid-outage

    store.heal();
    const retry = await migrator.batchMigrate(batch.failed.map((f) => f.sessionId), 'eu-west');
    check(retry.failed.length === 0, `retry after the outage failed for ${retry.failed.length}`);
    const { lost, checked, clients, volume } = await lab.nothingLost();
    return {
      reactionSeen: true,
      reaction: `${batch.failed.length}/${sessions} rolled back to source, all moved on retry`,
      timeToReactMillis,
      lost: census.lost + lost,
      checked, // the same sessions again, plus the writes
      clients,
      volume,
    };
  },
};
