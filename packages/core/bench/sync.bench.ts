// Cross-region sync, measured on the real clock in one process:
//  1. bandwidth-limit accuracy: bytes moved / elapsed against maxBytesPerSecond;
//  2. convergence after healing a partition, 10k keys × 4 regions;
//  3. replication throughput beside a raw store-to-store copy of the same data (between two region
//     processes: packages/providers-local/bench/sync-between-regions.bench.ts, as core cannot depend on providers-local);
//  4. what a Merkle anti-entropy walk reads after 1 % of the keys changed, beside a full copy.
import { randomBytes } from 'node:crypto';
import { CrossRegionSync, MemoryReplicaStore, MeridianError, ReplicaWriter, type ReplicaStore, type StoredRecord } from '@meridian/core';
import { faultyReplicaStore, median, scanAll } from '@meridian/testkit';
import { countingReplicaStore } from './counting-replica-store.js';
import { keptBefore, writeResult } from './report.js';

const REGIONS = ['us-east', 'eu-west', 'ap-south', 'sa-east'];

async function fill(writer: ReplicaWriter, count: number, value: (i: number) => unknown): Promise<void> {
  for (let i = 0; i < count; i += 500) {
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => writer.put(`item:${i + j}`, value(i + j))));
  }
}

/** Syncs until a round moves nothing; returns rounds run. Bounded. */
async function quiesce(sync: CrossRegionSync, maxRounds = 50): Promise<number> {
  for (let round = 1; round <= maxRounds; round++) {
    const report = await sync.syncNow();
    if (report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) return round;
  }
  throw new MeridianError('TIMEOUT', `sync did not settle in ${maxRounds} rounds`);
}

async function bandwidth(configured: number): Promise<Record<string, number>> {
  const source = new MemoryReplicaStore();
  const target = new MemoryReplicaStore();
  const writer = new ReplicaWriter({ regionId: 'us-east', store: source });
  // Random bytes (base64) do not compress: the limit is measured on what a link really carries.
  // About six seconds of transfer at the configured rate, so the fixed cost of a round (Merkle walk,
  // first encode: about 75 ms here) weighs about 1%.
  await fill(writer, Math.ceil((configured * 6) / 8_000), () => randomBytes(6_000).toString('base64'));
  const sync = new CrossRegionSync({
    regions: [
      { id: 'us-east', store: source },
      { id: 'eu-west', store: target },
    ],
    mode: 'active-passive',
    maxBytesPerSecond: configured,
    maxBatchRecords: 25,
  });
  const started = performance.now();
  await sync.syncNow(); // one round carries everything (the first is a Merkle catch-up into an empty target)
  const seconds = (performance.now() - started) / 1000;
  const pair = sync.status().pairs[0]!;
  if (pair.pendingChanges !== 0 || pair.records !== Math.ceil((configured * 6) / 8_000)) throw new MeridianError('PRECONDITION_FAILED', 'bandwidth round did not carry everything');
  await sync.shutdown();
  const burst = Math.max(65_536, Math.floor(configured / 4)); // the default burstBytes: sent before the limit bites
  const measured = (pair.bytesSent - burst) / seconds;
  return { configuredBytesPerSecond: configured, measuredBytesPerSecond: Math.round(measured), ratio: measured / configured, bytes: pair.bytesSent, seconds };
}

async function convergence(keys: number): Promise<Record<string, number>> {
  const stores = REGIONS.map(() => new MemoryReplicaStore());
  const links = stores.map((s, i) => faultyReplicaStore(s, REGIONS[i]));
  const writers = REGIONS.map((id, i) => new ReplicaWriter({ regionId: id, store: stores[i]!, writerId: 'app' }));
  const sync = new CrossRegionSync({
    regions: REGIONS.map((id, i) => ({ id, store: links[i]! })),
    retry: { initialDelayMillis: 1, maxDelayMillis: 1, jitterFraction: 0 },
    maxBatchRecords: 1000,
  });
  await fill(writers[0]!, keys, (i) => ({ sku: i, stock: 10, name: `item ${i}` }));
  await quiesce(sync);
  links[3]!.partition();
  // While sa-east is cut off: 10% of the keys change elsewhere, 2% inside it, some in both (conflicts).
  for (let i = 0; i < keys / 10; i++) await writers[i % 3]!.put(`item:${(i * 7) % keys}`, { sku: i, stock: i % 5, name: 'changed' });
  for (let i = 0; i < keys / 50; i++) await writers[3]!.put(`item:${(i * 13) % keys}`, { sku: i, stock: 99, name: 'local' });
  await sync.syncNow(); // the pairs towards sa-east fail and will catch up by Merkle walk
  links[3]!.heal();
  await new Promise((r) => setTimeout(r, 5));
  const started = performance.now();
  const rounds = await quiesce(sync);
  const millis = performance.now() - started;
  const snapshots = await Promise.all(stores.map((s) => scanAll(s)));
  const canon = (rs: StoredRecord[]) => JSON.stringify(rs.map((r) => [r.key, r.etag]).sort());
  const identical = snapshots.every((s) => canon(s) === canon(snapshots[0]!));
  if (!identical) throw new MeridianError('PRECONDITION_FAILED', 'regions differ after convergence');
  const status = sync.status();
  await sync.shutdown();
  return {
    keys,
    regions: REGIONS.length,
    changedElsewhere: keys / 10,
    changedInPartitioned: keys / 50,
    convergeMillis: Math.round(millis),
    rounds,
    conflicts: status.conflicts,
    goalMillis: 2000,
  };
}

