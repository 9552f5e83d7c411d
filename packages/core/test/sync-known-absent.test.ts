// A catch-up does not read the target for keys the Merkle walk found absent
// there; its writes are still compare-and-set (`expected: null`), so a record
// written at the target between the walk and the apply is settled as a
// conflict, never overwritten.
import { CrossRegionSync, ManualClock, MemoryReplicaStore, ReplicaWriter, type ReplicaStore } from '@meridian/core';
import { interceptReplicaStore, scanAll } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const T0 = 1_790_000_000_000;
const KEYS = 300;
const RACED = 'item:123';

let sync: CrossRegionSync | undefined;
afterEach(async () => {
  await sync?.close();
  sync = undefined;
});

interface Target {
  store: ReplicaStore;
  /** Keys read with getMany, in order. */
  read: string[];
}

/** `store`, where `beforeFirstApply` runs once, just before the first write of a sync reaches it (after the walk). */
function racingTarget(store: MemoryReplicaStore, beforeFirstApply: () => Promise<void>): Target {
  const read: string[] = [];
  let raced = false;
  return {
    read,
    store: interceptReplicaStore(store, {
      getMany: async (keys, options) => {
        read.push(...keys);
        return store.getMany(keys, options);
      },
      apply: async (writes, options) => {
        if (!raced && writes.some((w) => w.key === RACED)) {
          raced = true;
          await beforeFirstApply();
        }
        return store.apply(writes, options);
      },
    }),
  };
}

async function setUp(prefilled: number): Promise<{ clock: ManualClock; usEast: MemoryReplicaStore; euWest: MemoryReplicaStore }> {
  const clock = new ManualClock(T0);
  const usEast = new MemoryReplicaStore();
  const writer = new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' });
  for (let i = 0; i < KEYS; i++) await writer.put(`item:${i}`, { i });
  const euWest = new MemoryReplicaStore();
  // The first `prefilled` records (item:123 is not among them).
  for (const record of (await scanAll(usEast)).slice(0, prefilled)) await euWest.apply([{ key: record.key, record, expected: null }]);
  await clock.advanceAsync(10);
  return { clock, usEast, euWest };
}

describe('keys the walk found absent at the target', () => {
  for (const [what, prefilled] of [
    ['an empty target (catch-up of everything)', 0],
    ['a target holding part of the data (catch-up by keys)', 100],
  ] as const) {
    it(`${what}: not read before writing, and a record written there meanwhile is a conflict, not overwritten`, async () => {
      const { clock, usEast, euWest } = await setUp(prefilled);
      const local = new ReplicaWriter({ regionId: 'eu-west', store: euWest, clock, writerId: 'app' });
      const target = racingTarget(euWest, async () => {
        await local.put(RACED, { local: true });
      });
      sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: target.store }], mode: 'active-passive', clock, conflictPolicy: 'manual' });
      const conflicts: string[] = [];
      sync.on('sync:conflict', (e) => conflicts.push(`${e.key}@${e.regionId}`));
      const report = await sync.syncNow();
      expect(report.pairs).toMatchObject([{ ok: true, catchUp: true, records: KEYS - prefilled }]);
      // Only the key whose write was refused was read, to settle it.
      expect(target.read).toEqual([RACED]);
      expect(conflicts).toEqual([`${RACED}@eu-west`]);
      const [raced] = await euWest.getMany([RACED]);
      // eu-west's version (the newer) shows; us-east's waits in `conflicts`: nothing was overwritten or lost.
      expect(raced).toMatchObject({ value: { local: true }, origin: 'eu-west' });
      expect(raced!.conflicts).toEqual([expect.objectContaining({ value: { i: 123 }, origin: 'us-east' })]);
      expect((await sync.conflicts()).map((c) => c.key)).toEqual([RACED]);
      expect(await scanAll(euWest)).toHaveLength(KEYS);
    });
  }

  it('keys that differ at the target are still read and settled against it', async () => {
    const { clock, usEast, euWest } = await setUp(KEYS);
    // eu-west wrote item:5 over the copy it holds (a later version), and us-east wrote item:6 again.
    await new ReplicaWriter({ regionId: 'eu-west', store: euWest, clock, writerId: 'app' }).put('item:5', { local: true });
    await new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' }).put('item:6', { again: true });
    const target = racingTarget(euWest, async () => undefined);
    sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: target.store }], mode: 'active-passive', clock, conflictPolicy: 'manual' });
    const conflicts: string[] = [];
    sync.on('sync:conflict', (e) => conflicts.push(`${e.key}@${e.regionId}`));
    await sync.syncNow();
    expect(target.read.sort()).toEqual(['item:5', 'item:6']);
    expect(conflicts).toEqual([]);
    expect((await euWest.getMany(['item:5']))[0]).toMatchObject({ value: { local: true } });
    expect((await euWest.getMany(['item:6']))[0]).toMatchObject({ value: { again: true } });
  });
});
