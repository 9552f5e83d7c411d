// A new CrossRegionSync over stores that hold pending conflicts (manual policy)
// rebuilds exactly the queue a full load of the primary gives, whether its
// first round builds it from the records the catch-up reads anyway (a full
// copy from the primary) or scans the primary for it.
import { CrossRegionSync, encodeHlc, ManualClock, MemoryReplicaStore, ReplicaWriter, type PendingConflict, type ReplicaStore } from '@meridian/core';
import { interceptReplicaStore, scanAll } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const T0 = 1_790_000_000_000;
const KEYS = 1_200;
const CONFLICTED = ['item:7', 'item:640', 'item:1199'];

let engines: CrossRegionSync[] = [];
afterEach(async () => {
  await Promise.all(engines.map((e) => e.close()));
  engines = [];
});

/** us-east (the primary) holding KEYS records, three of them with a version from eu-west waiting in `conflicts`. */
async function primaryWithConflicts(clock: ManualClock): Promise<MemoryReplicaStore> {
  const store = new MemoryReplicaStore();
  const writer = new ReplicaWriter({ regionId: 'us-east', store, clock, writerId: 'app' });
  for (let i = 0; i < KEYS; i++) await writer.put(`item:${i}`, { i, tags: ['a'] });
  for (const [n, key] of CONFLICTED.entries()) {
    const [current] = await store.getMany([key]);
    const older = { value: { lost: n }, deleted: false, version: encodeHlc({ wall: T0 - 1_000 + n, logical: 0, node: 'eu-west' }), origin: 'eu-west' };
    await store.apply([{ key, record: { ...current!, vv: { ...current!.vv, 'eu-west': older.version }, conflicts: [older] }, expected: current!.etag }]);
  }
  return store;
}

/** The store, counting the records its scans return. */
function scanCounting(store: ReplicaStore): { store: ReplicaStore; scanned: () => number } {
  let scanned = 0;
  return {
    store: interceptReplicaStore(store, {
      scan: async (options) => {
        const page = await store.scan(options);
        scanned += page.records.length;
        return page;
      },
    }),
    scanned: () => scanned,
  };
}

/** The queue as a full load of the primary gives it (conflicts() before any round). */
async function loadedQueue(clock: ManualClock, stores: Record<string, ReplicaStore>): Promise<PendingConflict[]> {
  const reference = new CrossRegionSync({ regions: Object.entries(stores).map(([id, store]) => ({ id, store })), clock, conflictPolicy: 'manual' });
  engines.push(reference);
  return reference.conflicts();
}

describe('the conflict queue after a restart', () => {
  it('is the full load, from the catch-up that copies the primary, without a second scan of it', async () => {
    const clock = new ManualClock(T0);
    const usEast = await primaryWithConflicts(clock);
    const euWest = new MemoryReplicaStore();
    const expected = await loadedQueue(clock, { 'us-east': usEast, 'eu-west': new MemoryReplicaStore() });
    expect(expected.map((c) => c.key).sort()).toEqual([...CONFLICTED].sort());

    const primary = scanCounting(usEast);
    const sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: primary.store }, { id: 'eu-west', store: euWest }], mode: 'active-passive', clock, conflictPolicy: 'manual' });
    engines.push(sync);
    await sync.syncNow();
    expect(sync.status().conflictsPending).toBe(CONFLICTED.length);
    // The primary was read once, by the catch-up: the queue came with it.
    expect(primary.scanned()).toBe(KEYS);
    expect(await sync.conflicts()).toEqual(expected);
    expect(primary.scanned()).toBe(KEYS);
    expect(await scanAll(euWest)).toHaveLength(KEYS);
  });

  it('is the full load when the targets are in step (the primary is scanned for it)', async () => {
    const clock = new ManualClock(T0);
    const usEast = await primaryWithConflicts(clock);
    const stores = [new MemoryReplicaStore(), new MemoryReplicaStore()];
    for (const record of await scanAll(usEast)) for (const s of stores) await s.apply([{ key: record.key, record, expected: null }]);
    const expected = await loadedQueue(clock, { 'us-east': usEast, 'eu-west': stores[0]!, 'ap-south': stores[1]! });

    const sync = new CrossRegionSync({
      regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: stores[0]! }, { id: 'ap-south', store: stores[1]! }],
      mode: 'active-passive',
      clock,
      conflictPolicy: 'manual',
    });
    engines.push(sync);
    const report = await sync.syncNow();
    expect(report.pairs.every((p) => p.ok && p.catchUp && p.records === 0)).toBe(true);
    expect(sync.status().conflictsPending).toBe(CONFLICTED.length);
    expect(await sync.conflicts()).toEqual(expected);
  });

  it('holds the primary and the target for a pending conflict that meets another version at the target in the first round', async () => {
    const clock = new ManualClock(T0);
    const usEast = await primaryWithConflicts(clock);
    // eu-west holds part of the data and, for item:640, a version of its own concurrent with us-east's.
    const euWest = new MemoryReplicaStore();
    for (const record of (await usEast.scan({ since: 0, limit: 600 })).records) await euWest.apply([{ key: record.key, record, expected: null }]);
    await clock.advanceAsync(5);
    await new ReplicaWriter({ regionId: 'eu-west', store: euWest, clock, writerId: 'app' }).put('item:640', { local: true });
    const loaded = await loadedQueue(clock, { 'us-east': usEast, 'eu-west': euWest });

    const sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: euWest }], mode: 'active-passive', clock, conflictPolicy: 'manual' });
    engines.push(sync);
    const events: string[] = [];
    sync.on('sync:conflict', (e) => events.push(`${e.key}@${e.regionId}`));
    await sync.syncNow();
    expect(events).toEqual(['item:640@eu-west']);
    const queue = await sync.conflicts();
    expect(queue.map((c) => c.key).sort()).toEqual([...CONFLICTED].sort());
    // As a load before the round and the conflict after it leave it: both regions, detected when the round began.
    const met = queue.find((c) => c.key === 'item:640')!;
    expect(met.regions).toEqual(['eu-west', 'us-east']);
    expect(met.detectedAt).toBe(loaded.find((c) => c.key === 'item:640')!.detectedAt);
    // eu-west's own write supersedes its older version that waited at us-east: the two left are in conflict.
    expect(met.versions.map((v) => v.value)).toEqual([{ i: 640, tags: ['a'] }, { local: true }]);
    // The other two are exactly as loaded.
    expect(queue.filter((c) => c.key !== 'item:640')).toEqual(loaded.filter((c) => c.key !== 'item:640'));
  });
});
