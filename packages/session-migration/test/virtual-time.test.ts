// Timing of the migrator on virtual time: undo calls bounded by timeoutMillis,
// retry backoff that stops on abort, recover() bookkept as a migration, and the
// sweep of snapshots a store outage left behind.
import { randomBytes } from 'node:crypto';
import { ManualClock, MeridianError, type SessionAdapter, type SnapshotStore } from '@meridian/core';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec, type SessionMigratorOptions } from '@meridian/session-migration';
import { collectEvents, outageSnapshotStore } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';

const codec = new SnapshotCodec({ keys: [{ id: 'test', key: randomBytes(32) }] });
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sessions in memory per region, refusing what the local regions refuse (unknown session: SESSION_NOT_FOUND). */
function memoryAdapter(): SessionAdapter & { held: Map<string, { status: string; state: unknown }> } {
  const held = new Map<string, { status: string; state: unknown }>();
  const at = (id: string, region: string) => {
    const s = held.get(`${region}/${id}`);
    if (!s) throw new MeridianError('SESSION_NOT_FOUND', `session "${id}" is not in region "${region}"`, { details: { sessionId: id, regionId: region } });
    return s;
  };
  return {
    held,
    snapshot: async (ref) => at(ref.id, ref.region).state,
    suspend: async (ref, region) => void (at(ref.id, region).status = 'suspended'),
    restore: async (ref, region, state) => void held.set(`${region}/${ref.id}`, { status: 'suspended', state }),
    activate: async (ref, region) => void (at(ref.id, region).status = 'active'),
    discard: async (ref, region) => void held.delete(`${region}/${ref.id}`),
  };
}

function setup(options: Partial<SessionMigratorOptions> = {}) {
  const clock = new ManualClock(1_000_000);
  const adapter = memoryAdapter();
  adapter.held.set('us-east/s1', { status: 'active', state: { n: 1 } });
  const store = new MemorySnapshotStore();
  const m = new SessionMigrator({ adapter, codec, store, clock, timeoutMillis: 1_000, ...options });
  m.register({ id: 's1', region: 'us-east' });
  return { clock, adapter, store, m };
}

