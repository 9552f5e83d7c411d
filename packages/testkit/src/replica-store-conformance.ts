import { CrossRegionSync, ManualClock, MemoryReplicaStore, MeridianError, ReplicaWriter, encodeHlc, type MerkleSummary, type ReplicaRecord, type ReplicaStore, type StoredRecord } from '@meridian/core';
import { EMPTY_SUMMARY, childrenOf, fingerprintOf, hashInNode, keyHash, leafOf, merkleSummaries, nodeName, parseNode, recordEtag, xorFingerprints } from '@meridian/core/spi';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

/** What a ReplicaStore backend gives the conformance suite. */
export interface ReplicaStoreFixture {
  store: ReplicaStore;
  /** Closes and opens the same data again (durable stores only). */
  reopen?(): Promise<ReplicaStore>;
  close?(): Promise<void>;
}

const coded = (code: string) => (e: unknown) => MeridianError.hasCode(e, code as never);

let wall = 1_790_000_000_000;
/** A record as a region would write it; each call gets a newer version. */
export function replicaRecord(key: string, value: unknown, origin = 'us-east', extra: Partial<ReplicaRecord> = {}): ReplicaRecord {
  const version = encodeHlc({ wall: wall++, logical: 0, node: origin });
  return { key, value, deleted: false, version, origin, vv: { [origin]: version }, ...extra };
}

/** Everything a store holds, through its own scan. */
export async function scanAll(store: ReplicaStore): Promise<StoredRecord[]> {
  const out: StoredRecord[] = [];
  let since = 0;
  for (;;) {
    const page = await store.scan({ since, limit: 500 });
    out.push(...page.records);
    if (page.records.length === 0 || page.remaining === 0) return out;
    since = page.records[page.records.length - 1]!.seq;
  }
}

/** Tree summaries computed from the records by core's reference implementation. */
export function referenceSummaries(records: readonly StoredRecord[], nodes: readonly string[]): MerkleSummary[] {
  return merkleSummaries(records, nodes);
}

/** A node's summary as its two children combine it. */
function combined(zero: MerkleSummary, one: MerkleSummary): MerkleSummary {
  return [xorFingerprints(zero[0], one[0]), zero[1] + one[1]];
}

/**
 * The behaviour every ReplicaStore must have (memory, file, local region API,
 * Redis): compare-and-set writes, tombstones and purges, ordered change scans
 * with origin filter and paging, anti-entropy tree summaries identical to
 * core's reference at every depth, entries of any node, input validation,
 * abort, and (when durable) surviving a reopen.
 */
