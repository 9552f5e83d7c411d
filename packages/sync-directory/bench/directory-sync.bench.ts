// Directory sync against rsync, on the real clock and the real disk, in one process:
//  1. throughput: 10 000 small files + one 200 MB file from one local directory into an empty one, as a
//     ratio of `rsync -a --whole-file` on the same data (alternating runs, medians);
//  2. delta efficiency: bytes sent for a 1-byte change in the 200 MB file, beside `rsync -a --no-whole-file --stats`;
//  3. bandwidth-limit accuracy: bytes moved / elapsed against maxBytesPerSecond, measured as core's sync bench does.
// Run it under `flock /tmp/bench.lock` so no other benchmark shares the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossRegionSync, type CompressionSetting } from '@meridian/core';
import { median, writeBenchResult } from '@meridian/testkit';
import { existsSync, readFileSync } from 'node:fs';
import { DirectoryReplicaStore } from '../src/index.js';
import { smallFiles } from '../test/tree-fixture.js';

// Smaller sizes for a quick check of the bench itself (the recorded figures use the defaults).
const BIG = Number(process.env.BENCH_BIG_MB ?? 200) * 1024 * 1024;
const SMALL = Number(process.env.BENCH_SMALL ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 3);
const FLIP_AT = Math.floor(BIG * 0.59);

function requireRsync(): void {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status === 0) return;
  console.error('rsync is not installed; this benchmark compares against it. Install it with:\n  apt-get install -y rsync   (as root; or: sudo apt-get install -y rsync)');
  process.exit(1);
}

async function writeBig(file: string): Promise<void> {
  const handle = await open(file, 'w', 0o640);
  for (let at = 0; at < BIG; at += 8 << 20) await handle.write(randomBytes(Math.min(8 << 20, BIG - at)));
  await handle.close();
}

/** Opens both stores (the source's scan included: rsync reads the source too), then syncs until nothing moves. */
async function ours(source: string, target: string, state: string, compression: CompressionSetting, durable: boolean): Promise<{ millis: number; bytes: number; stores: DirectoryReplicaStore[]; sync: CrossRegionSync }> {
  await rm(target, { recursive: true, force: true });
  await rm(state, { recursive: true, force: true });
  await mkdir(target);
  flushDirtyPages();
  const started = performance.now();
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(state, 'a'), durable });
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: target, stateDirectory: join(state, 'b'), durable });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }], compression });
  await settle([a, b], sync, true);
  const millis = performance.now() - started;
  const bytes = sync.status().pairs.find((p) => p.from === 'a')!.bytesSent;
  return { millis, bytes, stores: [a, b], sync };
}

/** Scans (unless the stores were just opened, which scans) and syncs until a round moves nothing. */
async function settle(stores: DirectoryReplicaStore[], sync: CrossRegionSync, justOpened = false): Promise<void> {
  for (let round = 1; round <= 50; round++) {
    if (round > 1 || !justOpened) for (const s of stores) await s.rescan();
    const report = await sync.syncNow();
    if (report.pairs.every((p) => p.ok && p.records === 0)) return;
  }
  throw new Error('sync did not settle in 50 rounds');
}

async function close(run: { stores: DirectoryReplicaStore[]; sync: CrossRegionSync }): Promise<void> {
  await run.sync.close();
  for (const s of run.stores) await s.close();
}

/**
 * Writes back what earlier steps left dirty in the page cache, so neither side's run is slowed by the writeback
 * of the one before (measured here: rsync alone took 0.5-5 s depending on what was still being written back).
 */
function flushDirtyPages(): void {
  execFileSync('sync');
}

function rsync(args: string[]): { millis: number; out: string } {
  const started = performance.now();
  const out = execFileSync('rsync', args, { encoding: 'utf8' });
  return { millis: performance.now() - started, out };
}

function statsNumber(out: string, label: string): number {
  const match = new RegExp(`${label}: ([\\d,.]+)`).exec(out);
  if (!match) throw new Error(`rsync --stats printed no "${label}"`);
  return Number(match[1]!.replace(/,/g, ''));
}

