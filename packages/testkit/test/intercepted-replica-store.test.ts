import { encodeHlc, ManualClock, MemoryReplicaStore, ReplicaWriter, type ReplicaRecord } from '@meridian/core';
import { describe, expect, it } from 'vitest';
import { faultyReplicaStore, interceptReplicaStore } from '../src/index.js';

const clock = new ManualClock(1_790_000_000_000);

describe('interceptReplicaStore', () => {
  it('passes every call it does not override to the store, and runs the overrides instead of the store’s own', async () => {
    const inner = new MemoryReplicaStore();
    await new ReplicaWriter({ regionId: 'a', store: inner, clock, writerId: 'w' }).put('k', 1);
    const scans: unknown[] = [];
    const store = interceptReplicaStore(inner, {
      scan: async (options) => {
        scans.push(options.since);
        return inner.scan(options);
      },
    });
    expect((await store.getMany(['k']))[0]?.value).toBe(1);
    expect((await store.scan({ since: 0, limit: 10 })).records.map((r) => r.key)).toEqual(['k']);
    expect(scans).toEqual([0]);
    expect(await store.digest([''])).toEqual(await inner.digest(['']));
    expect(await store.entries([''])).toEqual(await inner.entries(['']));
    const version = encodeHlc({ wall: 1_790_000_000_000, logical: 0, node: 'b' });
    const record: ReplicaRecord = { key: 'n', deleted: false, value: 2, version, origin: 'b', vv: { b: version } };
    expect((await store.apply([{ key: 'n', record, expected: null }])).applied).toEqual(['n']);
    expect((await inner.getMany(['n']))[0]?.value).toBe(2);
  });

  it('has flush and prepare only where the store has them (or the test gives them)', () => {
    const plain = interceptReplicaStore(new MemoryReplicaStore(), {});
    expect(plain.flush).toBeUndefined();
    expect(plain.prepare).toBeUndefined();
    const prepared: string[][] = [];
    const flushed: number[] = [];
    // The overrides give a store without them both; a second wrapper must pass them on.
    const withBoth = interceptReplicaStore(new MemoryReplicaStore(), {
      flush: async () => void flushed.push(1),
      prepare: (records) => void prepared.push(records.map((r) => r.key)),
    });
    const wrapped = interceptReplicaStore(withBoth, {});
    wrapped.prepare!([{ key: 'x', deleted: true, version: '0', origin: 'a', vv: {} }]);
    return wrapped.flush!().then(() => {
      expect(prepared).toEqual([['x']]);
      expect(flushed).toEqual([1]);
    });
  });
});

describe('faultyReplicaStore', () => {
  it('passes prepare on while the link is up and drops it behind a partition (it changes no record)', () => {
    const prepared: string[][] = [];
    const inner = interceptReplicaStore(new MemoryReplicaStore(), { prepare: (records) => void prepared.push(records.map((r) => r.key)) });
    const faulty = faultyReplicaStore(inner);
    const record: ReplicaRecord = { key: 'x', deleted: true, version: '0', origin: 'a', vv: {} };
    faulty.prepare!([record]);
    faulty.partition();
    faulty.prepare!([{ ...record, key: 'y' }]);
    faulty.heal();
    expect(prepared).toEqual([['x']]);
  });
});