export function runReplicaStoreConformance(name: string, makeFixture: () => Promise<ReplicaStoreFixture>, options: { durable?: boolean } = {}): void {
  describe(`ReplicaStore conformance: ${name}`, () => {
    let fx: ReplicaStoreFixture;
    let store: ReplicaStore;
    beforeEach(async () => {
      fx = await makeFixture();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.close?.();
    });

    it('starts empty', async () => {
      expect(await store.getMany(['a', 'b'])).toEqual([undefined, undefined]);
      expect(await store.scan({ since: 0, limit: 10 })).toEqual({ records: [], remaining: 0, head: 0 });
      expect(await store.digest(['', '0/1', 'ab', 'a4/7', '0123456789abcdef'])).toEqual(Array.from({ length: 5 }, () => EMPTY_SUMMARY));
      expect(await store.entries(['', '000', 'fff', '8/1'])).toEqual([]);
    });

    it('writes when the key is absent and returns the record with its seq and etag', async () => {
      const key = 'ключ/🙂 with spaces:1';
      const record = replicaRecord(key, { nested: { list: [1, 'two', null, true] }, n: 1.5 });
      expect(await store.apply([{ key, record, expected: null }])).toEqual({ applied: [key], rejected: [] });
      const [stored] = await store.getMany([key]);
      expect(stored).toMatchObject({ ...record, etag: recordEtag(record) });
      expect(stored!.seq).toBeGreaterThan(0);
    });

    it('is a compare-and-set: a stale or missing precondition changes nothing', async () => {
      const first = replicaRecord('k', 1);
      await store.apply([{ key: 'k', record: first, expected: null }]);
      const second = replicaRecord('k', 2);
      expect(await store.apply([{ key: 'k', record: second, expected: null }])).toEqual({ applied: [], rejected: ['k'] });
      expect(await store.apply([{ key: 'k', record: second, expected: recordEtag(second) }])).toEqual({ applied: [], rejected: ['k'] });
      expect((await store.getMany(['k']))[0]!.value).toBe(1);
      const before = (await store.getMany(['k']))[0]!;
      expect(await store.apply([{ key: 'k', record: second, expected: before.etag }])).toEqual({ applied: ['k'], rejected: [] });
      const after = (await store.getMany(['k']))[0]!;
      expect(after.value).toBe(2);
      expect(after.seq).toBeGreaterThan(before.seq);
      expect(await store.apply([{ key: 'absent', record: null, expected: before.etag }])).toEqual({ applied: [], rejected: ['absent'] });
    });

    it('applies each write of a batch on its own', async () => {
      await store.apply([{ key: 'taken', record: replicaRecord('taken', 0), expected: null }]);
      const result = await store.apply([
        { key: 'a', record: replicaRecord('a', 1), expected: null },
        { key: 'taken', record: replicaRecord('taken', 1), expected: null },
        { key: 'b', record: replicaRecord('b', 2), expected: null },
      ]);
      expect(result).toEqual({ applied: ['a', 'b'], rejected: ['taken'] });
      expect((await store.getMany(['a', 'taken', 'b'])).map((r) => r?.value)).toEqual([1, 0, 2]);
    });

    it('keeps tombstones and conflict versions, and purges keys entirely', async () => {
      const tomb = replicaRecord('gone', undefined, 'eu-west', { deleted: true });
      delete tomb.value;
      const sibling = replicaRecord('c', 'theirs', 'ap-south');
      const withConflicts = replicaRecord('c', 'ours', 'us-east', {
        conflicts: [{ value: sibling.value, deleted: false, version: sibling.version, origin: sibling.origin }],
      });
      await store.apply([
        { key: 'gone', record: tomb, expected: null },
        { key: 'c', record: withConflicts, expected: null },
      ]);
      const [g, c] = await store.getMany(['gone', 'c']);
      expect(g).toMatchObject({ deleted: true, etag: recordEtag(tomb) });
      expect(g!.value).toBeUndefined();
      expect(c!.conflicts).toEqual(withConflicts.conflicts);
      expect(c!.etag).toBe(recordEtag(withConflicts));
      expect(await store.apply([{ key: 'gone', record: null, expected: g!.etag }])).toEqual({ applied: ['gone'], rejected: [] });
      expect(await store.getMany(['gone'])).toEqual([undefined]);
      expect((await scanAll(store)).map((r) => r.key)).toEqual(['c']);
    });

    it('scans changes in sequence order, by origin, in pages with the count remaining', async () => {
      for (let i = 0; i < 7; i++) {
        const origin = i % 2 === 0 ? 'us-east' : 'eu-west';
        await store.apply([{ key: `k${i}`, record: replicaRecord(`k${i}`, i, origin), expected: null }]);
      }
      const k0 = (await store.getMany(['k0']))[0]!;
      await store.apply([{ key: 'k0', record: replicaRecord('k0', 'again'), expected: k0.etag }]);
      const all = await store.scan({ since: 0, limit: 100 });
      expect(all.records.map((r) => r.key)).toEqual(['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k0']);
      expect(all.head).toBe(all.records.at(-1)!.seq);
      const seqs = all.records.map((r) => r.seq);
      expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
      const page = await store.scan({ since: 0, limit: 2, origin: 'us-east' });
      expect(page.records.map((r) => r.key)).toEqual(['k2', 'k4']);
      expect(page.remaining).toBe(2);
      const next = await store.scan({ since: page.records[1]!.seq, limit: 10, origin: 'us-east' });
      expect(next.records.map((r) => r.key)).toEqual(['k6', 'k0']);
      expect(next.remaining).toBe(0);
      expect((await store.scan({ since: all.head, limit: 10 })).records).toEqual([]);
      // Any safe integer is a valid cursor: the Syncer reads the head this way without counting records.
      expect(await store.scan({ since: Number.MAX_SAFE_INTEGER, limit: 1 })).toEqual({ records: [], remaining: 0, head: all.head });
    });

    it('gives tree summaries equal to the reference at every depth, changing only along the path of a changed key', async () => {
      const writes = Array.from({ length: 300 }, (_, i) => ({ key: `user:${i}`, record: replicaRecord(`user:${i}`, { i }), expected: null }));
      await store.apply(writes);
      const key = 'user:42';
      const hash = keyHash(key);
      // Above, at and below the storage leaves, whole hex digits and not.
      const path = [0, 1, 2, 3, 4, 7, 8, 11, 12, 13, 15, 16, 20, 40, 64].map((bits) => nodeName(hash, bits));
      const elsewhere = parseInt(hash[0]!, 16) < 8 ? '8/1' : '0/1';
      const nodes = [...path, elsewhere, ...'0123456789abcdef'.split(''), '00', '3f', 'a0', 'ff', '000', '3fa', 'fff', '4/2', 'c/2', 'a4/7'];
      const before = await store.digest(nodes);
      expect(before).toEqual(referenceSummaries(await scanAll(store), nodes));
      expect(before[0]![1]).toBe(300);
      // A node is its two children combined, so a walk can infer one child from the other.
      for (const name of ['', 'a', '3f', '000', nodeName(hash, 13), nodeName(hash, 30)]) {
        const [node, zero, one] = await store.digest([name, ...childrenOf(parseNode(name)!)]);
        expect(combined(zero!, one!)).toEqual(node);
      }

      const current = (await store.getMany([key]))[0]!;
      const next = replicaRecord(key, { i: 'changed' });
      await store.apply([{ key, record: next, expected: current.etag }]);
      const after = await store.digest(nodes);
      expect(after).toEqual(referenceSummaries(await scanAll(store), nodes));
      expect(await store.digest([])).toEqual([]);
      path.forEach((_, i) => expect(after[i]![0]).not.toBe(before[i]![0]));
      expect(after[path.length]).toEqual(before[path.length]); // the other half of the tree
      // Deep enough, the node holds the key alone: its fingerprint is the record's.
      expect(after[path.length - 1]).toEqual([fingerprintOf(recordEtag(next)), 1]);
    });

    it('lists the records of any node as [key, fingerprint] entries', async () => {
      const keys = Array.from({ length: 40 }, (_, i) => `e${i}`);
      await store.apply(keys.map((key) => ({ key, record: replicaRecord(key, key), expected: null })));
      const stored = (await store.getMany(keys)).map((r) => r!);
      const hash = keyHash('e7');
      for (const name of ['', '8/1', leafOf(hash), nodeName(hash, 13), nodeName(hash, 64)]) {
        const node = parseNode(name)!;
        const expected = stored.filter((r) => hashInNode(keyHash(r.key), node)).map((r) => [r.key, fingerprintOf(r.etag)]);
        const got = await store.entries([name]);
        expect([...got].sort((x, y) => x[0].localeCompare(y[0]))).toEqual(expected.sort((x, y) => x[0]!.localeCompare(y[0]!)));
      }
      // Several nodes in one call: their entries together.
      expect((await store.entries(['0/1', '8/1'])).map(([key]) => key).sort()).toEqual([...keys].sort());
    });

    it('lets exactly one of two racing writers with the same precondition win', async () => {
      await store.apply([{ key: 'race', record: replicaRecord('race', 0), expected: null }]);
      const base = (await store.getMany(['race']))[0]!;
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) => store.apply([{ key: 'race', record: replicaRecord('race', i + 1), expected: base.etag }])),
      );
      expect(results.filter((r) => r.applied.length === 1)).toHaveLength(1);
      expect(results.filter((r) => r.rejected.length === 1)).toHaveLength(7);
    });

    it('as a sync target: a record written between the walk and the catch-up is settled as a conflict, not overwritten', async () => {
      // The catch-up writes keys the walk found absent without reading them first; only this store's
      // compare-and-set on `expected: null` stands between a write that landed meanwhile and its loss.
      const clock = new ManualClock(1_790_000_000_000);
      const source = new MemoryReplicaStore();
      const remote = new ReplicaWriter({ regionId: 'us-east', store: source, clock, writerId: 'app' });
      for (let i = 0; i < 40; i++) await remote.put(`item:${i}`, { i });
      await clock.advanceAsync(10);
      const local = new ReplicaWriter({ regionId: 'eu-west', store, clock, writerId: 'app' });
      let raced = false;
      const target: ReplicaStore = {
        getMany: (keys, options) => store.getMany(keys, options),
        apply: async (writes, options) => {
          if (!raced) {
            raced = true;
            await local.put('item:7', { local: true });
          }
          return store.apply(writes, options);
        },
        scan: (options) => store.scan(options),
        digest: (nodes, options) => store.digest(nodes, options),
        entries: (nodes, options) => store.entries(nodes, options),
      };
      const sync = new CrossRegionSync({ regions: [{ id: 'us-east', store: source }, { id: 'eu-west', store: target }], mode: 'active-passive', clock, conflictPolicy: 'manual' });
      try {
        const conflicts: string[] = [];
        sync.on('sync:conflict', (e) => conflicts.push(e.key));
        expect((await sync.syncNow()).pairs).toMatchObject([{ ok: true, catchUp: true }]);
        expect(raced).toBe(true);
        expect(conflicts).toEqual(['item:7']);
        const [held] = await store.getMany(['item:7']);
        const versions = [held!, ...(held!.conflicts ?? [])].map((v) => v.value);
        expect(versions).toHaveLength(2);
        expect(versions).toEqual(expect.arrayContaining([{ local: true }, { i: 7 }]));
        expect(await scanAll(store)).toHaveLength(40);
      } finally {
        await sync.close();
      }
    });

    it('rejects bad input with INVALID_ARGUMENT and writes nothing of the batch', async () => {
      const good = { key: 'fine', record: replicaRecord('fine', 1), expected: null };
      await expect(store.apply([good, { key: 42 as never, record: replicaRecord('x', 1), expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.apply([good, { key: 'other', record: replicaRecord('x', 1), expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.apply([{ key: 'v', record: { ...replicaRecord('v', 1), version: 'yesterday' }, expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.apply([{ key: 'e', record: replicaRecord('e', 1), expected: 'not-an-etag' }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.apply([{ key: 'bad\u0000key', record: replicaRecord('bad\u0000key', 1), expected: null }])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      expect(await store.getMany(['fine'])).toEqual([undefined]);
      await expect(store.digest(['xyz'])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.digest(['0'.repeat(17)])).rejects.toSatisfy(coded('INVALID_ARGUMENT')); // deeper than MERKLE_MAX_BITS
      await expect(store.digest(['9/1'])).rejects.toSatisfy(coded('INVALID_ARGUMENT')); // a bit past the node's set
      await expect(store.digest(['a/4'])).rejects.toSatisfy(coded('INVALID_ARGUMENT')); // whole digits take no "/bits"
      await expect(store.entries(['A'])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.scan({ since: -1, limit: 1 })).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
      await expect(store.getMany([7 as never])).rejects.toSatisfy(coded('INVALID_ARGUMENT'));
    });

    it('stops when aborted', async () => {
      const controller = new AbortController();
      controller.abort(new Error('stop'));
      await expect(store.getMany(['a'], { signal: controller.signal })).rejects.toSatisfy(coded('ABORTED'));
      await expect(store.apply([{ key: 'a', record: replicaRecord('a', 1), expected: null }], { signal: controller.signal })).rejects.toSatisfy(coded('ABORTED'));
      expect(await store.getMany(['a'])).toEqual([undefined]);
    });

    // Only durable stores promise this; the suite defines the case for them instead of skipping it elsewhere.
    if (!options.durable) return;
    it('keeps records, etags and sequence across a reopen', async () => {
      if (!fx.reopen) throw new Error(`${name} is declared durable but its fixture has no reopen()`);
      await store.apply([{ key: 'durable', record: replicaRecord('durable', { kept: true }), expected: null }]);
      const before = (await store.getMany(['durable']))[0]!;
      store = await fx.reopen();
      const after = (await store.getMany(['durable']))[0]!;
      expect(after).toEqual(before);
      await store.apply([{ key: 'next', record: replicaRecord('next', 1), expected: null }]);
      expect((await store.getMany(['next']))[0]!.seq).toBeGreaterThan(before.seq);
    });
  });
}
