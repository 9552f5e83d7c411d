// The pipelined delivery end to end: a region that starts empty is caught up page by page (no key listing)
// while writes keep landing on both sides, and a target that fails in the middle of a push gets nothing
// after the failed frame, its cursor stays at the last frame applied, and nothing is lost.
import { CrossRegionSync, encodeHlc, ManualClock, MemoryReplicaStore, MeridianError, ReplicaWriter, type ApplyResult, type ReplicaStore, type ReplicaWrite } from '@meridian/core';
import { scanAll } from '@meridian/testkit';
import { readOnly } from '../src/sync/lent-reads.js';
import { afterEach, expect, it } from 'vitest';

const T0 = 1_790_000_000_000;
let sync: CrossRegionSync | undefined;
afterEach(async () => {
  await sync?.close();
  sync = undefined;
});

/** Wraps a store, counting calls by method and running `before` ahead of each (to inject writes or failures). */
function instrumented(
  inner: ReplicaStore,
  before: (method: string, call: number, args: unknown) => Promise<void> | void = () => undefined,
): { store: ReplicaStore; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const hook = async (method: string, args?: unknown): Promise<void> => {
    calls[method] = (calls[method] ?? 0) + 1;
    await before(method, calls[method]!, args);
  };
  return {
    calls,
    store: {
      getMany: async (keys, options) => (await hook('getMany'), inner.getMany(keys, options)),
      apply: async (writes: readonly ReplicaWrite[], options): Promise<ApplyResult> => (await hook('apply'), inner.apply(writes, options)),
      scan: async (options) => (await hook('scan', options), inner.scan(options)),
      digest: async (nodes, options) => (await hook('digest'), inner.digest(nodes, options)),
      entries: async (nodes, options) => (await hook('entries'), inner.entries(nodes, options)),
    },
  };
}

const contents = async (store: ReplicaStore): Promise<Record<string, unknown>> =>
  Object.fromEntries((await scanAll(store)).map((r) => [r.key, r.deleted ? '<deleted>' : r.value]));

it('catches up a region that starts empty from the roots alone, carrying writes that land on either side meanwhile', async () => {
  const clock = new ManualClock(T0);
  const usEast = new MemoryReplicaStore();
  const euWest = new MemoryReplicaStore();
  const east = new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' });
  const west = new ReplicaWriter({ regionId: 'eu-west', store: euWest, clock, writerId: 'app' });
  for (let i = 0; i < 3_000; i++) await east.put(`item:${i}`, { i });
  let landed = false;
  // While the catch-up pages through us-east: a new key there, an early key overwritten (already paged past),
  // and in eu-west a local write of a key the catch-up brings too (concurrent: a conflict for the policy).
  const source = instrumented(usEast, async (method, _call, args) => {
    // The catch-up's third page (pages of maxBatchRecords; the conflict queue's load reads pages of 1000).
    const page = args as { since: number; limit: number } | undefined;
    if (method === 'scan' && page?.limit === 500 && page.since >= 1_000 && !landed) {
      landed = true;
      clock.advance(10);
      await east.put('new-during-catch-up', 1);
      await east.put('item:3', 'rewritten during catch-up');
      await west.put('item:2999', 'written in eu-west meanwhile');
    }
  });
  const target = instrumented(euWest);
  sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: source.store }, { id: 'eu-west', store: target.store }], clock, maxBatchRecords: 500 });

  const first = await sync.syncNow();
  expect(landed).toBe(true);
  expect(first.pairs.find((p) => p.from === 'us-east')).toMatchObject({ ok: true, catchUp: true });
  expect(source.calls.entries ?? 0).toBe(0); // nothing listed: eu-west held nothing, so us-east sent all it had
  expect(target.calls.entries ?? 0).toBe(0);
  expect(source.calls.digest).toBe(1); // the root
  expect(sync.status().pairs.find((p) => p.from === 'us-east')!.metadataBytes).toBeLessThan(100);
  for (let round = 0; round < 5; round++) await sync.syncNow();

  const [a, b] = await Promise.all([contents(usEast), contents(euWest)]);
  expect(Object.keys(a)).toHaveLength(3_001);
  expect(b).toEqual(a);
  expect(a['item:3']).toBe('rewritten during catch-up');
  expect(a['new-during-catch-up']).toBe(1);
  expect(a['item:2999']).toBe('written in eu-west meanwhile'); // latest-wins: the later write of the two
});