describe('SessionMigrator on virtual time', () => {
  it('an undo that hangs is given up after timeoutMillis; the migration reports the rollback honestly', async () => {
    const adapter = memoryAdapter();
    let undoStarted!: () => void;
    const started = new Promise<void>((resolve) => (undoStarted = resolve));
    let undoSignal: AbortSignal | undefined;
    const hanging: SessionAdapter = {
      ...adapter,
      activate: async (ref, region, options) => {
        if (region === 'eu-west') throw new Error('target refused activation');
        return adapter.activate(ref, region, options);
      },
      // The undo of restore: never answers, ignores its signal.
      discard: (_ref, region, options) => {
        if (region !== 'eu-west') return Promise.resolve();
        undoSignal = options.signal;
        undoStarted();
        return new Promise<void>(() => undefined);
      },
    };
    const { clock, m } = setup({ adapter: hanging });
    adapter.held.set('us-east/s1', { status: 'active', state: { n: 1 } });
    const failed = collectEvents(m, 'session:migration-failed');
    const op = m.migrate('s1', 'eu-west').then(
      () => undefined,
      (e: unknown) => e,
    );
    await started;
    clock.advance(999);
    await flush();
    expect(failed.events).toEqual([]);
    clock.advance(1);
    const error = await op;
    expect(MeridianError.hasCode(error, 'MIGRATION_FAILED')).toBe(true);
    expect(undoSignal?.aborted).toBe(true);
    const event = failed.events[0]!;
    expect(event).toMatchObject({ failedStep: 'activate', resumedInSource: true, outcome: 'rolled-back' });
    expect(event.steps.find((s) => s.name === 'restore')).toMatchObject({ status: 'rollback-failed', detail: expect.stringContaining('longer than 1000 ms') });
    expect(adapter.held.get('us-east/s1')?.status).toBe('active');
    expect(m.statistics()).toMatchObject({ failed: 1, rolledBack: 1 });
  });

  it('an abort during the retry backoff stops at once with ABORTED, the clock not advanced', async () => {
    const adapter = memoryAdapter();
    let calls = 0;
    let firstFailed!: () => void;
    const failedOnce = new Promise<void>((resolve) => (firstFailed = resolve));
    const flaky: SessionAdapter = {
      ...adapter,
      snapshot: async () => {
        calls++;
        firstFailed();
        throw new Error('source busy');
      },
    };
    const { clock, m } = setup({ adapter: flaky, retries: 3, retryBackoffMillis: 60_000 });
    const controller = new AbortController();
    const op = m.migrate('s1', 'eu-west', { signal: controller.signal }).then(
      () => undefined,
      (e: unknown) => e,
    );
    await failedOnce;
    await flush();
    const now = clock.now();
    controller.abort(new Error('operator stop'));
    const error = await op;
    expect(MeridianError.hasCode(error, 'ABORTED')).toBe(true);
    expect(clock.now()).toBe(now);
    expect(calls).toBe(1);
    expect(clock.pendingTimers()).toBe(0);
    expect(m.statistics()).toMatchObject({ failed: 1, rolledBack: 1 });
  });

  it('recover() records duration, bytes, metrics and session:migrated like a migration', async () => {
    const adapter = memoryAdapter();
    let restores = 0;
    // The first restore fails and the source dies with it: the session is left suspended, snapshot kept.
    const dying: SessionAdapter = {
      ...adapter,
      restore: async (ref, region, state, options) => {
        if (restores++ === 0) {
          adapter.held.delete('us-east/s1');
          throw new Error('target refused');
        }
        return adapter.restore(ref, region, state, options);
      },
    };
    const recorded: Array<{ name: string; labels: unknown; value: number }> = [];
    const metrics = {
      counter: (o: { name: string }) => ({ inc: (labels: unknown, value = 1) => recorded.push({ name: o.name, labels, value }) }),
      gauge: () => ({ set: () => undefined }),
      histogram: (o: { name: string }) => ({ observe: (labels: unknown, value: number) => recorded.push({ name: o.name, labels, value }) }),
      onCollect: () => ({ dispose: () => undefined }),
    };
    const { m } = setup({ adapter: dying, metrics: metrics as never });
    adapter.held.set('us-east/s1', { status: 'active', state: { n: 1 } });
    await expect(m.migrate('s1', 'eu-west')).rejects.toThrow(/left suspended/);
    const migrated = collectEvents(m, 'session:migrated');
    recorded.length = 0;
    const before = m.statistics();
    const op = m.recover('s1', 'ap-south');
    const result = await op;
    expect(result).toMatchObject({ from: 'us-east', to: 'ap-south' });
    expect(migrated.events).toHaveLength(1);
    expect(migrated.events[0]).toMatchObject({ sessionId: 's1', from: 'us-east', to: 'ap-south', bytes: expect.any(Number) });
    expect(migrated.events[0]!.bytes).toBeGreaterThan(0);
    const after = m.statistics();
    expect(after.migrated).toBe(before.migrated + 1);
    expect(after.bytesMoved).toBe(migrated.events[0]!.bytes);
    expect(m.getSession('s1')).toMatchObject({ state: 'active', region: 'ap-south', migrations: 1 });
    expect(recorded).toContainEqual({ name: 'meridian_migrations_total', labels: { result: 'completed' }, value: 1 });
    expect(recorded.some((r) => r.name === 'meridian_migration_duration_seconds')).toBe(true);
  });

  it('sweepSnapshots removes snapshots a failed delete left behind, by age on the clock, bounded per run, with a metric', async () => {
    const storage = outageSnapshotStore(new MemorySnapshotStore());
    storage.setDown(true, ['delete']);
    const { store, inner } = storage;
    const swept: Array<{ labels: unknown; value: number }> = [];
    const metrics = {
      counter: (o: { name: string }) => ({ inc: (labels: unknown, value = 1) => o.name === 'meridian_snapshots_swept_total' && swept.push({ labels, value }) }),
      gauge: () => ({ set: () => undefined }),
      histogram: () => ({ observe: () => undefined }),
      onCollect: () => ({ dispose: () => undefined }),
    };
    const { clock, adapter, m } = setup({ store, metrics: metrics as never });
    await inner.put('unrelated-key', Buffer.from('not ours'));
    for (let i = 2; i <= 4; i++) {
      adapter.held.set(`us-east/s${i}`, { status: 'active', state: { n: i } });
      m.register({ id: `s${i}`, region: 'us-east' });
    }
    for (let i = 1; i <= 4; i++) await m.migrate(`s${i}`, 'eu-west');
    expect((await inner.list()).length).toBe(5); // 4 orphans the outage left, 1 unrelated

    swept.length = 0;
    expect(await m.sweepSnapshots({ olderThanMillis: 60_000 })).toEqual({ deleted: 0, failed: 0, remaining: 0 }); // too young
    clock.advance(60_000);
    expect(await m.sweepSnapshots({ olderThanMillis: 60_000 })).toEqual({ deleted: 0, failed: 4, remaining: 0 }); // store still down
    storage.setDown(false);
    expect(await m.sweepSnapshots({ olderThanMillis: 60_000, maxDeletes: 3 })).toEqual({ deleted: 3, failed: 0, remaining: 1 });
    expect(await m.sweepSnapshots({ olderThanMillis: 60_000, maxDeletes: 3 })).toEqual({ deleted: 1, failed: 0, remaining: 0 });
    expect(await inner.list()).toEqual(['unrelated-key']);
    expect(swept).toEqual([
      { labels: { result: 'failed' }, value: 4 },
      { labels: { result: 'deleted' }, value: 3 },
      { labels: { result: 'deleted' }, value: 1 },
    ]);
    await expect(m.sweepSnapshots({ olderThanMillis: Number.NaN })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('sweepSnapshots never removes a snapshot kept for recover()', async () => {
    const adapter = memoryAdapter();
    const dying: SessionAdapter = {
      ...adapter,
      restore: async () => {
        adapter.held.delete('us-east/s1');
        throw new Error('target refused');
      },
    };
    const { clock, store, m } = setup({ adapter: dying });
    adapter.held.set('us-east/s1', { status: 'active', state: { n: 1 } });
    await expect(m.migrate('s1', 'eu-west')).rejects.toThrow(/left suspended/);
    clock.advance(3_600_000);
    expect(await m.sweepSnapshots({ olderThanMillis: 0 })).toEqual({ deleted: 0, failed: 0, remaining: 0 });
    expect(await store.list()).toEqual([m.getSession('s1')!.pendingSnapshot]);
  });
});
