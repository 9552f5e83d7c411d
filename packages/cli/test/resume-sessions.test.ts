import { randomBytes } from 'node:crypto';
import { ManualClock, MemorySessionRegistry, MeridianError, type HeldSession, type SessionAdapter } from '@meridian/core';
import { outageSnapshotStore } from '@meridian/testkit';
import { MemorySnapshotStore, SessionCheckpointer, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { describe, expect, it, vi } from 'vitest';
import { resumeSessions } from '../src/agent/resume-sessions.js';
import { SnapshotSweeper } from '../src/agent/snapshot-sweeper.js';

/** Regions that hold copies (id -> status) and record each activation; `down` ones refuse every call. */
function regions(held: Record<string, Record<string, HeldSession['status']>>, down: string[] = []) {
  const activated: string[] = [];
  const reach = (region: string) => {
    if (down.includes(region)) throw new Error(`connect ECONNREFUSED (${region})`);
  };
  const states: Record<string, unknown> = {};
  const at = (id: string, region: string) => {
    reach(region);
    if (!held[region]?.[id]) throw new MeridianError('SESSION_NOT_FOUND', `session "${id}" is not in region "${region}"`);
  };
  const adapter: SessionAdapter = {
    snapshot: async (ref) => {
      at(ref.id, ref.region);
      return states[`${ref.region}/${ref.id}`] ?? {};
    },
    restore: async (ref, region, state) => {
      reach(region);
      (held[region] ??= {})[ref.id] = 'suspended';
      states[`${region}/${ref.id}`] = state;
    },
    suspend: async (ref, region) => {
      at(ref.id, region);
      held[region]![ref.id] = 'suspended';
    },
    discard: async (ref, region) => {
      reach(region);
      delete held[region]![ref.id];
    },
    activate: async (ref, region) => {
      at(ref.id, region);
      held[region]![ref.id] = 'active';
      activated.push(`${ref.id}@${region}`);
    },
    list: async (region) => {
      reach(region);
      return Object.entries(held[region] ?? {}).map(([id, status]) => ({ id, status, epoch: 0 }));
    },
  };
  return { adapter, activated, states };
}

const codec = new SnapshotCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] });

async function migratorWith(records: Array<[id: string, region: string]>, store = new MemorySnapshotStore()) {
  const registry = new MemorySessionRegistry();
  for (const [id, region] of records) await registry.put({ id, region, state: 'active', epoch: 0, metadata: {}, migrations: 0, updatedAt: 1 });
  return (adapter: SessionAdapter) => new SessionMigrator({ adapter, codec, store, registry, timeoutMillis: 1_000 });
}