it('a target that fails mid-push gets nothing after the failed frame; its cursor stays at the last frame applied', async () => {
  const clock = new ManualClock(T0);
  const usEast = new MemoryReplicaStore();
  const euWest = new MemoryReplicaStore();
  const east = new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' });
  let failApply: number | undefined;
  let down = false;
  const target = instrumented(euWest, (method, call) => {
    if (down) throw new MeridianError('STORE_UNAVAILABLE', 'eu-west: connection refused');
    if (method === 'apply' && call === failApply) throw new MeridianError('STORE_UNAVAILABLE', 'eu-west: apply failed: connection reset');
  });
  sync = new CrossRegionSync({
    regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: target.store }],
    mode: 'active-passive',
    clock,
    maxBatchRecords: 500,
    retry: { initialDelayMillis: 100, maxDelayMillis: 100, jitterFraction: 0 },
  });
  await sync.syncNow(); // the first catch-up, of nothing
  for (let i = 0; i < 2_000; i++) await east.put(`order:${String(i).padStart(4, '0')}`, { i });
  failApply = (target.calls.apply ?? 0) + 2; // frames of 500: the first is applied, the second fails
  const errors: string[] = [];
  sync.on('sync:error', (e) => errors.push(e.error.code));
  const round = await sync.syncNow();
  expect(round.pairs[0]).toMatchObject({ ok: false, records: 500 });
  expect(errors).toEqual(['STORE_UNAVAILABLE']);
  expect((await scanAll(euWest)).map((r) => r.key)).toEqual(Array.from({ length: 500 }, (_, i) => `order:${String(i).padStart(4, '0')}`));
  expect(target.calls.apply).toBe(failApply); // the frames built after the failed one never reached it

  // Still down at the next round: what it still lacks is what came after the cursor.
  down = true;
  clock.advance(100);
  await sync.syncNow();
  expect(sync.status().pairs[0]).toMatchObject({ state: 'failing', pendingChanges: 1_500 });

  down = false;
  clock.advance(200);
  for (let i = 0; i < 3; i++) await sync.syncNow();
  expect(await contents(euWest)).toEqual(await contents(usEast));
  expect(sync.status().pairs[0]).toMatchObject({ state: 'ok', pendingChanges: 0, lagMillis: 0 });
});

it('never changes a record a store lends it (catch-up by page and by key, push, the conflict queue)', async () => {
  const clock = new ManualClock(T0);
  const usEast = new MemoryReplicaStore();
  const euWest = new MemoryReplicaStore();
  const apSouth = new MemoryReplicaStore();
  const east = new ReplicaWriter({ regionId: 'us-east', store: usEast, clock, writerId: 'app' });
  for (let i = 0; i < 1_200; i++) await east.put(`item:${i}`, { i, tags: ['a'] });
  // A conflict waiting in the primary (manual policy), for the queue's load to read.
  const [current] = await usEast.getMany(['item:7']);
  const older = { value: { i: -7 }, deleted: false, version: encodeHlc({ wall: T0 - 1_000, logical: 0, node: 'eu-west' }), origin: 'eu-west' };
  await usEast.apply([{ key: 'item:7', record: { ...current!, vv: { ...current!.vv, 'eu-west': older.version }, conflicts: [older] }, expected: current!.etag }]);
  // ap-south already holds part of it, so its catch-up goes by the keys the walk lists.
  for (const record of (await usEast.scan({ since: 0, limit: 600 })).records) await apSouth.apply([{ key: record.key, record, expected: null }]);
  const freeze = async (store: MemoryReplicaStore): Promise<void> => {
    for (const record of (await readOnly(store).scan({ since: 0, limit: 10_000 })).records) deepFreeze(record);
  };
  await freeze(usEast);
  await freeze(apSouth);
  expect(readOnly(usEast)).not.toBe(usEast);
  expect(Object.isFrozen((await readOnly(usEast).getMany(['item:1']))[0]!.value)).toBe(true); // the store's own record
  sync = new CrossRegionSync({
    regions: [{ id: 'us-east', store: usEast }, { id: 'eu-west', store: euWest }, { id: 'ap-south', store: apSouth }],
    conflictPolicy: 'manual',
    clock,
    maxBatchRecords: 250,
  });
  const errors: unknown[] = [];
  sync.on('sync:error', (e) => errors.push(e.error));
  await sync.syncNow();
  for (let i = 1_200; i < 1_300; i++) await east.put(`item:${i}`, { i });
  await freeze(usEast);
  for (let round = 0; round < 3; round++) await sync.syncNow();
  expect(errors).toEqual([]);
  expect((await sync.conflicts()).map((c) => c.key)).toEqual(['item:7']);
  const all = await contents(usEast);
  expect(Object.keys(all)).toHaveLength(1_300);
  expect(await contents(euWest)).toEqual(all);
  expect(await contents(apSouth)).toEqual(all);
});

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}
