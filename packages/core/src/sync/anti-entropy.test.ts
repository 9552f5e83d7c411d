import { replicaRecord, scanAll } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import type { ReplicaStore } from '../contracts/replica-store.js';
import { MeridianError } from '../errors/meridian-error.js';
import { merkleDiff } from './anti-entropy.js';
import { MemoryReplicaStore } from './memory-replica-store.js';

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function put(store: ReplicaStore, key: string, value: unknown): Promise<void> {
  const [current] = await store.getMany([key]);
  await store.apply([{ key, record: replicaRecord(key, value), expected: current?.etag ?? null }]);
}

/** What differs, found the slow way: every record of both stores. */
async function naiveDiff(a: ReplicaStore, b: ReplicaStore): Promise<{ aToB: string[]; bToA: string[] }> {
  const [ra, rb] = await Promise.all([scanAll(a), scanAll(b)]);
  const ea = new Map(ra.map((r) => [r.key, r.etag]));
  const eb = new Map(rb.map((r) => [r.key, r.etag]));
  return { aToB: ra.filter((r) => eb.get(r.key) !== r.etag).map((r) => r.key).sort(), bToA: rb.filter((r) => ea.get(r.key) !== r.etag).map((r) => r.key).sort() };
}

const side = (region: string, store: ReplicaStore) => ({ region, store });

/** The keys a direction sends, sorted: `all` is every key of its side. */
async function listed(keys: string[] | 'all', from: ReplicaStore): Promise<string[]> {
  return (keys === 'all' ? (await scanAll(from)).map((r) => r.key) : [...keys]).sort();
}

describe('merkleDiff', () => {
  it('finds exactly the keys that differ, in both directions, whatever the mix', async () => {
    const next = random(11);
    for (const [keys, changes] of [
      [0, 0],
      [1, 1],
      [300, 0],
      [300, 3],
      [2_000, 20],
      [2_000, 400],
    ] as const) {
      const a = new MemoryReplicaStore();
      const b = new MemoryReplicaStore();
      for (let i = 0; i < keys; i++) {
        const record = replicaRecord(`k${i}`, i);
        await a.apply([{ key: record.key, record, expected: null }]);
        await b.apply([{ key: record.key, record, expected: null }]);
      }
      for (let c = 0; c < changes; c++) {
        const roll = next();
        const key = roll < 0.2 ? `new${c}` : `k${Math.floor(next() * keys)}`;
        const store = next() < 0.5 ? a : b;
        if (roll > 0.9) {
          const [current] = await store.getMany([key]);
          if (current) await store.apply([{ key, record: null, expected: current.etag }]); // purged on one side
        } else {
          await put(store, key, `changed ${c}`);
        }
      }
      const diff = await merkleDiff(side('a', a), side('b', b));
      const expected = await naiveDiff(a, b);
      expect({ aToB: await listed(diff.aToB, a), bToA: await listed(diff.bToA, b) }).toEqual(expected);
      if (changes === 0) expect(diff.metadataBytes).toBe(2 * JSON.stringify([[(await a.digest(['']))[0]![0], keys]]).length);
    }
  });

  it('stops at the roots when a side holds nothing: the other sends all, unlisted', async () => {
    const a = new MemoryReplicaStore();
    const b = new MemoryReplicaStore();
    for (let i = 0; i < 20_000; i += 1000) {
      await a.apply(Array.from({ length: 1000 }, (_, j) => ({ key: `k${i + j}`, record: replicaRecord(`k${i + j}`, i + j), expected: null })));
    }
    const calls = { a: 0, b: 0 };
    const counted = (store: ReplicaStore, name: 'a' | 'b'): ReplicaStore => ({
      ...store,
      getMany: store.getMany.bind(store),
      apply: store.apply.bind(store),
      scan: store.scan.bind(store),
      digest: (nodes, options) => ((calls[name] += 1), store.digest(nodes, options)),
      entries: (nodes, options) => ((calls[name] += 1), store.entries(nodes, options)),
    });
    const diff = await merkleDiff(side('a', counted(a, 'a')), side('b', counted(b, 'b')));
    expect(diff).toMatchObject({ aToB: 'all', bToA: [], nodes: 0 });
    expect(calls).toEqual({ a: 1, b: 1 }); // the roots only
    expect(diff.metadataBytes).toBe(JSON.stringify([(await a.digest(['']))[0]]).length + JSON.stringify([(await b.digest(['']))[0]]).length);
    const reverse = await merkleDiff(side('b', b), side('a', a));
    expect(reverse).toMatchObject({ aToB: [], bToA: 'all' });
    expect(await merkleDiff(side('b', b), side('b2', new MemoryReplicaStore()))).toMatchObject({ aToB: [], bToA: [] });
  });

  it('stays exact when a store changes between reading a node and its children', async () => {
    const a = new MemoryReplicaStore();
    const b = new MemoryReplicaStore();
    for (let i = 0; i < 500; i++) {
      const record = replicaRecord(`k${i}`, i);
      await a.apply([{ key: record.key, record, expected: null }]);
      if (i % 2 === 0) await b.apply([{ key: record.key, record, expected: null }]); // b lacks the odd keys
    }
    let writes = 0;
    const busy: ReplicaStore = {
      getMany: a.getMany.bind(a),
      apply: a.apply.bind(a),
      scan: a.scan.bind(a),
      entries: a.entries.bind(a),
      // A writer lands between the walk's reads: the summaries no longer add up.
      digest: async (nodes, options) => {
        if (writes < 5) await put(a, `late${writes++}`, 'during the walk');
        return a.digest(nodes, options);
      },
    };
    const diff = await merkleDiff(side('a', busy), side('b', b));
    const expected = await naiveDiff(a, b);
    // Keys written during the walk may or may not be seen (the push after the walk carries them); the rest is exact.
    expect((diff.aToB as string[]).filter((k) => !k.startsWith('late')).sort()).toEqual(expected.aToB.filter((k) => !k.startsWith('late')));
    expect(expected.aToB.filter((k) => !k.startsWith('late'))).toHaveLength(250);
    expect(diff.bToA).toEqual([]);
  });

  it('refuses a store that answers in tree version 1, naming its region', async () => {
    const a = new MemoryReplicaStore();
    const old = { ...a, digest: async () => ({ '': 'a'.repeat(40) }) } as unknown as ReplicaStore;
    const error = await merkleDiff(side('us-east', a), side('eu-west', old)).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'SYNC_PROTOCOL_ERROR')).toBe(true);
    expect((error as Error).message).toMatch(/replica store of eu-west answered \{"":"a+"\} for 1 nodes.*anti-entropy tree version 2/);
  });
});