async function flipByte(file: string): Promise<void> {
  const handle = await open(file, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, FLIP_AT);
  byte[0] = byte[0]! ^ 0xff;
  await handle.write(byte, 0, 1, FLIP_AT);
  await handle.close();
}

async function bandwidth(work: string, configured: number): Promise<Record<string, number>> {
  const a = join(work, 'bw-a');
  const b = join(work, 'bw-b');
  await mkdir(a);
  await mkdir(b);
  // Random bytes, so compression cannot make the link look faster than it is (brotli takes base64 back to about the
  // raw size). About ten seconds at the configured rate, so the fixed costs (scan, Merkle walk, writing the file at the
  // end) weigh little.
  const size = Math.round(configured * 10);
  const handle = await open(join(a, 'payload.bin'), 'w');
  await handle.write(randomBytes(size));
  await handle.close();
  const sa = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: a, stateDirectory: join(work, 'bw-state-a'), durable: false });
  const sb = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: b, stateDirectory: join(work, 'bw-state-b'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: sa }, { id: 'b', store: sb }], mode: 'active-passive', maxBytesPerSecond: configured, maxBatchRecords: 25 });
  const started = performance.now();
  await sync.syncNow(); // one round carries everything (a Merkle catch-up into an empty target)
  const seconds = (performance.now() - started) / 1000;
  const pair = sync.status().pairs[0]!;
  if (pair.pendingChanges !== 0 || sb.waiting().length !== 0) throw new Error('bandwidth round did not carry everything');
  await sync.close();
  await sa.close();
  await sb.close();
  const burst = Math.max(65_536, Math.floor(configured / 4)); // the default burstBytes: sent before the limit bites
  const measured = (pair.bytesSent - burst) / seconds;
  return { configuredBytesPerSecond: configured, measuredBytesPerSecond: Math.round(measured), ratio: measured / configured, bytes: pair.bytesSent, seconds };
}

function keptBefore(): { before?: unknown } {
  try {
    const previous = JSON.parse(readFileSync(new URL('./results/directory-sync.json', import.meta.url), 'utf8')) as { before?: unknown };
    return previous.before === undefined ? {} : { before: previous.before };
  } catch {
    return {};
  }
}

/**
 * Throughput of a copy of `source` into an empty directory under `work`, alternating rsync, ours with the default
 * compression (auto) and ours uncompressed, RUNS times; `withDurable`: once more with fsync of every file.
 */
async function throughputOf(work: string, source: string, withDurable: boolean) {
  const samples: Record<string, number[]> = { rsync: [], auto: [], none: [], autoBytes: [], noneBytes: [] };
  // The order rotates from run to run (rsync first, then second, then last), and each contender clears its own
  // target before the dirty pages are written back: none of them always runs right after the same other one.
  const contenders = ['rsync', 'auto', 'none'] as const;
  for (let run = 0; run < RUNS; run++) {
    for (let k = 0; k < contenders.length; k++) {
      const who = contenders[(k + contenders.length - (run % contenders.length)) % contenders.length]!;
      if (who === 'rsync') {
        const target = join(work, 'rsync-target');
        await rm(target, { recursive: true, force: true });
        flushDirtyPages();
        samples.rsync!.push(rsync(['-a', '--whole-file', `${source}/`, `${target}/`]).millis);
      } else {
        const r = await ours(source, join(work, 'ours-target'), join(work, 'state'), who, false);
        samples[who]!.push(r.millis);
        samples[`${who}Bytes`]!.push(r.bytes);
        await close(r);
      }
    }
    console.log(`run ${run + 1}: rsync ${samples.rsync!.at(-1)!.toFixed(0)} ms, ours (auto) ${samples.auto!.at(-1)!.toFixed(0)} ms, ours (none) ${samples.none!.at(-1)!.toFixed(0)} ms`);
  }
  await rm(join(work, 'rsync-target'), { recursive: true, force: true });
  let durable: number | undefined;
  if (withDurable) {
    // Once with fsync of every file (the store's default): rsync does not fsync, so this is not the ratio's figure.
    console.log('once more with fsync…');
    const durableRun = await ours(source, join(work, 'ours-target'), join(work, 'state'), 'auto', true);
    await close(durableRun);
    durable = Math.round(durableRun.millis);
  }
  const paired = (who: 'auto' | 'none'): number[] => samples.rsync!.map((r, i) => Number((r / samples[who]![i]!).toFixed(3)));
  return {
    files: SMALL + 1,
    bytes: BIG + (await sizeOfSmall(source)),
    rsyncMillis: { median: median(samples.rsync!), samples: samples.rsync!.map(Math.round) },
    oursAutoMillis: { median: median(samples.auto!), samples: samples.auto!.map(Math.round) },
    oursNoneMillis: { median: median(samples.none!), samples: samples.none!.map(Math.round) },
    ...(durable === undefined ? {} : { oursAutoDurableMillis: durable }),
    ratioAuto: median(samples.rsync!) / median(samples.auto!),
    ratioNone: median(samples.rsync!) / median(samples.none!),
    // Run by run (rsync and ours a few seconds apart, in the same state of the machine's page cache and journal),
    // and their median: the figure least moved by one run on a slow or fast moment of the disk.
    pairedRatiosAuto: paired('auto'),
    pairedRatiosNone: paired('none'),
    pairedMedianAuto: median(paired('auto')),
    bytesSentAuto: median(samples.autoBytes!),
    bytesSentNone: median(samples.noneBytes!),
    goal: '>= 0.5 (ratio = rsync time / our time)',
  };
}