interface Timed {
  seconds: number;
  cpuSeconds: number;
}

/** Wall and CPU time from now until `stop()`. */
function timer(): { stop(): Timed } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return {
    stop: () => {
      const used = process.cpuUsage(cpu);
      return { seconds: (performance.now() - wall) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
    },
  };
}

/** Runs that alternate raw copy and sync (after one of each to warm up), so drift from other load on the machine hits both alike. */
const THROUGHPUT_RUNS = 7;

async function throughput(keys: number): Promise<Record<string, unknown>> {
  const source = new MemoryReplicaStore();
  const writer = new ReplicaWriter({ regionId: 'us-east', store: source });
  await fill(writer, keys, (i) => ({ sku: i, stock: 10, name: `item ${i}`, tags: ['a', 'b', 'c'] }));
  const all = await scanAll(source);
  const rawBytes = all.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);

  // Baseline: a plain copy through the same store API, no versions compared, nothing encoded.
  const rawCopy = async (): Promise<Timed> => {
    const rawTarget: ReplicaStore = new MemoryReplicaStore();
    const started = timer();
    for (let i = 0; i < all.length; i += 500) {
      await rawTarget.apply(all.slice(i, i + 500).map((r) => ({ key: r.key, record: r, expected: null })));
    }
    return started.stop();
  };
  const syncCopy = async (): Promise<Timed & { wireBytes: number; compressionRatio: number }> => {
    const target = new MemoryReplicaStore();
    const sync = new CrossRegionSync({
      regions: [
        { id: 'us-east', store: source },
        { id: 'eu-west', store: target },
      ],
      mode: 'active-passive',
    });
    const started = timer();
    await quiesce(sync);
    const timed = started.stop();
    const pair = sync.status().pairs[0]!;
    await sync.close();
    if (target.size !== keys) throw new MeridianError('PRECONDITION_FAILED', `sync carried ${target.size} of ${keys} keys`);
    return { ...timed, wireBytes: pair.bytesSent, compressionRatio: pair.rawBytes / pair.bytesSent };
  };
  const raw: Timed[] = [];
  const synced: Array<Timed & { wireBytes: number; compressionRatio: number }> = [];
  await rawCopy();
  await syncCopy();
  for (let run = 0; run < THROUGHPUT_RUNS; run++) {
    // Alternate which goes first, so a slow spell of the machine does not always land on the same side.
    if (run % 2 === 0) {
      raw.push(await rawCopy());
      synced.push(await syncCopy());
    } else {
      synced.push(await syncCopy());
      raw.push(await rawCopy());
    }
  }
  const ratios = raw.map((r, i) => r.seconds / synced[i]!.seconds);
  const cpuRatios = raw.map((r, i) => r.cpuSeconds / synced[i]!.cpuSeconds);
  const rawSeconds = median(raw.map((r) => r.seconds));
  const syncSeconds = median(synced.map((s) => s.seconds));
  return {
    keys,
    runs: THROUGHPUT_RUNS,
    dataMB: rawBytes / 1e6,
    rawCopyKeysPerSecond: Math.round(keys / rawSeconds),
    syncKeysPerSecond: Math.round(keys / syncSeconds),
    syncMBPerSecond: rawBytes / 1e6 / syncSeconds,
    rawCopyMBPerSecond: rawBytes / 1e6 / rawSeconds,
    /** Median of the per-run ratios (raw copy time / sync time, measured back to back). */
    ratioToRawCopy: median(ratios),
    ratioSamples: ratios,
    /** The same on CPU time (this process, all threads): steadier than wall time when other work shares the cores. */
    cpuRatioToRawCopy: median(cpuRatios),
    cpuRatioSamples: cpuRatios,
    wireBytes: synced[0]!.wireBytes,
    compressionRatio: synced[0]!.compressionRatio,
  };
}

