import { ManualClock, MemoryMetrics, type SessionAdapter } from '@meridian/core';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

describe('SessionMigrator metrics', () => {
  it('counts attempts by result and records their duration on the clock', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const adapter: SessionAdapter = {
      snapshot: async () => {
        clock.advance(250); // the snapshot takes 250 ms of virtual time
        return { cart: 3 };
      },
      suspend: async () => undefined,
      restore: async (_ref, region) => {
        if (region === 'ap-south') throw new Error('ap-south refused the restore');
      },
      activate: async () => undefined,
      discard: async () => undefined,
    };
    const metrics = new MemoryMetrics();
    const migrator = new SessionMigrator({ adapter, codec: new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(32) }] }), store: new MemorySnapshotStore(), clock, metrics });
    expect(metrics.value('meridian_migrations_total', { result: 'failed' })).toBe(0);
    migrator.register({ id: 's1', region: 'us-east' });
    await migrator.migrate('s1', 'eu-west').done;
    await expect(migrator.migrate('s1', 'ap-south').done).rejects.toMatchObject({ code: 'MIGRATION_FAILED' });
    expect(metrics.value('meridian_migrations_total', { result: 'completed' })).toBe(1);
    expect(metrics.value('meridian_migrations_total', { result: 'failed' })).toBe(1);
    expect(metrics.distribution('meridian_migration_duration_seconds', { result: 'completed' })).toMatchObject({ count: 1, sum: 0.25 });
    expect(metrics.distribution('meridian_migration_duration_seconds', { result: 'failed' })).toMatchObject({ count: 1, sum: 0.25 });
  });
});