async function main(): Promise<void> {
  requireRsync();
  // Meridian's timers are unref'd (an engine never keeps a host alive): hold the process open ourselves.
  const keepAlive = setInterval(() => undefined, 1_000);
  const rsyncVersion = /rsync\s+version\s+(\S+)/.exec(execFileSync('rsync', ['--version'], { encoding: 'utf8' }))?.[1] ?? 'unknown';
  const work = await mkdtemp(join(tmpdir(), 'meridian-dirsync-bench-'));
  try {
    const source = join(work, 'source');
    await mkdir(source);
    console.log(`writing ${SMALL} small files and a ${BIG / 1024 / 1024} MB file…`);
    await smallFiles(source, SMALL);
    await writeBig(join(source, 'big.bin'));
    // Both sides read the source from the page cache (it was just written): the comparison is of the copying, not the disk.

    // 1. Throughput on this machine's disk (the ratio the goal names), then the same on tmpfs when there is one: no
    // disk latency there, so what is left is each side's CPU (the disk's speed swings tenfold from minute to minute
    // on this VM, and the disk ratio with it).
    const throughput = await throughputOf(work, source, true);
    let tmpfs: (Awaited<ReturnType<typeof throughputOf>> & { note: string }) | undefined;
    if (existsSync('/dev/shm')) {
      const shm = await mkdtemp(join('/dev/shm', 'meridian-dirsync-bench-'));
      try {
        const shmSource = join(shm, 'source');
        await mkdir(shmSource);
        await smallFiles(shmSource, SMALL);
        await writeBig(join(shmSource, 'big.bin'));
        console.log('the same on tmpfs (/dev/shm)…');
        tmpfs = { note: 'the same comparison with every directory on /dev/shm (tmpfs): no disk latency, only CPU', ...(await throughputOf(shm, shmSource, false)) };
      } finally {
        await rm(shm, { recursive: true, force: true });
      }
    }

    console.log('delta of a 1-byte change…');
    // 2. Delta: our targets hold the old big file; rsync's target too (a copy made before the flip).
    const run = await ours(source, join(work, 'ours-target'), join(work, 'state'), 'auto', false);
    const rsyncTarget = join(work, 'rsync-delta');
    await mkdir(rsyncTarget);
    await copyFile(join(source, 'big.bin'), join(rsyncTarget, 'big.bin'));
    rsync(['-a', join(source, 'big.bin'), join(rsyncTarget, 'big.bin')]); // same mode and mtime as the source before the flip
    await flipByte(join(source, 'big.bin'));
    const before = run.sync.status().pairs.find((p) => p.from === 'a')!;
    const deltaStarted = performance.now();
    await settle(run.stores, run.sync);
    const deltaMillis = performance.now() - deltaStarted;
    const after = run.sync.status().pairs.find((p) => p.from === 'a')!;
    await close(run);
    const r = rsync(['-a', '--no-whole-file', '--stats', join(source, 'big.bin'), join(rsyncTarget, 'big.bin')]);
    const delta = {
      fileBytes: BIG,
      oursBytesSent: after.bytesSent - before.bytesSent,
      oursRawBytes: after.rawBytes - before.rawBytes,
      oursMetadataBytes: after.metadataBytes - before.metadataBytes,
      oursMillis: Math.round(deltaMillis),
      rsyncBytesSent: statsNumber(r.out, 'Total bytes sent'),
      rsyncBytesReceived: statsNumber(r.out, 'Total bytes received'),
      rsyncMillis: Math.round(r.millis),
      ratioToRsyncSent: 0,
      ratioToRsyncBothWays: 0,
      goal: 'oursBytesSent <= 2 x rsyncBytesSent',
    };
    delta.ratioToRsyncSent = delta.oursBytesSent / delta.rsyncBytesSent;
    delta.ratioToRsyncBothWays = delta.oursBytesSent / (delta.rsyncBytesSent + delta.rsyncBytesReceived);

    console.log('bandwidth limit…');
    // 3. Bandwidth limit.
    const limit = [await bandwidth(work, 2_000_000)];

    console.log(`throughput: rsync ${throughput.rsyncMillis.median.toFixed(0)} ms, ours ${throughput.oursAutoMillis.median.toFixed(0)} ms (compression auto) = ${throughput.ratioAuto.toFixed(3)}× rsync (paired runs: median ${throughput.pairedMedianAuto.toFixed(3)}×), ${throughput.oursNoneMillis.median.toFixed(0)} ms (none) = ${throughput.ratioNone.toFixed(3)}× (goal ≥ 0.5×); with fsync ${throughput.oursAutoDurableMillis} ms`);
    if (tmpfs) console.log(`on tmpfs: rsync ${tmpfs.rsyncMillis.median.toFixed(0)} ms, ours ${tmpfs.oursAutoMillis.median.toFixed(0)} ms (auto) = ${tmpfs.ratioAuto.toFixed(3)}× (paired median ${tmpfs.pairedMedianAuto.toFixed(3)}×), ${tmpfs.oursNoneMillis.median.toFixed(0)} ms (none) = ${tmpfs.ratioNone.toFixed(3)}×`);
    console.log(`delta for 1 byte in ${BIG / 1024 / 1024} MB: ours ${delta.oursBytesSent} B sent (${((delta.oursBytesSent / BIG) * 100).toFixed(3)} %), rsync ${delta.rsyncBytesSent} B sent + ${delta.rsyncBytesReceived} B received: ${delta.ratioToRsyncSent.toFixed(2)}× rsync's sent bytes (goal ≤ 2×), ${delta.ratioToRsyncBothWays.toFixed(2)}× its traffic both ways`);
    for (const l of limit) console.log(`bandwidth limit ${l.configuredBytesPerSecond} B/s: measured ${l.measuredBytesPerSecond} B/s = ${l.ratio!.toFixed(3)}× configured (goal 0.95–1.05)`);
    const path = writeBenchResult(new URL('./results/', import.meta.url), 'directory-sync', { ...keptBefore(), rsyncVersion, runs: RUNS, throughput, ...(tmpfs ? { throughputTmpfs: tmpfs } : {}), delta, bandwidthLimit: limit });
    console.log(`wrote ${path}`);
  } finally {
    clearInterval(keepAlive);
    await rm(work, { recursive: true, force: true });
  }
}

async function sizeOfSmall(source: string): Promise<number> {
  const out = execFileSync('du', ['-sb', join(source, 'small')], { encoding: 'utf8' });
  return Number(out.split(/\s/)[0]);
}

await main();
