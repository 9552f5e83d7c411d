// Seeded random writes in four regions with partitions and heals: every region
// must end identical and equal to what the policy dictates (a reference model),
// with no acknowledged write lost.
import type { ConflictPolicy } from '@meridian/core';
import { scanAll } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { prng, syncFixture } from './sync-fixture.js';

interface Acked {
  key: string;
  version: string;
  deleted: boolean;
  value: unknown;
}

async function run(seed: number, policy: ConflictPolicy) {
  const random = prng(seed);
  const fx = syncFixture(4, { conflictPolicy: policy, random });
  const acked: Acked[] = [];
  const partitioned = new Set<number>();
  for (let step = 0; step < 60; step++) {
    if (random() < 0.12) {
      const region = Math.floor(random() * 4);
      if (partitioned.has(region)) {
        partitioned.delete(region);
        fx.links[region]!.heal();
      } else if (partitioned.size < 2) {
        partitioned.add(region);
        fx.links[region]!.partition();
      }
    }
    const writes = 1 + Math.floor(random() * 4);
    await Promise.all(
      Array.from({ length: writes }, async () => {
        const region = Math.floor(random() * 4);
        const key = `k${Math.floor(random() * 25)}`;
        const del = random() < 0.15;
        const value = { seed, step, region };
        const ack = del ? await fx.writers[region]!.delete(key) : await fx.writers[region]!.put(key, value);
        acked.push({ key, version: ack.version, deleted: del, value: del ? undefined : value });
      }),
    );
    if (random() < 0.5) await fx.drive(fx.sync.syncNow());
    await fx.clock.advanceAsync(Math.floor(random() * 300));
  }
  await fx.converge(40);
  return { fx, acked };
}

function newestByKey(acked: Acked[]): Map<string, Acked> {
  const out = new Map<string, Acked>();
  for (const a of acked) {
    const known = out.get(a.key);
    if (!known || a.version > known.version) out.set(a.key, a);
  }
  return out;
}

describe('convergence under partitions (seeded)', () => {
  for (const seed of [7, 42, 1234]) {
    it(`latest-wins, seed ${seed}: identical everywhere and equal to the newest acknowledged write per key`, async () => {
      const { fx, acked } = await run(seed, 'latest-wins');
      const snapshots = await fx.snapshot();
      for (const s of snapshots.slice(1)) expect(s).toEqual(snapshots[0]);
      const expected = Object.fromEntries([...newestByKey(acked)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, a]) => [k, a.deleted ? '<deleted>' : a.value]));
      expect(snapshots[0]).toEqual(expected);
      expect(acked.length).toBeGreaterThan(80);
      await fx.sync.shutdown();
    });
  }

  it('manual, seed 99: the same data everywhere, every concurrent version queued, all resolvable', async () => {
    const { fx, acked } = await run(99, 'manual');
    const versions = new Set(acked.map((a) => a.version));
    const newest = newestByKey(acked);
    const records = await Promise.all(fx.stores.map((s) => scanAll(s)));
    const strip = (rs: typeof records[number]) => rs.map(({ seq: _seq, ...r }) => r).sort((a, b) => (a.key < b.key ? -1 : 1));
    for (const rs of records.slice(1)) expect(strip(rs)).toEqual(strip(records[0]!));
    for (const r of records[0]!) {
      expect(r.version).toBe(newest.get(r.key)!.version); // shown meanwhile: the newest
      for (const c of r.conflicts ?? []) expect(versions.has(c.version)).toBe(true); // only real writes queue
    }
    const pending = await fx.sync.conflicts();
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.map((p) => p.key).sort()).toEqual(records[0]!.filter((r) => r.conflicts?.length).map((r) => r.key).sort());
    for (const p of pending) await fx.sync.resolve(p.key, { value: `settled:${p.key}` });
    await fx.converge(40);
    for (const s of fx.stores) {
      for (const r of await scanAll(s)) {
        expect(r.conflicts).toBeUndefined();
        if (pending.some((p) => p.key === r.key)) expect(r.value).toBe(`settled:${r.key}`);
      }
    }
    expect(fx.sync.status().conflictsPending).toBe(0);
    await fx.sync.shutdown();
  });
});
