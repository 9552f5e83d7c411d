// A conflict settled in a region whose winning version another region wrote: the push reads each region's own
// writes, so the merge (and the region's losing version, overwritten before its push read it) must be forwarded.
import { CrossRegionSync, ManualClock, MemoryReplicaStore, ReplicaWriter, type ConflictPolicy, type StoredRecord } from '@meridian/core';
import { interceptReplicaStore, scanAll } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const T0 = 1_790_000_000_000;
const closing: CrossRegionSync[] = [];
afterEach(async () => {
  for (const s of closing.splice(0)) await s.close();
});

/**
 * Regions a, b, c on memory stores. While `hold` is set, a's push reads (a scan of a's own writes) wait until
 * something was applied to a: b's write reaches a (and is merged there) before a's push looks for a's own.
 */
function regions(conflictPolicy: ConflictPolicy) {
  const clock = new ManualClock(T0);
  const ids = ['a', 'b', 'c'];
  const stores = ids.map(() => new MemoryReplicaStore());
  const a = stores[0]!;
  const gate = { hold: false, applied: undefined as Promise<void> | undefined, release: () => {} };
  const aSeen = interceptReplicaStore(a, {
    scan: async (o) => {
      if (gate.hold && o.origin === 'a') await gate.applied;
      return a.scan(o);
    },
    apply: async (w, o) => {
      const result = await a.apply(w, o);
      gate.release();
      return result;
    },
  });
  const sync = new CrossRegionSync({ regions: ids.map((id, i) => ({ id, store: i === 0 ? aSeen : stores[i]! })), clock, conflictPolicy });
  closing.push(sync);
  const writers = ids.map((id, i) => new ReplicaWriter({ regionId: id, store: stores[i]!, clock, writerId: 'app' }));
  const holdUntilApplied = () => {
    gate.hold = true;
    gate.applied = new Promise<void>((resolve) => (gate.release = resolve));
  };
  /** Rounds until one moves nothing (bounded). */
  const settle = async (): Promise<number> => {
    for (let round = 1; round <= 10; round++) {
      const report = await sync.syncNow();
      if (report.pairs.every((p) => p.ok && p.records === 0)) return round;
    }
    throw new Error('not settled in 10 rounds');
  };
  const held = async (id: number, key: string): Promise<StoredRecord | undefined> => (await stores[id]!.getMany([key]))[0];
  return { clock, stores, sync, writers, gate, holdUntilApplied, settle, held };
}

const withoutSeq = (records: StoredRecord[]) => records.map(({ seq: _s, ...r }) => r).sort((x, y) => (x.key < y.key ? -1 : 1));

describe('a merge settled under another region’s version', () => {
  it('manual: the version a lost in its own region before its push read it reaches every region, each holding the conflict until it is resolved', async () => {
    const { clock, stores, sync, writers, gate, holdUntilApplied, settle, held } = regions('manual');
    await settle();
    await writers[0]!.put('plan', 'from a');
    clock.advance(10);
    await writers[1]!.put('plan', 'from b'); // the later version
    holdUntilApplied();
    await sync.syncNow();
    gate.hold = false;
    // a merged b's version over its own before its push read anything: a holds the conflict, under b's name.
    const inA = await held(0, 'plan');
    expect(inA).toMatchObject({ origin: 'b', value: 'from b', conflicts: [{ origin: 'a', value: 'from a' }] });
    await settle();
    for (const id of [1, 2]) expect(await held(id, 'plan'), `region ${id}`).toMatchObject({ value: 'from b', conflicts: [{ origin: 'a', value: 'from a' }] });
    const [inAll, ...others] = await Promise.all(stores.map(async (s) => withoutSeq(await scanAll(s))));
    for (const other of others) expect(other).toEqual(inAll);
    const queued = await sync.conflicts();
    expect(queued.map((c) => [c.key, c.versions.map((v) => v.value)])).toEqual([['plan', ['from a', 'from b']]]);
    // Resolved once, settled everywhere.
    await sync.resolve('plan', { value: 'merged by hand' });
    await settle();
    for (const id of [0, 1, 2]) expect(await held(id, 'plan')).toMatchObject({ value: 'merged by hand' });
    for (const id of [0, 1, 2]) expect((await held(id, 'plan'))!.conflicts).toBeUndefined();
    expect(await sync.conflicts()).toEqual([]);
  });

  it('a custom resolver: every region holds what it chose, not only the region that merged', async () => {
    const both: ConflictPolicy = ({ versions }) => ({ value: versions.map((v) => v.value).sort().join(' + ') });
    const { clock, stores, sync, writers, gate, holdUntilApplied, settle, held } = regions(both);
    await settle();
    await writers[0]!.put('tags', 'x');
    clock.advance(10);
    await writers[1]!.put('tags', 'y');
    holdUntilApplied();
    await sync.syncNow();
    gate.hold = false;
    expect(await held(0, 'tags')).toMatchObject({ value: 'x + y', origin: 'b' });
    await settle();
    for (const id of [0, 1, 2]) expect(await held(id, 'tags'), `region ${id}`).toMatchObject({ value: 'x + y' });
    const [inAll, ...others] = await Promise.all(stores.map(async (s) => withoutSeq(await scanAll(s))));
    for (const other of others) expect(other).toEqual(inAll);
  });
});
