// CrossRegionSync end to end on memory stores, virtual time: replication,
// partitions, anti-entropy cost, conflicts, skew, bandwidth, bad input.
import { CrossRegionSync, HybridLogicalClock, ManualClock, MemoryReplicaStore, MeridianError, ReplicaWriter, hlcWall, type StoredRecord } from '@meridian/core';
import { collectEvents, faultyReplicaStore, meridianErrorOf, scanAll } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { expectBandwidthHeld, syncFixture, T0, type SyncFixture } from './sync-fixture.js';

let fx: SyncFixture | undefined;
afterEach(async () => {
  await fx?.sync.shutdown();
  fx = undefined;
});

describe('replication', () => {
  it('carries writes and deletes from every region to every other', async () => {
    fx = syncFixture(3);
    await fx.sync.write('us-east', 'user:1', { name: 'Ada' });
    await fx.writers[1]!.put('user:2', { name: 'Grace' });
    await fx.sync.write('ap-south', 'user:3', 3);
    await fx.drive(fx.sync.syncNow());
    await fx.sync.delete('us-east', 'user:3');
    await fx.drive(fx.sync.syncNow());
    const [a, b, c] = await fx.snapshot();
    expect(a).toEqual({ 'user:1': { name: 'Ada' }, 'user:2': { name: 'Grace' }, 'user:3': '<deleted>' });
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(await fx.sync.read('eu-west', 'user:3')).toBeUndefined();
    const status = fx.sync.status();
    expect(status.regions.map((r) => [r.regionId, r.lagMillis, r.pendingChanges, r.reachable])).toEqual([
      ['us-east', 0, 0, true],
      ['eu-west', 0, 0, true],
      ['ap-south', 0, 0, true],
    ]);
    const eastToWest = status.pairs.find((p) => p.from === 'us-east' && p.to === 'eu-west')!;
    expect(eastToWest.records).toBe(2); // the write, then the delete
    expect(eastToWest.bytesSent).toBeGreaterThan(0);
    expect(status.regions[0]!.bytesSent).toBe(status.pairs.filter((p) => p.from === 'us-east').reduce((n, p) => n + p.bytesSent, 0));
  });

  it('runs on its own timer once started, and stops on shutdown', async () => {
    fx = syncFixture(2, { intervalMillis: 1_000 });
    const completed = collectEvents(fx.sync, 'sync:completed').events;
    fx.sync.start();
    await fx.sync.write('us-east', 'k', 1);
    await fx.until(async () => (await fx!.writers[1]!.get('k')) === 1);
    expect(completed.some((e) => e.from === 'us-east' && e.to === 'eu-west' && e.records === 1)).toBe(true);
    await fx.sync.shutdown();
    await expect(fx.sync.write('us-east', 'k', 2)).rejects.toMatchObject({ code: 'SHUT_DOWN' });
    expect(fx.clock.pendingTimers()).toBe(0);
  });

  it('keeps writes made during a partition and delivers them after it heals; lag grows meanwhile', async () => {
    fx = syncFixture(3, { lagThresholdMillis: 3_000 });
    const lagEvents = collectEvents(fx.sync, 'sync:lag').events;
    const errors = collectEvents(fx.sync, 'sync:error').events;
    await fx.drive(fx.sync.syncNow());
    fx.links[2]!.partition();
    const acked: string[] = [];
    for (let i = 0; i < 20; i++) {
      acked.push((await fx.writers[i % 2]!.put(`order:${i}`, { i })).key);
      acked.push((await fx.writers[2]!.put(`local:${i}`, { i })).key); // inside the partitioned region
      await fx.drive(fx.sync.syncNow());
      await fx.clock.advanceAsync(250);
    }
    const during = fx.sync.status().regions.find((r) => r.regionId === 'ap-south')!;
    expect(during.reachable).toBe(false);
    expect(during.lagMillis).toBeGreaterThan(3_000);
    expect(lagEvents).toContainEqual(expect.objectContaining({ regionId: 'ap-south', lagging: true }));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.error.code).toBe('STORE_UNAVAILABLE');
    // Exponential backoff per pair, capped at retry.maxDelayMillis.
    expect(errors.filter((e) => e.from === 'us-east' && e.to === 'ap-south').map((e) => e.retryInMillis).slice(0, 5)).toEqual([100, 200, 400, 800, 1_000]);
    await fx.converge();
    const snapshots = await fx.snapshot();
    for (const s of snapshots) {
      expect(Object.keys(s).sort()).toEqual([...acked].sort());
      expect(s).toEqual(snapshots[0]);
    }
    expect(fx.sync.status().regions.find((r) => r.regionId === 'ap-south')).toMatchObject({ reachable: true, lagMillis: 0 });
    expect(lagEvents.at(-1)).toMatchObject({ regionId: 'ap-south', lagging: false });
  });

  it('after a partition, anti-entropy sends about the differing data, not the whole store', async () => {
    fx = syncFixture(3, { compression: 'none', maxBatchRecords: 1000 });
    const keys = Array.from({ length: 10_000 }, (_, i) => `item:${i}`);
    await fx.stores[0]!.apply([]);
    for (let i = 0; i < keys.length; i += 1000) {
      await Promise.all(keys.slice(i, i + 1000).map((k) => fx!.writers[0]!.put(k, { k, stock: 10 })));
    }
    await fx.converge();
    const toSouth = () => fx!.sync.status().pairs.filter((p) => p.to === 'ap-south');
    const fullCopy = toSouth().reduce((n, p) => n + p.bytesSent, 0);
    const metaBefore = toSouth().reduce((n, p) => n + p.metadataBytes, 0);
    expect(fullCopy).toBeGreaterThan(1_000_000);

    fx.links[2]!.partition();
    for (let i = 0; i < 100; i++) await fx.writers[i % 2]!.put(keys[i * 97]!, { k: keys[i * 97], stock: i });
    await fx.drive(fx.sync.syncNow()); // fails towards ap-south: those pairs now need a catch-up
    expect(fx.sync.status().pairs.filter((p) => p.to === 'ap-south').every((p) => p.state === 'failing')).toBe(true);
    await fx.converge();

    const sent = toSouth().reduce((n, p) => n + p.bytesSent, 0) - fullCopy;
    const meta = toSouth().reduce((n, p) => n + p.metadataBytes, 0) - metaBefore;
    const perRecord = fullCopy / keys.length;
    // 100 changed keys, each may come from both sources: at most 2 × 100 records' worth.
    expect(sent).toBeLessThan(2 * 100 * perRecord * 1.5);
    expect(sent).toBeGreaterThan(0);
    // Two Merkle walks (us-east/ap-south, eu-west/ap-south), each shared by both directions and each
    // reading under 3 % of a full copy for this 1 % change (tree version 2; version 1 read about 11 %).
    expect(meta).toBeLessThan(fullCopy * 0.06);
    const [a, b, c] = await fx.snapshot();
    expect(b).toEqual(a);
    expect(c).toEqual(a);
  });

  it('holds records stamped too far in the future instead of reordering, then applies them in order', async () => {
    fx = syncFixture(2, { maxClockSkewMillis: 5_000 });
    const skewed = new ManualClock(T0 + 60_000);
    const fastWriter = new ReplicaWriter({ regionId: 'eu-west', store: fx.stores[1]!, clock: skewed, writerId: 'fast' });
    const skewEvents = collectEvents(fx.sync, 'sync:clock-skew').events;
    await fx.drive(fx.sync.syncNow()); // past the first catch-up: this is the push path
    await fastWriter.put('first', 1);
    await fastWriter.put('second', 2);
    await fx.sync.write('us-east', 'fine', 'ok');
    await fx.drive(fx.sync.syncNow());
    expect(skewEvents[0]).toMatchObject({ from: 'eu-west', to: 'us-east', key: 'first', maxClockSkewMillis: 5_000 });
    expect(skewEvents[0]!.skewMillis).toBeGreaterThan(50_000);
    expect(await fx.writers[0]!.get('first')).toBeUndefined();
    expect(await fx.writers[0]!.get('second')).toBeUndefined();
    expect(await fx.writers[1]!.get('fine')).toBe('ok'); // the other direction is unaffected
    expect(fx.sync.status().pairs.find((p) => p.from === 'eu-west')!.state).toBe('held');
    await fx.clock.advanceAsync(56_000);
    await fx.drive(fx.sync.syncNow());
    expect(await fx.writers[0]!.get('first')).toBe(1);
    expect(await fx.writers[0]!.get('second')).toBe(2);
    // The receiving clock never jumped ahead of its own time by more than the bound.
    const local = await fx.sync.write('us-east', 'after', true);
    expect(Number(local.version.slice(0, 15))).toBeLessThanOrEqual(fx.clock.now() + 5_000);
  });

  it('holds the configured bandwidth per pair (virtual time)', async () => {
    fx = syncFixture(2, { maxBytesPerSecond: 20_000, burstBytes: 1_024, compression: 'none', maxBatchRecords: 20 });
    await expectBandwidthHeld(fx, 20_000, 1_024);
    expect(await fx.writers[1]!.get('blob:199')).toBe('x'.repeat(900));
  });

  it('purges tombstones after the GC horizon, everywhere', async () => {
    fx = syncFixture(2, { tombstoneTtlMillis: 10_000, antiEntropyIntervalMillis: 20_000 });
    await fx.sync.write('us-east', 'temp', 1);
    await fx.drive(fx.sync.syncNow());
    await fx.sync.delete('us-east', 'temp');
    await fx.drive(fx.sync.syncNow());
    expect((await fx.stores[1]!.getMany(['temp']))[0]).toMatchObject({ deleted: true });
    await fx.clock.advanceAsync(21_000);
    await fx.drive(fx.sync.syncNow());
    expect(await fx.stores[0]!.getMany(['temp'])).toEqual([undefined]);
    expect(await fx.stores[1]!.getMany(['temp'])).toEqual([undefined]);
  });

  it('waitForLag resolves once the region is in step, and stops on abort', async () => {
    fx = syncFixture(2);
    await fx.sync.write('us-east', 'k', 1);
    await fx.drive(fx.sync.waitForLag('eu-west', 0));
    expect(await fx.writers[1]!.get('k')).toBe(1);
    fx.links[1]!.partition();
    await fx.sync.write('us-east', 'k2', 2);
    const controller = new AbortController();
    const waiting = fx.sync.waitForLag('eu-west', 1_000, { signal: controller.signal });
    waiting.catch(() => undefined);
    await fx.clock.advanceAsync(3_000);
    controller.abort(new Error('gave up'));
    await expect(fx.drive(waiting)).rejects.toMatchObject({ code: 'ABORTED' });
    fx.links[1]!.heal();
    await fx.drive(fx.sync.waitForLag('eu-west', 1_000));
    expect(await fx.writers[1]!.get('k2')).toBe(2);
  });
});

