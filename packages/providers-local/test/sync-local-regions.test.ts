// CrossRegionSync over real local regions (child processes, HTTP on loopback):
// a region that hangs, one that answers 500s, one that is killed and comes back
// empty. Every acknowledged write must be in every region afterwards.
import { CrossRegionSync, ReplicaWriter, type ReplicaStore } from '@meridian/core';
import { createLocalProvider, createLocalReplicaStore, type LocalProvider } from '@meridian/providers-local';
import { collectEvents, findLeakedProcesses, scanAll, seedRegions, startChaosProxy } from '@meridian/testkit';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';

const REGIONS = seedRegions(3);
const IDS = REGIONS.map((r) => r.id);
const pids = new Set<number>();

let provider: LocalProvider;
let stores: ReplicaStore[];
let sync: CrossRegionSync;
let writers: ReplicaWriter[];
const acked = new Map<string, unknown>();

beforeEach(async () => {
  provider = createLocalProvider({ regions: REGIONS });
  await provider.deploy({ name: 'sync-it', regions: [] });
  for (const pid of provider.pids()) pids.add(pid);
  stores = IDS.map((id) => createLocalReplicaStore(provider, id, { timeoutMillis: 300 }));
  // The writers are the apps in each region: they talk to their own region only.
  writers = IDS.map((id, i) => new ReplicaWriter({ regionId: id, store: stores[i]!, writerId: 'app' }));
  sync = new CrossRegionSync({ regions: IDS.map((id, i) => ({ id, store: stores[i]! })), retry: { initialDelayMillis: 20, maxDelayMillis: 100, jitterFraction: 0 } });
  acked.clear();
});

afterEach(async () => {
  await sync.shutdown();
  await Promise.all(stores.map((s) => s.close?.()));
  await provider.stop();
});

afterAll(async () => {
  expect(await findLeakedProcesses([...pids])).toEqual([]);
});

async function write(region: number, key: string, value: unknown): Promise<void> {
  await writers[region]!.put(key, value);
  acked.set(key, value);
}

/** Syncs until a round moves nothing, waiting out backoffs on the real clock (bounded). */
async function converge(maxRounds = 40): Promise<void> {
  for (let i = 0; i < maxRounds; i++) {
    const report = await sync.syncNow();
    if (report.pairs.length === IDS.length * (IDS.length - 1) && report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) return;
    await new Promise((r) => setTimeout(r, 110));
  }
  throw new Error(`no quiescence after ${maxRounds} rounds: ${JSON.stringify(sync.status().pairs.map((p) => [p.from, p.to, p.state, p.lastError?.message]))}`);
}

async function expectEverywhere(): Promise<void> {
  for (const store of stores) {
    const data = Object.fromEntries((await scanAll(store)).map((r) => [r.key, r.value]));
    expect(data).toEqual(Object.fromEntries(acked));
  }
}

describe('sync between local regions', () => {
  it('a hung region falls behind with STORE_UNAVAILABLE, then catches up; nothing lost', async () => {
    await write(0, 'a', 1);
    await converge();
    await provider.hang(IDS[2]!);
    const errors = collectEvents(sync, 'sync:error').events;
    for (let i = 0; i < 20; i++) await write(i % 2, `during:${i}`, { i });
    await sync.syncNow();
    expect(errors.some((e) => e.to === IDS[2] && e.error.code === 'STORE_UNAVAILABLE')).toBe(true);
    expect(sync.status().regions.find((r) => r.regionId === IDS[2])!.reachable).toBe(false);
    await provider.restore(IDS[2]!);
    await converge();
    await expectEverywhere();
  });

  it('a region answering 500s to half the calls still converges; nothing lost', async () => {
    await provider.failRate(IDS[1]!, 0.5);
    for (let i = 0; i < 30; i++) await write(i % 3 === 1 ? 0 : i % 3, `flaky:${i}`, i);
    for (let i = 0; i < 10; i++) {
      await sync.syncNow();
      await new Promise((r) => setTimeout(r, 110));
    }
    await provider.restore(IDS[1]!);
    await converge();
    await expectEverywhere();
  });

  it('a killed region comes back empty and is refilled by anti-entropy', async () => {
    for (let i = 0; i < 50; i++) await write(i % 3, `k:${i}`, { i });
    await converge();
    await provider.kill(IDS[0]!);
    await write(1, 'while-down', true);
    const failed = await sync.syncNow();
    // Every pair touching the dead region notices in the same round, even those with nothing to send.
    expect(failed.pairs.filter((p) => p.from === IDS[0] || p.to === IDS[0]).map((p) => p.ok)).toEqual([false, false, false, false]);
    expect(failed.pairs.filter((p) => p.from !== IDS[0] && p.to !== IDS[0]).map((p) => p.ok)).toEqual([true, true]);
    await provider.restore(IDS[0]!); // a new process: its memory is empty
    expect((await scanAll(stores[0]!)).length).toBe(0);
    await converge();
    await expectEverywhere();
    const status = sync.status();
    expect(status.regions.every((r) => r.reachable && r.lagMillis === 0)).toBe(true);
  });

  it('a partition between the syncer and a region (chaos proxy blackhole) while both sides write: nothing lost after heal', async () => {
    // ap-south is reached through a TCP proxy; its own app writes past it, as an app inside the region does.
    const endpoint = (await provider.status(IDS[2]!)).endpoint!;
    const proxy = await startChaosProxy({ target: { port: Number(new URL(endpoint).port) } });
    const behind = createLocalReplicaStore({ endpoint: proxy.url, timeoutMillis: 300 });
    const cut = new CrossRegionSync({
      regions: [
        { id: IDS[0]!, store: stores[0]! },
        { id: IDS[1]!, store: stores[1]! },
        { id: IDS[2]!, store: behind },
      ],
      retry: { initialDelayMillis: 20, maxDelayMillis: 100, jitterFraction: 0 },
    });
    try {
      await write(0, 'before', 1);
      for (let i = 0; i < 3; i++) await cut.syncNow();
      proxy.setFault({ blackhole: true });
      for (let i = 0; i < 10; i++) {
        await write(i % 3, `split:${i}`, { i }); // region 2 keeps writing inside the partition
        await cut.syncNow();
      }
      expect(cut.status().regions.find((r) => r.regionId === IDS[2])).toMatchObject({ reachable: false });
      expect(cut.status().pairs.filter((p) => p.to === IDS[2]).every((p) => p.lastError?.code === 'STORE_UNAVAILABLE')).toBe(true);
      proxy.heal();
      for (let i = 0; i < 40; i++) {
        await new Promise((r) => setTimeout(r, 110));
        const report = await cut.syncNow();
        if (report.pairs.length === 6 && report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) break;
      }
      await expectEverywhere();
      expect(cut.status().regions.every((r) => r.reachable && r.lagMillis === 0)).toBe(true);
    } finally {
      await cut.shutdown();
      await behind.close();
      await proxy.close();
    }
  });
});