describe('resumeSessions (an agent starting on a registry a previous agent left)', () => {
  it('activates what each region kept, discards copies registered elsewhere, and reports lost by id what is held nowhere with no checkpoint', async () => {
    const make = await migratorWith([['s1', 'us-east'], ['s2', 'us-east'], ['s3', 'eu-west']]);
    const { adapter, activated } = regions({ 'us-east': { s1: 'suspended', s3: 'suspended' }, 'eu-west': { s3: 'suspended' } });
    const migrator = make(adapter);
    const lines: string[] = [];
    const result = await resumeSessions(migrator, adapter, ['us-east', 'eu-west'], (line) => lines.push(line));
    expect(result).toEqual({ registered: 3, reactivated: ['s1', 's3'], restored: [], lost: [{ sessionId: 's2', region: 'us-east', reason: 'no-checkpoint' }], discarded: 1, missing: [] });
    expect(activated.sort()).toEqual(['s1@us-east', 's3@eu-west']);
    expect(migrator.getSession('s2')).toMatchObject({ state: 'lost' });
    expect(migrator.statistics()).toMatchObject({ lost: 1, byState: { active: 2, lost: 1 } });
    expect(lines.at(-1)).toBe('sessions: 3 registered before this start; 2 active again in their regions, 0 restored where they were lost, 1 lost (s2 in us-east: no-checkpoint), 1 stale copies discarded, 0 not held');
    await migrator.close();
  });

  it('restores in its region, from its checkpoint, a session the region restarted without', async () => {
    const store = new MemorySnapshotStore();
    const held: Record<string, Record<string, HeldSession['status']>> = { 'us-east': { s1: 'active', s2: 'active' } };
    const before = regions(held);
    before.states['us-east/s2'] = { cart: ['kept'] };
    // The previous agent's checkpoints, in the store the next agent reads.
    const first = (await migratorWith([['s1', 'us-east'], ['s2', 'us-east']], store))(before.adapter);
    await first.load();
    const checkpointer = new SessionCheckpointer({ adapter: before.adapter, codec, store, source: first, checkpointIntervalMillis: 60_000 });
    await checkpointer.checkpointNow();
    await checkpointer.close();
    await first.close();
    // Agent and region restart; the region comes back holding s1 only.
    held['us-east'] = { s1: 'suspended' };
    const make = await migratorWith([['s1', 'us-east'], ['s2', 'us-east']], store);
    const { adapter, states } = regions(held);
    const migrator = make(adapter);
    const lines: string[] = [];
    const result = await resumeSessions(migrator, adapter, ['us-east'], (line) => lines.push(line));
    expect(result.reactivated).toEqual(['s1']);
    expect(result.restored).toEqual([{ sessionId: 's2', region: 'us-east', stalenessMillis: expect.any(Number), restoredFrom: 'checkpoint' }]);
    expect(result.lost).toEqual([]);
    expect(held['us-east']).toEqual({ s1: 'active', s2: 'active' });
    expect(states['us-east/s2']).toEqual({ cart: ['kept'] });
    expect(migrator.getSession('s2')).toMatchObject({ region: 'us-east', state: 'active', epoch: 1 });
    expect(lines.at(-1)).toMatch(/^sessions: 2 registered before this start; 1 active again in their regions, 1 restored where they were lost \(s2 in us-east from its checkpoint, \d+ ms stale\), 0 lost, 0 stale copies discarded, 0 not held$/);
    await migrator.close();
  });

  it('starts anyway when a region does not answer: its sessions are named, the others resumed', async () => {
    const make = await migratorWith([['s1', 'us-east'], ['s2', 'eu-west']]);
    const { adapter } = regions({ 'us-east': { s1: 'suspended' }, 'eu-west': { s2: 'suspended' } }, ['eu-west']);
    const migrator = make(adapter);
    const lines: string[] = [];
    const result = await resumeSessions(migrator, adapter, ['us-east', 'eu-west'], (line) => lines.push(line));
    expect(result.reactivated).toEqual(['s1']);
    expect(result.missing).toEqual([{ sessionId: 's2', region: 'eu-west', why: 'eu-west is not deployed or did not answer' }]);
    expect(lines.some((l) => l.startsWith('sessions: cannot reconcile eu-west at the start:'))).toBe(true);
    await migrator.close();
  });
});

describe('SnapshotSweeper (the agent removes leftover migration snapshots while it runs)', () => {
  it('sweeps on its timer (virtual time) what a refused delete left, reports what is left for the next sweep, and stops on close', async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const storage = outageSnapshotStore(new MemorySnapshotStore());
    const { store, inner } = storage;
    const { adapter } = regions({ 'us-east': { s1: 'active' } });
    const migrator = new SessionMigrator({ adapter, codec, store, registry: new MemorySessionRegistry(), timeoutMillis: 1_000, clock });
    migrator.register({ id: 's1', region: 'us-east' });
    storage.setDown(true, ['delete']); // the move's last step, deleting its snapshot, is refused: the move still completes
    expect(await migrator.migrate('s1', 'eu-west')).toMatchObject({ to: 'eu-west' });
    const left = (await inner.list()).filter((k) => k.startsWith('mig.'));
    expect(left).toHaveLength(1);
    const lines: string[] = [];
    const sweeper = new SnapshotSweeper({ migrator, intervalMillis: 60_000, olderThanMillis: 2_000, clock, log: (line) => lines.push(line) });
    sweeper.start();
    await clock.advanceAsync(59_999);
    expect(lines).toEqual([]); // not due yet
    await clock.advanceAsync(1);
    await vi.waitFor(() => expect(lines).toEqual(['sessions: 0 migration snapshots no session names removed, 1 left for the next sweep']));
    storage.setDown(false);
    await clock.advanceAsync(60_000);
    await vi.waitFor(() => expect(lines.at(-1)).toBe('sessions: 1 migration snapshots no session names removed'));
    expect(await inner.list()).toEqual([]);
    // Nothing to remove: nothing logged. Closed: no sweep runs again.
    await clock.advanceAsync(60_000);
    await sweeper.close();
    storage.setDown(true, ['delete']);
    await clock.advanceAsync(600_000);
    expect(lines).toHaveLength(2);
    await migrator.close();
  });
});