describe('conflicts', () => {
  it('manual: concurrent writes queue (durably), show the newest meanwhile, and resolve everywhere', async () => {
    fx = syncFixture(3, { conflictPolicy: 'manual' });
    const conflictEvents = collectEvents(fx.sync, 'sync:conflict').events;
    await fx.writers[0]!.put('profile:7', { theme: 'dark' });
    await fx.clock.advanceAsync(10);
    await fx.writers[1]!.put('profile:7', { theme: 'light' });
    await fx.converge();
    expect(conflictEvents.length).toBeGreaterThan(0);
    expect(conflictEvents.every((e) => e.queued)).toBe(true);
    const pending = await fx.sync.conflicts();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.versions.map((v) => v.value)).toEqual([{ theme: 'dark' }, { theme: 'light' }]);
    for (const w of fx.writers) expect(await w.get('profile:7')).toEqual({ theme: 'light' });
    expect(fx.sync.status(), JSON.stringify(conflictEvents)).toMatchObject({ conflicts: 1, conflictsPending: 1, conflictsResolved: 0 });

    // The queue lives in the stores: a new engine finds it.
    const again = new CrossRegionSync({ regions: fx.ids.map((id, i) => ({ id, store: fx!.stores[i]! })), clock: fx.clock });
    expect((await again.conflicts()).map((c) => c.key)).toEqual(['profile:7']);
    await again.shutdown();

    const resolved = collectEvents(fx.sync, 'sync:resolved').events;
    await fx.sync.resolve('profile:7', { value: { theme: 'system' } });
    await fx.converge();
    for (const s of fx.stores) expect((await s.getMany(['profile:7']))[0]).toMatchObject({ value: { theme: 'system' } });
    for (const s of fx.stores) expect((await s.getMany(['profile:7']))[0]!.conflicts).toBeUndefined();
    expect(await fx.sync.conflicts()).toEqual([]);
    expect(resolved).toHaveLength(1);
    expect(fx.sync.status()).toMatchObject({ conflictsPending: 0, conflictsResolved: 1 });
    await expect(fx.sync.resolve('profile:7', { value: 1 })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
  });

  it('primary-wins: the higher-priority region keeps its value even when written earlier', async () => {
    fx = syncFixture(3, { conflictPolicy: 'primary-wins' });
    await fx.writers[0]!.put('price', 10);
    await fx.clock.advanceAsync(500);
    await fx.writers[2]!.put('price', 12);
    await fx.converge();
    for (const w of fx.writers) expect(await w.get('price')).toBe(10);
    // Not a conflict: a later write that saw the primary's value wins by causality.
    await fx.writers[2]!.put('price', 11);
    await fx.converge();
    for (const w of fx.writers) expect(await w.get('price')).toBe(11);
    expect(fx.sync.status().conflicts).toBe(1);
  });
});

