// A region SIGKILLed with sessions in it, then evacuated: the migrator must not
// call them active anywhere. Counts are checked against what the live regions hold.
import { randomBytes } from 'node:crypto';
import { MeridianError, type SessionAdapter } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { collectEvents, findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let adapter: SessionAdapter;
let pids: number[] = [];
const codec = new SnapshotCodec({ keys: [{ id: 'test', key: randomBytes(32) }] });
const LIVE = ['us-east', 'ap-south'];

beforeEach(async () => {
  provider = createLocalProvider({ regions: seedRegions(3) });
  await provider.deploy({ name: 'honest', regions: [] });
  pids = provider.pids();
  adapter = createLocalSessionAdapter(provider);
});

afterEach(async () => {
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function createSession(id: string, region: string): Promise<void> {
  const endpoint = provider.regions().find((r) => r.id === region)!.endpoint;
  const res = await request(`${endpoint}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ owner: id }) });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

/** Sessions a live region holds, asked through the session adapter (SESSION_NOT_FOUND: not there). */
async function heldBy(region: string, ids: string[]): Promise<string[]> {
  const held: string[] = [];
  for (const id of ids) {
    try {
      await adapter.snapshot({ id, region, metadata: {} }, { signal: AbortSignal.timeout(2_000) });
      held.push(id);
    } catch (error) {
      if (!MeridianError.hasCode(error, 'SESSION_NOT_FOUND')) throw error;
    }
  }
  return held;
}

describe('SessionMigrator counts honestly when a region dies', () => {
  it('sessions of a SIGKILLed region are reported lost by id, never active; failed counts sessions; no retries spent', async () => {
    const N = 12;
    const doomed = Array.from({ length: N }, (_, i) => `dead-${i}`);
    const alive = ['live-0', 'live-1', 'live-2'];
    const { counting, snapshots } = countingSnapshots(adapter);
    const m = new SessionMigrator({ adapter: counting, codec, store: new MemorySnapshotStore(), retries: 3, retryBackoffMillis: 50, timeoutMillis: 5_000 });
    for (const id of doomed) {
      await createSession(id, 'eu-west');
      m.register({ id, region: 'eu-west' });
    }
    for (const id of alive) {
      await createSession(id, 'us-east');
      m.register({ id, region: 'us-east' });
    }
    const lost = collectEvents(m, 'session:lost');
    const failed = collectEvents(m, 'session:migration-failed');
    await provider.kill('eu-west');

    const result = await m.evacuate('eu-west', { to: 'ap-south' });

    expect(result.migrated).toEqual([]);
    expect(result.failed.map((f) => f.sessionId).sort()).toEqual([...doomed].sort());
    expect(lost.events.map((e) => e.sessionId).sort()).toEqual([...doomed].sort());
    expect(lost.events.every((e) => e.region === 'eu-west')).toBe(true);
    expect(failed.events.every((e) => e.outcome === 'lost' && !e.resumedInSource)).toBe(true);
    // One snapshot call per session: a dead source is not retried.
    expect(snapshots()).toBe(N);
    expect(failed.events).toHaveLength(N);
    const stats = m.statistics();
    expect(stats).toMatchObject({ failed: N, lost: N, rolledBack: 0, migrated: 0 });
    expect(stats.byState).toEqual({ active: alive.length, migrating: 0, suspended: 0, lost: N });
    expect(stats.byRegion['eu-west']).toBe(0);
    for (const id of doomed) expect(m.getSession(id)).toMatchObject({ state: 'lost', region: 'eu-west' });

    // What the migrator says is what the live regions hold.
    const all = [...doomed, ...alive];
    for (const region of LIVE) expect((await heldBy(region, all)).length).toBe(stats.byRegion[region] ?? 0);
    expect(await heldBy('us-east', all)).toEqual(alive);
  });

  it('SESSION_NOT_FOUND from the source is not retried, and a failed session counts once', async () => {
    await createSession('here', 'us-east');
    const { counting, snapshots } = countingSnapshots(adapter);
    const m = new SessionMigrator({ adapter: counting, codec, store: new MemorySnapshotStore(), retries: 3, retryBackoffMillis: 10 });
    m.register({ id: 'ghost', region: 'us-east' });
    await expect(m.migrate('ghost', 'ap-south')).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'MIGRATION_FAILED'));
    expect(snapshots()).toBe(1);
    expect(m.statistics()).toMatchObject({ failed: 1, rolledBack: 1, lost: 0 });
  });
});

/** The adapter, counting its snapshot calls (each one is an attempt the migrator made). */
function countingSnapshots(adapter: SessionAdapter): { counting: SessionAdapter; snapshots: () => number } {
  let calls = 0;
  const counting: SessionAdapter = {
    ...adapter,
    snapshot: (session, options) => {
      calls++;
      return adapter.snapshot(session, options);
    },
  };
  return { counting, snapshots: () => calls };
}
