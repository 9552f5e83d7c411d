// SessionMigrator with an adapter that has batch calls (the local provider's,
// real region processes): migrations that reach a step together share one call
// per region, yet each session keeps its own outcome: one fenced in the target
// fails alone, by id, and stays active in its source; a target that is down
// fails every session of the batch, each rolled back. Counted from the regions.
import { randomBytes } from 'node:crypto';
import { MeridianError, type SessionAdapter, type SessionBatchOutcome, type SnapshotStore } from '@meridian/core';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { findLeakedProcesses } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let pids: number[] = [];
const codec = new SnapshotCodec({ keys: [{ id: 'test', key: randomBytes(32) }] });
const REGIONS = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 } },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 } },
];
const N = 12;
const ids = Array.from({ length: N }, (_, i) => `s${i}`);

beforeEach(async () => {
  provider = createLocalProvider({ regions: REGIONS });
  await provider.deploy({ name: 'batch-calls', regions: [] });
  pids = provider.pids();
});

afterEach(async () => {
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

const endpoint = (region: string) => provider.regions().find((r) => r.id === region)!.endpoint;

async function createSession(id: string, region: string): Promise<void> {
  const res = await request(`${endpoint(region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ owner: id, blob: 'x'.repeat(2_000) }) });
  expect(res.statusCode).toBe(200);
  await res.body.dump();
}

/** Sessions active in each live region, from the regions themselves. */
async function activeIn(...regions: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const region of regions) {
    const res = await request(`${endpoint(region)}/sessions`);
    const body = (await res.body.json()) as { items: Array<{ key: string; status: string }> };
    out[region] = body.items.filter((s) => s.status === 'active').map((s) => s.key).sort();
  }
  return out;
}

/** The session id in a migration snapshot's key (`mig.<createdAt>.<sessionId>.<migrationId>.<attempt>`). */
const sessionOf = (key: string): string => key.split('.')[2]!;

/**
 * The local adapter, with every batch call recorded (name and size) and every
 * snapshot held back until all N were asked for: the N migrations then reach
 * the suspend step in the same turn, so the test does not depend on timing to
 * see a batch.
 */
function recording(base: SessionAdapter, onCall: (name: string, ids: string[]) => void = () => undefined): { adapter: SessionAdapter; calls: Array<{ name: string; size: number }> } {
  const calls: Array<{ name: string; size: number }> = [];
  let asked = 0;
  let release!: () => void;
  const all = new Promise<void>((resolve) => (release = resolve));
  const many = <K extends 'suspendMany' | 'restoreJsonMany' | 'activateMany' | 'discardMany'>(name: K) =>
    (async (list: unknown[], region: string, options: { signal: AbortSignal }): Promise<SessionBatchOutcome[]> => {
      calls.push({ name, size: list.length });
      onCall(name, list.map((item) => ('session' in (item as object) ? (item as { session: { id: string } }).session.id : (item as { id: string }).id)));
      return (base[name] as (l: unknown[], r: string, o: { signal: AbortSignal }) => Promise<SessionBatchOutcome[]>)(list, region, options);
    }) as NonNullable<SessionAdapter[K]>;
  const adapter: SessionAdapter = {
    snapshot: (s, o) => base.snapshot(s, o),
    suspend: (s, r, o) => base.suspend(s, r, o),
    restore: (s, r, state, o) => base.restore(s, r, state, o),
    activate: (s, r, o) => {
      onCall('activate', [s.id]);
      return base.activate(s, r, o);
    },
    discard: (s, r, o) => base.discard(s, r, o),
    snapshotJson: async (s, o) => {
      const json = await base.snapshotJson!(s, o);
      if (++asked === N) release();
      await all;
      return json;
    },
    restoreJson: (s, r, json, o) => base.restoreJson!(s, r, json, o),
    suspendMany: many('suspendMany'),
    restoreJsonMany: many('restoreJsonMany'),
    activateMany: many('activateMany'),
    discardMany: many('discardMany'),
  };
  return { adapter, calls };
}

describe('SessionMigrator with batch calls (local regions)', () => {
  it('moves sessions in shared calls; one fenced in the target fails alone, by id, and stays active in its source', async () => {
    for (const id of ids) await createSession(id, 'us-east');
    // eu-west holds a copy of s5 under epoch 9 (a newer move elsewhere): its restore under epoch 1 is refused.
    await createLocalSessionAdapter(provider).restore({ id: 's5', region: 'eu-west', metadata: {} }, 'eu-west', { stale: false }, { signal: AbortSignal.timeout(5_000), epoch: 9 });
    const { adapter, calls } = recording(createLocalSessionAdapter(provider));
    const m = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), concurrency: N, timeoutMillis: 10_000 });
    for (const id of ids) m.register({ id, region: 'us-east' });

    const result = await m.batchMigrate(ids, 'eu-west');

    expect(result.failed.map((f) => f.sessionId)).toEqual(['s5']);
    expect(result.failed[0]!.error).toMatch(/refused restore of session "s5": .*epoch 1 is stale/);
    expect(result.migrated.map((r) => r.sessionId).sort()).toEqual(ids.filter((id) => id !== 's5').sort());
    const held = await activeIn('us-east', 'eu-west');
    expect(held['us-east']).toEqual(['s5']);
    expect(held['eu-west']).toEqual(ids.filter((id) => id !== 's5').sort());
    expect(m.getSession('s5')).toMatchObject({ region: 'us-east', state: 'active' });
    // All N suspends went in one call; every forward step went through batch calls, none larger than batchSize.
    expect(calls.filter((c) => c.name === 'suspendMany')).toEqual([{ name: 'suspendMany', size: N }]);
    expect(calls.filter((c) => c.name === 'restoreJsonMany').reduce((sum, c) => sum + c.size, 0)).toBeLessThanOrEqual(N);
    expect(calls.every((c) => c.size <= 64)).toBe(true);
    expect(m.statistics()).toMatchObject({ migrated: N - 1, failed: 1, lost: 0 });
  });

  it('with batchSize 1 sends every call on its own (the per-session path), with the same outcome', async () => {
    for (const id of ids) await createSession(id, 'us-east');
    const { adapter, calls } = recording(createLocalSessionAdapter(provider));
    const m = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), concurrency: N, batchSize: 1 });
    for (const id of ids) m.register({ id, region: 'us-east' });
    const result = await m.batchMigrate(ids, 'eu-west');
    expect(result.failed).toEqual([]);
    expect(calls).toEqual([]);
    expect(await activeIn('us-east', 'eu-west')).toEqual({ 'us-east': [], 'eu-west': [...ids].sort() });
  });

  it('a target that is down fails every session of the batch; each rolls back and is active in its source only', async () => {
    for (const id of ids) await createSession(id, 'us-east');
    const { adapter } = recording(createLocalSessionAdapter(provider));
    const m = new SessionMigrator({ adapter, codec, store: new MemorySnapshotStore(), concurrency: N, timeoutMillis: 10_000 });
    for (const id of ids) m.register({ id, region: 'us-east' });
    await provider.kill('eu-west');
    const result = await m.batchMigrate(ids, 'eu-west');
    expect(result.migrated).toEqual([]);
    expect(result.failed.map((f) => f.sessionId).sort()).toEqual([...ids].sort());
    expect(await activeIn('us-east')).toEqual({ 'us-east': [...ids].sort() });
    for (const id of ids) expect(m.getSession(id)).toMatchObject({ region: 'us-east', state: 'active' });
    expect(m.statistics()).toMatchObject({ migrated: 0, failed: N, rolledBack: N, lost: 0 });
  });

  it('activates no session through a batch before its own snapshot write is acknowledged', async () => {
    for (const id of ids) await createSession(id, 'us-east');
    const inner = new MemorySnapshotStore();
    const acknowledged = new Set<string>();
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const store: SnapshotStore = {
      // Every write waits until the restores landed (below): activations must wait for the writes, not run ahead.
      put: async (key, bytes, options) => {
        await released;
        const result = await inner.put(key, bytes, options);
        acknowledged.add(sessionOf(key));
        return result;
      },
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const early: string[] = [];
    const { adapter: recorded } = recording(createLocalSessionAdapter(provider), (name, called) => {
      if (name === 'activateMany' || name === 'activate') early.push(...called.filter((id) => !acknowledged.has(id)));
    });
    const adapter: SessionAdapter = {
      ...recorded,
      // The writes are acknowledged only two turns after the restores landed: an activation that did not wait for
      // its write would be sent by then (the migrator sends a batch one turn after its sessions reach the step).
      restoreJsonMany: async (...args) => {
        const outcomes = await recorded.restoreJsonMany!(...args);
        setImmediate(() => setImmediate(release));
        return outcomes;
      },
    };
    const m = new SessionMigrator({ adapter, codec, store, concurrency: N, timeoutMillis: 10_000 });
    for (const id of ids) m.register({ id, region: 'us-east' });
    const result = await m.batchMigrate(ids, 'eu-west');
    expect(result.failed).toEqual([]);
    expect(acknowledged.size).toBe(N);
    expect(early).toEqual([]);
    expect(await activeIn('us-east', 'eu-west')).toEqual({ 'us-east': [], 'eu-west': [...ids].sort() });
  });

  it('a store that fails some writes mid-batch: those sessions roll back to their source, the rest move; 0 lost, 0 doubly active', async () => {
    for (const id of ids) await createSession(id, 'us-east');
    const inner = new MemorySnapshotStore();
    const failing = new Set(['s1', 's4', 's7']);
    const store: SnapshotStore = {
      put: async (key, bytes, options) => {
        if (failing.has(sessionOf(key))) throw new MeridianError('STORE_UNAVAILABLE', `store down for ${key}`);
        return inner.put(key, bytes, options);
      },
      get: inner.get.bind(inner),
      delete: inner.delete.bind(inner),
      list: inner.list.bind(inner),
    };
    const { adapter } = recording(createLocalSessionAdapter(provider));
    const m = new SessionMigrator({ adapter, codec, store, concurrency: N, timeoutMillis: 10_000 });
    for (const id of ids) m.register({ id, region: 'us-east' });
    const result = await m.batchMigrate(ids, 'eu-west');
    expect(result.failed.map((f) => f.sessionId).sort()).toEqual([...failing].sort());
    const held = await activeIn('us-east', 'eu-west');
    expect(held['us-east']).toEqual([...failing].sort());
    expect(held['eu-west']).toEqual(ids.filter((id) => !failing.has(id)).sort());
    // Nothing left behind in the target for the sessions that stayed (their early restore was discarded).
    const inTarget = (await createLocalSessionAdapter(provider).list!('eu-west', { signal: AbortSignal.timeout(5_000) })).map((c) => c.id);
    for (const id of failing) expect(inTarget).not.toContain(id);
    expect(m.statistics()).toMatchObject({ migrated: N - failing.size, failed: failing.size, rolledBack: failing.size, lost: 0 });
  });
});
