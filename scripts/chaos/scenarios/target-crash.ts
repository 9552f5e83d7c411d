import { randomBytes } from 'node:crypto';
import type { SessionAdapter } from '@meridian/core';
import { createLocalSessionAdapter } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { collectEvents } from '@meridian/testkit';
import { startLab } from '../lab.js';
import { check, type ChaosScenario } from '../scenario.js';

/** Sessions evacuated, × `ctx.scale`. */
const SESSIONS = 16;

/**
 * 9. The evacuation target is killed when the first session is being restored
 * into it: every migration in flight rolls back to the source; the evacuation
 * then goes to another region.
 */
export const targetCrash: ChaosScenario = {
  id: 'target-crash',
  title: 'target crash mid-restore (evacuation)',
  expected: 'all roll back to source; re-evacuate elsewhere',
  deadlineMillis: 30_000,
  // The crashed target has no traffic weight, so no client request goes to it: every one must be served.
  clientGoals: { maxFailedGets: 0, maxFailedPosts: 0 },
  run: async (ctx) => {
    const sessions = SESSIONS * ctx.scale;
    const lab = await startLab(ctx, { sessionRegions: ['us-east'], sessionsPerRegion: sessions });
    // The target serves no traffic of its own yet, so the apps' writes go elsewhere (its memory dies with it).
    await lab.provider.setTraffic({ 'us-east': 50, 'ap-south': 50 });
    const real = createLocalSessionAdapter(lab.provider);
    let killing: Promise<void> | undefined;
    let killedAt: number | undefined;
    const adapter: SessionAdapter = {
      ...real,
      restore: async (session, region, state, options) => {
        if (region === 'eu-west') {
          killedAt ??= performance.now();
          killing ??= lab.provider.kill('eu-west');
          await killing; // every restore into the target meets the crash
        }
        return real.restore(session, region, state, options);
      },
    };
    const codec = new SnapshotCodec({ keys: [{ id: 'chaos', key: randomBytes(32) }] });
    const migrator = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), timeoutMillis: 5_000, concurrency: 4 });
    for (const s of lab.sessions) migrator.register({ id: s.id, region: s.region });
    const failures = collectEvents(migrator, 'session:migration-failed').events;
    let firstRollback: number | undefined;
    migrator.on('session:migration-failed', () => void (firstRollback ??= performance.now()));

    const first = await migrator.evacuate('us-east', { to: 'eu-west' });
    ctx.log(`evacuation to eu-west: ${first.migrated.length} migrated, ${first.failed.length} rolled back (${failures[0]?.failedStep}: ${failures[0]?.error})`);
    check(killedAt !== undefined, 'the target was never killed');
    check(first.migrated.length === 0 && first.failed.length === sessions, `expected all ${sessions} to roll back, got ${first.migrated.length} migrated`);
    check(failures.every((f) => f.resumedInSource), 'a failed migration did not resume in its source');
    const census = await lab.lostSessions();

    await lab.provider.restore('eu-west'); // back, empty
    const second = await migrator.evacuate('us-east', { to: 'ap-south' });
    check(second.migrated.length === sessions, `re-evacuation to ap-south moved ${second.migrated.length} of ${sessions}`);
    const { lost, checked, clients, volume } = await lab.nothingLost();
    return {
      reactionSeen: true,
      reaction: `${first.failed.length}/${sessions} rolled back, then all moved to ap-south`,
      timeToReactMillis: Math.round((firstRollback ?? performance.now()) - killedAt),
      lost: census.lost + lost,
      checked, // the same sessions again, plus the writes
      clients,
      volume,
    };
  },
};