/**
 * One anti-entropy walk after `changed` of `keys` keys changed in one region,
 * beside a full copy of the same data (uncompressed frames, as the replication
 * test measures it). Counted twice: by the Syncer (`metadataBytes`, what the
 * walk read) and by a wrapper around each store (JSON sent and read).
 */
async function antiEntropy(keys: number, changed: number): Promise<Record<string, number>> {
  const a = countingReplicaStore(new MemoryReplicaStore());
  const b = countingReplicaStore(new MemoryReplicaStore());
  const writer = new ReplicaWriter({ regionId: 'us-east', store: a.store });
  const sync = new CrossRegionSync({
    regions: [
      { id: 'us-east', store: a.store },
      { id: 'eu-west', store: b.store },
    ],
    compression: 'none',
    maxBatchRecords: 1000,
  });
  await fill(writer, keys, (i) => ({ k: `item:${i}`, stock: 10 }));
  await quiesce(sync);
  const fullCopy = sync.status().pairs.find((p) => p.from === 'us-east')!.bytesSent;
  // Spread over the key space like the replication test: every 97th key.
  for (let i = 0; i < changed; i++) await writer.put(`item:${(i * 97) % keys}`, { k: `item:${(i * 97) % keys}`, stock: i });
  const metaBefore = sync.status().pairs.reduce((n, p) => n + p.metadataBytes, 0);
  const sentBefore = a.count.sent + b.count.sent;
  const readBefore = a.count.read + b.count.read;
  const report = await sync.antiEntropy();
  const moved = report.pairs.reduce((n, p) => n + p.records, 0);
  if (moved !== changed) throw new MeridianError('PRECONDITION_FAILED', `the walk moved ${moved} records for ${changed} changed`);
  const metadataBytes = sync.status().pairs.reduce((n, p) => n + p.metadataBytes, 0) - metaBefore;
  const read = a.count.read + b.count.read - readBefore;
  const sent = a.count.sent + b.count.sent - sentBefore;
  await sync.close();
  return {
    keys,
    changed,
    fullCopyBytes: fullCopy,
    metadataBytes,
    ratioToFullCopy: metadataBytes / fullCopy,
    countedReadBytes: read,
    countedSentBytes: sent,
    sentAndReadRatioToFullCopy: (read + sent) / fullCopy,
    goalRatio: 0.03,
  };
}

async function main(): Promise<void> {
  // Meridian's timers are unref'd (an engine never keeps a host alive): hold the process open ourselves.
  const keepAlive = setInterval(() => undefined, 1_000);
  const limit = [];
  for (const configured of [1_000_000, 4_000_000]) limit.push(await bandwidth(configured));
  const converge = await convergence(10_000);
  const speed = await throughput(20_000);
  const walk = await antiEntropy(10_000, 100);
  for (const l of limit) console.log(`bandwidth limit ${l.configuredBytesPerSecond} B/s: measured ${l.measuredBytesPerSecond} B/s = ${l.ratio!.toFixed(3)}× configured (goal 0.95–1.05)`);
  console.log(`convergence after heal, ${converge.keys} keys × ${converge.regions} regions: ${converge.convergeMillis} ms in ${converge.rounds} rounds (goal < 2000 ms), ${converge.conflicts} conflicts settled`);
  console.log(
    `throughput: sync ${speed.syncKeysPerSecond} keys/s (${(speed.syncMBPerSecond as number).toFixed(1)} MB/s) vs raw copy ${speed.rawCopyKeysPerSecond} keys/s: ${(speed.ratioToRawCopy as number).toFixed(2)}× of raw (median of ${speed.runs}: ${(speed.ratioSamples as number[]).map((r) => r.toFixed(2)).join(', ')}; on CPU time ${(speed.cpuRatioToRawCopy as number).toFixed(2)}×: ${(speed.cpuRatioSamples as number[]).map((r) => r.toFixed(2)).join(', ')}); wire compression ${(speed.compressionRatio as number).toFixed(1)}×`,
  );
  console.log(
    `anti-entropy after ${walk.changed} of ${walk.keys} keys changed: ${walk.metadataBytes} B of metadata read = ${(100 * walk.ratioToFullCopy!).toFixed(2)} % of a full copy (${walk.fullCopyBytes} B; goal ≤ 3 %); with what was sent: ${(100 * walk.sentAndReadRatioToFullCopy!).toFixed(2)} %`,
  );
  const path = writeResult('sync', { ...keptBefore('sync'), bandwidthLimit: limit, convergence: converge, throughput: speed, antiEntropy: walk });
  console.log(`wrote ${path}`);
  clearInterval(keepAlive);
}

await main();
