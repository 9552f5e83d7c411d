import { randomBytes } from 'node:crypto';
import { MemorySessionRegistry, type HeldSession, type SessionAdapter } from '@meridian/core';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { describe, expect, it } from 'vitest';
import { resumeSessions } from '../src/agent/resume-sessions.js';

/** Regions that hold copies (id -> status) and record each activation; `down` ones refuse every call. */
function regions(held: Record<string, Record<string, HeldSession['status']>>, down: string[] = []) {
  const activated: string[] = [];
  const reach = (region: string) => {
    if (down.includes(region)) throw new Error(`connect ECONNREFUSED (${region})`);
  };
  const adapter: SessionAdapter = {
    snapshot: async () => ({}),
    restore: async () => undefined,
    suspend: async () => undefined,
    discard: async (ref, region) => {
      reach(region);
      delete held[region]![ref.id];
    },
    activate: async (ref, region) => {
      reach(region);
      held[region]![ref.id] = 'active';
      activated.push(`${ref.id}@${region}`);
    },
    list: async (region) => {
      reach(region);
      return Object.entries(held[region] ?? {}).map(([id, status]) => ({ id, status, epoch: 0 }));
    },
  };
  return { adapter, activated };
}

async function migratorWith(records: Array<[id: string, region: string]>) {
  const registry = new MemorySessionRegistry();
  for (const [id, region] of records) await registry.put({ id, region, state: 'active', epoch: 0, metadata: {}, migrations: 0, updatedAt: 1 });
  return (adapter: SessionAdapter) => new SessionMigrator({ adapter, codec: new SnapshotCodec({ keys: [{ id: 'k1', key: randomBytes(32) }] }), store: new MemorySnapshotStore(), registry, timeoutMillis: 1_000 });
}

describe('resumeSessions (an agent starting on a registry a previous agent left)', () => {
  it('activates what each region kept, discards copies registered elsewhere, and names by id what is held nowhere', async () => {
    const make = await migratorWith([['s1', 'us-east'], ['s2', 'us-east'], ['s3', 'eu-west']]);
    const { adapter, activated } = regions({ 'us-east': { s1: 'suspended', s3: 'suspended' }, 'eu-west': { s3: 'suspended' } });
    const migrator = make(adapter);
    const lines: string[] = [];
    const result = await resumeSessions(migrator, adapter, ['us-east', 'eu-west'], (line) => lines.push(line));
    expect(result).toEqual({ registered: 3, reactivated: ['s1', 's3'], discarded: 1, missing: [{ sessionId: 's2', region: 'us-east', why: 'us-east does not hold it' }] });
    expect(activated.sort()).toEqual(['s1@us-east', 's3@eu-west']);
    expect(lines.at(-1)).toBe('sessions: 3 registered before this start; 2 active again in their regions, 1 stale copies discarded, 1 not held (s2 in us-east: us-east does not hold it)');
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
