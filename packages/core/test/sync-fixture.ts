// Shared setup for the Syncer tests: memory stores behind cuttable links, one
// in-region writer per region (it writes past the link, as an app in the region does).
import { CrossRegionSync, ManualClock, MemoryReplicaStore, ReplicaWriter, type CrossRegionSyncOptions, type StoredRecord } from '@meridian/core';
import { faultyReplicaStore, scanAll, settle, type FaultyReplicaStore } from '@meridian/testkit';
import { expect } from 'vitest';

export const IDS = ['us-east', 'eu-west', 'ap-south', 'sa-east'] as const;
export const T0 = 1_790_000_000_000;

export interface SyncFixture {
  clock: ManualClock;
  ids: string[];
  stores: MemoryReplicaStore[];
  links: FaultyReplicaStore[];
  writers: ReplicaWriter[];
  sync: CrossRegionSync;
  /** Settles `promise` while moving virtual time in small steps (bounded). */
  drive<T>(promise: Promise<T>, stepMillis?: number, maxSteps?: number): Promise<T>;
  /** Moves virtual time until `check` holds (bounded); throws when it never does. */
  until(check: () => Promise<boolean>, stepMillis?: number, maxSteps?: number): Promise<void>;
  /** Heals every link, waits out backoffs and syncs until nothing moves (bounded). */
  converge(maxRounds?: number): Promise<void>;
  /** Every region's data as `key → value | '<deleted>'`. */
  snapshot(): Promise<Array<Record<string, unknown>>>;
}

export function syncFixture(regions = 3, options: Partial<CrossRegionSyncOptions> = {}): SyncFixture {
  const clock = new ManualClock(T0);
  const ids = IDS.slice(0, regions) as string[];
  const stores = ids.map(() => new MemoryReplicaStore());
  const links = stores.map((s, i) => faultyReplicaStore(s, ids[i]));
  const sync = new CrossRegionSync({
    regions: ids.map((id, i) => ({ id, store: links[i]! })),
    clock,
    retry: { initialDelayMillis: 100, maxDelayMillis: 1_000, jitterFraction: 0 },
    ...options,
  });
  const writers = ids.map((id, i) => new ReplicaWriter({ regionId: id, store: stores[i]!, clock, writerId: 'app' }));
  const drive = async <T>(promise: Promise<T>, stepMillis = 50, maxSteps = 10_000): Promise<T> => {
    let settled = false;
    const p = promise.finally(() => (settled = true));
    p.catch(() => undefined);
    for (let i = 0; i < maxSteps && !settled; i++) {
      await settle(2);
      if (!settled) await clock.advanceAsync(stepMillis);
    }
    return p;
  };
  const until = async (check: () => Promise<boolean>, stepMillis = 100, maxSteps = 500): Promise<void> => {
    for (let i = 0; i < maxSteps; i++) {
      if (await check()) return;
      await settle(2);
      await clock.advanceAsync(stepMillis);
    }
    throw new Error(`condition not met within ${maxSteps} steps of ${stepMillis} ms`);
  };
  return {
    clock,
    ids,
    until,
    stores,
    links,
    writers,
    sync,
    drive,
    async converge(maxRounds = 20) {
      for (const link of links) link.heal();
      await clock.advanceAsync(2_000);
      for (let i = 0; i < maxRounds; i++) {
        const report = await drive(sync.syncNow());
        if (report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) return;
      }
      throw new Error(`no quiescence after ${maxRounds} rounds`);
    },
    async snapshot() {
      return Promise.all(
        stores.map(async (s) => Object.fromEntries((await scanAll(s)).sort(byKey).map((r) => [r.key, r.deleted ? '<deleted>' : r.value]))),
      );
    },
  };
}

/**
 * Writes 200 records of 900 B in the first region, syncs them on virtual time and checks the rate
 * us-east sent at, less the burst, is within ±5 % of `bytesPerSecond` (the fixture's pair must carry
 * that limit, uncompressed, 20 records a batch).
 */
export async function expectBandwidthHeld(fx: SyncFixture, bytesPerSecond: number, burstBytes: number): Promise<void> {
  for (let i = 0; i < 200; i++) await fx.writers[0]!.put(`blob:${i}`, 'x'.repeat(900));
  const started = fx.clock.now();
  await fx.drive(fx.sync.syncNow(), 10);
  const elapsed = (fx.clock.now() - started) / 1000;
  const bytes = fx.sync.status().pairs.find((p) => p.from === 'us-east')!.bytesSent;
  expect(bytes).toBeGreaterThan(180_000);
  const rate = (bytes - burstBytes) / elapsed;
  expect(rate / bytesPerSecond).toBeGreaterThan(0.95);
  expect(rate / bytesPerSecond).toBeLessThan(1.05);
}

const byKey = (a: StoredRecord, b: StoredRecord): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** mulberry32: a seeded PRNG so a failing random run can be replayed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
