// The data part of the demo: orders written in every region replicate to all of
// them; ru-central is cut off (it hangs), its lag grows while the others keep
// writing, and after it heals every region converges to the same data, with the
// write made on both sides of the partition settled by latest-wins.
import { CrossRegionSync, MeridianError, type ReplicaStore } from '@meridian/core';
import { createLocalReplicaStore, type LocalProvider } from '@meridian/providers-local';
import { log } from './render.js';

const CUT_OFF = 'ru-central';

export async function syncStory(provider: LocalProvider, regionIds: string[]): Promise<void> {
  // Each region's data lives in its own process, reached over HTTP (the local region's /replica API).
  const stores: ReplicaStore[] = regionIds.map((id) => createLocalReplicaStore(provider, id, { timeoutMillis: 300 }));
  const sync = new CrossRegionSync({
    regions: regionIds.map((id, i) => ({ id, store: stores[i]! })),
    conflictPolicy: 'latest-wins',
    intervalMillis: 250, // waitForLag runs a round this often while it waits
    lagThresholdMillis: 1_000,
    retry: { initialDelayMillis: 100, maxDelayMillis: 500 },
  });
  sync.on('sync:lag', (e) => log(`EVENT sync:lag       ${e.regionId.padEnd(10)} ${e.lagging ? `over 1000 ms (${e.lagMillis} ms, ${e.pendingChanges} pending)` : 'back in step'}`));
  sync.on('sync:conflict', (e) => {
    if (e.winner) log(`EVENT sync:conflict  ${e.key} in ${e.regionId}: ${e.versions.length} concurrent writes, kept ${JSON.stringify(e.winner.value)} from ${e.winner.origin}`);
  });
  try {
    // An app calls sync.start() and rounds run every intervalMillis. The demo runs each round itself
    // (syncNow, waitForLag) so that which write is concurrent with which is the same on every run.
    let started = Date.now();
    for (let i = 0; i < 40; i++) await sync.write(regionIds[i % regionIds.length]!, `order:${i}`, { order: i, placedIn: regionIds[i % regionIds.length] });
    for (const id of regionIds) await sync.waitForLag(id, 0, { signal: AbortSignal.timeout(10_000) });
    log(`SYNC     40 writes in ${regionIds.length} regions replicated everywhere in ${Date.now() - started} ms`);

    // The same key written on both sides with no round in between: neither write has seen the other.
    await sync.write('eu-west', 'inventory:sku-1', { stock: 7, by: 'eu-west' });
    await pause(5);
    await sync.write(CUT_OFF, 'inventory:sku-1', { stock: 3, by: CUT_OFF });
    log(`Partitioning ${CUT_OFF} (it accepts connections and never answers) ...`);
    await provider.hang(CUT_OFF);
    for (let i = 40; i < 70; i++) await sync.write(regionIds[i % 3]!, `order:${i}`, { order: i, placedIn: regionIds[i % 3] });
    for (const wait of [400, 600]) {
      await pause(wait);
      await sync.syncNow(); // the pairs towards ru-central time out (300 ms) and back off
      const state = sync.status().regions.find((r) => r.regionId === CUT_OFF)!;
      log(`SYNC lag ${CUT_OFF} ${state.lagMillis} ms behind, ${state.pendingChanges} changes pending, reachable: ${state.reachable}`);
    }

    log(`Healing ${CUT_OFF} ...`);
    await provider.restore(CUT_OFF);
    started = Date.now();
    for (const id of regionIds) await sync.waitForLag(id, 0, { signal: AbortSignal.timeout(15_000) });
    await sync.syncNow(); // one more round so conflicts settled on one side reach the other
    const contents = await Promise.all(stores.map((s) => s.scan({ since: 0, limit: 10_000 })));
    const fingerprint = (i: number) => JSON.stringify(contents[i]!.records.map((r) => [r.key, r.etag]).sort());
    const identical = contents.every((_, i) => fingerprint(i) === fingerprint(0));
    if (!identical) throw new MeridianError('PRECONDITION_FAILED', 'regions hold different data after healing');
    const status = sync.status();
    const sku = await sync.read(CUT_OFF, 'inventory:sku-1');
    log(
      `SYNC     converged in ${Date.now() - started} ms: ${regionIds.length} regions identical (${contents[0]!.records.length} keys); ` +
        `${status.conflicts} conflict resolved (${status.policy}): inventory:sku-1 = ${JSON.stringify(sku)}`,
    );
  } finally {
    await sync.close();
    await Promise.all(stores.map((s) => s.close?.()));
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