describe('modes and bad input', () => {
  it('active-passive writes only in the primary; promote moves the writer', async () => {
    fx = syncFixture(3, { mode: 'active-passive', primary: 'us-east' });
    await fx.sync.write('us-east', 'a', 1);
    await expect(fx.sync.write('eu-west', 'a', 2)).rejects.toMatchObject({ code: 'READ_ONLY_REGION' });
    await fx.drive(fx.sync.syncNow());
    expect(fx.sync.status().pairs.map((p) => `${p.from}>${p.to}`)).toEqual(['us-east>eu-west', 'us-east>ap-south']);
    expect(await fx.writers[2]!.get('a')).toBe(1);
    fx.sync.promote('eu-west');
    await fx.sync.write('eu-west', 'b', 2);
    await fx.drive(fx.sync.syncNow());
    expect(await fx.writers[0]!.get('b')).toBe(2);
    expect(await fx.writers[2]!.get('b')).toBe(2);
  });

  it('names what is wrong: value size, key type, region, options', async () => {
    fx = syncFixture(2, { maxValueBytes: 1_000 });
    await expect(fx.sync.write('us-east', 'big', 'x'.repeat(2_000))).rejects.toMatchObject({ code: 'VALUE_TOO_LARGE', message: expect.stringContaining('"big" is 2002 bytes') });
    await expect(fx.sync.write('us-east', 42 as never, 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: 'key must be a string, got number' });
    await expect(fx.sync.write('us-east', 'fn', () => 1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(fx.sync.read('mars-1', 'k')).rejects.toMatchObject({ code: 'REGION_NOT_FOUND', message: 'unknown region "mars-1"; sync knows us-east, eu-west' });
    const bad = meridianErrorOf(() => new CrossRegionSync({ regions: [{ id: 'us-east', store: new MemoryReplicaStore() }], intervalMillis: -5, conflictPolicy: 'newest' as never }));
    expect(bad.code).toBe('INVALID_CONFIG');
    expect(bad.message).toContain('regions');
    expect(bad.message).toContain('intervalMillis');
    expect(bad.message).toContain('conflictPolicy');
    expect(meridianErrorOf(() => new CrossRegionSync({ regions: [{ id: 'a-1', store: new MemoryReplicaStore() }, { id: 'b-1', store: {} as never }] })).message).toContain('regions[1].store');
    // Nothing oversized reached the store.
    expect(await fx.stores[0]!.getMany(['big'])).toEqual([undefined]);
  });

  it('a peer answering garbage is a SYNC_PROTOCOL_ERROR, retried, and nothing is skipped', async () => {
    fx = undefined;
    const clock = new ManualClock(T0);
    const good = new MemoryReplicaStore();
    const target = new MemoryReplicaStore();
    let garbage = true;
    const source = faultyReplicaStore(good, 'us-east');
    const lying = {
      ...source,
      async scan(options: Parameters<typeof good.scan>[0]) {
        const page = await good.scan(options);
        return garbage ? { ...page, records: page.records.map((r) => ({ ...r, version: 'not-a-version' }) as StoredRecord) } : page;
      },
    };
    const sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: lying }, { id: 'eu-west', store: target }], clock, retry: { initialDelayMillis: 100, jitterFraction: 0 } });
    const errors = collectEvents(sync, 'sync:error').events;
    const writer = new ReplicaWriter({ regionId: 'us-east', store: good, clock });
    await sync.syncNow(); // first catch-up (empty)
    await writer.put('k', 1);
    await sync.syncNow();
    expect(errors[0]!.error.code).toBe('SYNC_PROTOCOL_ERROR');
    expect(await target.getMany(['k'])).toEqual([undefined]);
    garbage = false;
    await clock.advanceAsync(1_000);
    await sync.syncNow();
    expect((await target.getMany(['k']))[0]!.value).toBe(1);
    await sync.shutdown();
  });

  it('does not lose a local write that races a replicated one (compare-and-set)', async () => {
    fx = syncFixture(2);
    await fx.sync.write('us-east', 'counter', 1);
    const slowStore = fx.stores[1]!;
    const originalApply = slowStore.apply.bind(slowStore);
    let raced = false;
    slowStore.apply = async (writes, options) => {
      if (!raced && writes.some((w) => w.key === 'counter')) {
        raced = true;
        await fx!.clock.advanceAsync(1);
        await fx!.writers[1]!.put('counter', 2); // a local write lands first, a millisecond later
      }
      return originalApply(writes, options);
    };
    await fx.drive(fx.sync.syncNow());
    await fx.converge();
    const [a, b] = await fx.snapshot();
    expect(a).toEqual(b);
    expect(a!['counter']).toBe(2); // the later write (higher HLC) wins; neither was dropped unseen
    expect(fx.sync.status().conflicts).toBe(1);
  });
});

describe('HLC in writers', () => {
  it('a writer orders its write after what it overwrites, even from a clock behind', async () => {
    const store = new MemoryReplicaStore();
    const ahead = new ReplicaWriter({ regionId: 'us-east', store, hlc: new HybridLogicalClock({ node: 'us-east/a', clock: new ManualClock(T0 + 3_000) }) });
    const behind = new ReplicaWriter({ regionId: 'us-east', store, hlc: new HybridLogicalClock({ node: 'us-east/b', clock: new ManualClock(T0) }) });
    const first = await ahead.put('k', 1);
    const second = await behind.put('k', 2);
    expect(second.version > first.version).toBe(true);
    expect(hlcWall(second.version)).toBe(T0 + 3_000);
    expect(MeridianError.isInstance(meridianErrorOf(() => new ReplicaWriter({ regionId: '', store })))).toBe(true);
    expect((await scanAll(store)).length).toBe(1);
  });
});
