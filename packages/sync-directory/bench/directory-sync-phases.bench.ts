// Where the time of a directory copy goes, small files and the large file apart: for each data set, rsync, then our
// two stores (the source's scan, then the sync until a round moves nothing), a few times in a row. The throughput
// bench (directory-sync.bench.ts) gives the ratio on the whole data; this one says which part costs what.
// Then all of it again on /dev/shm (tmpfs) when there is one: no disk latency, so what is left is each side's CPU.
// Run it under `flock /tmp/bench.lock` so no other benchmark shares the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CrossRegionSync } from '@meridian/core';
import { median, writeBenchResult } from '@meridian/testkit';
import { DirectoryReplicaStore } from '../src/index.js';
import { smallFiles } from '../test/tree-fixture.js';

const RUNS = Number(process.env.RUNS ?? 3);

interface Phase {
  rsync: number;
  scan: number;
  sync: number;
  total: number;
}

async function once(source: string, work: string): Promise<Phase> {
  const rsyncTarget = join(work, 'rsync-target');
  const target = join(work, 'target');
  await rm(rsyncTarget, { recursive: true, force: true });
  await rm(target, { recursive: true, force: true });
  await rm(join(work, 'state'), { recursive: true, force: true });
  await mkdir(target, { recursive: true });
  execFileSync('sync');
  let t = performance.now();
  execFileSync('rsync', ['-a', '--whole-file', `${source}/`, `${rsyncTarget}/`]);
  const rsync = performance.now() - t;
  execFileSync('sync');
  t = performance.now();
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(work, 'state', 'a'), durable: false });
  const scan = performance.now() - t;
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: target, stateDirectory: join(work, 'state', 'b'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }] });
  const s = performance.now();
  for (let round = 1; ; round++) {
    const report = await sync.syncNow();
    if (report.pairs.every((p) => p.ok && p.records === 0)) break;
    if (round === 20) throw new Error('sync did not settle');
  }
  const phase = { rsync, scan, sync: performance.now() - s, total: performance.now() - t };
  if (b.waiting().length > 0) throw new Error('files left unwritten');
  await sync.close();
  await a.close();
  await b.close();
  return phase;
}

/**
 * Deletes carried over: every small file synced to a second directory, then removed at the source; rsync
 * `--delete` on a copy of the same target, against our rescan and the sync until a round moves nothing. (rsync
 * also removes the emptied directories, which directory sync keeps: it does not sync directories.)
 */
async function deletesOnce(small: string, work: string): Promise<{ rsync: number; ours: number }> {
  await rm(work, { recursive: true, force: true });
  const [source, rsyncTarget, target] = ['source', 'rsync-target', 'target'].map((name) => join(work, name)) as [string, string, string];
  await mkdir(work, { recursive: true });
  execFileSync('cp', ['-a', small, source]);
  execFileSync('cp', ['-a', small, rsyncTarget]);
  await mkdir(target);
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(work, 'state', 'a'), durable: false });
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: target, stateDirectory: join(work, 'state', 'b'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }] });
  const settle = async (): Promise<void> => {
    for (let round = 1; ; round++) {
      const report = await sync.syncNow();
      if (report.pairs.every((p) => p.ok && p.records === 0)) return;
      if (round === 20) throw new Error('sync did not settle');
    }
  };
  try {
    await settle();
    await rm(join(source, 'small'), { recursive: true });
    execFileSync('sync');
    let t = performance.now();
    execFileSync('rsync', ['-a', '--whole-file', '--delete', `${source}/`, `${rsyncTarget}/`]);
    const rsync = performance.now() - t;
    execFileSync('sync');
    t = performance.now();
    const report = await a.rescan();
    await settle();
    const ours = performance.now() - t;
    const left = (await readdir(target, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).length;
    if (report.deleted.length !== 10_000 || left !== 0 || b.waiting().length > 0) throw new Error(`deletes not carried over: ${report.deleted.length} recorded, ${left} files left in the target`);
    return { rsync, ours };
  } finally {
    await sync.close();
    await a.close();
    await b.close();
  }
}

/** {@link deletesOnce}, RUNS times, under `base`. */
async function deletesUnder(base: string): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(base, 'meridian-dirsync-deletes-'));
  try {
    const small = join(work, 'small-source');
    await mkdir(small);
    await smallFiles(small, 10_000);
    const runs: Array<{ rsync: number; ours: number }> = [];
    for (let i = 0; i < RUNS; i++) {
      runs.push(await deletesOnce(small, join(work, 'run')));
      const r = runs.at(-1)!;
      console.log(`${base} 10 000 deletes run ${i + 1}: rsync --delete ${r.rsync.toFixed(0)} ms; ours ${r.ours.toFixed(0)} ms (rescan and sync): ${(r.rsync / r.ours).toFixed(2)}×`);
    }
    return {
      rsyncMillis: Math.round(median(runs.map((r) => r.rsync))),
      oursMillis: Math.round(median(runs.map((r) => r.ours))),
      pairedRatios: runs.map((r) => Number((r.rsync / r.ours).toFixed(3))),
    };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Memory an open store keeps for a tree (what the store holds after its first scan), in MB. */
async function memoryOf(source: string, work: string): Promise<{ heapMB: number; externalMB: number }> {
  // A full collection before each reading, so what is measured is what the store keeps, not garbage not yet
  // collected. Only once every timed run is done: a V8 flag set at run time slowed the runs after it (measured:
  // the 200 MB file's copy 0.97-1.04 s without, 1.16 s with).
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const read = (): NodeJS.MemoryUsage => {
    collect();
    collect();
    return process.memoryUsage();
  };
  const before = read();
  const store = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(work, 'memory-state'), durable: false });
  const after = read();
  await store.close();
  await rm(join(work, 'memory-state'), { recursive: true, force: true });
  const mb = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;
  // external: memory outside the JS heap, binary values (small files' bytes) among it.
  return { heapMB: mb(after.heapUsed - before.heapUsed), externalMB: mb(after.external - before.external) };
}

/** The two data sets under `work`: 10 000 small files, and one 200 MB file of random bytes. */
async function writeDataSets(work: string): Promise<{ small: string; big: string }> {
  const small = join(work, 'small-source');
  const big = join(work, 'big-source');
  await mkdir(small);
  await mkdir(big);
  await smallFiles(small, 10_000);
  const handle = await open(join(big, 'big.bin'), 'w');
  for (let at = 0; at < 200 << 20; at += 8 << 20) await handle.write(randomBytes(8 << 20));
  await handle.close();
  return { small, big };
}

/** What an open store keeps for each data set (written afresh under `base`), after every timed run. */
async function memoryUnder(base: string): Promise<Record<string, { heapMB: number; externalMB: number }>> {
  const work = await mkdtemp(join(base, 'meridian-dirsync-memory-'));
  try {
    const { small, big } = await writeDataSets(work);
    const memory = { smallFiles: await memoryOf(small, work), bigFile: await memoryOf(big, work) };
    console.log(`memory kept by an open store: small files heap ${memory.smallFiles.heapMB} MB + external ${memory.smallFiles.externalMB} MB; the big file heap ${memory.bigFile.heapMB} MB + external ${memory.bigFile.externalMB} MB`);
    return memory;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The phases of both data sets under `base`, RUNS times each. */
async function phasesUnder(base: string): Promise<Record<string, unknown>> {
  const work = await mkdtemp(join(base, 'meridian-dirsync-phases-'));
  try {
    const { small, big } = await writeDataSets(work);
    const results: Record<string, unknown> = {};
    for (const [name, source] of [['smallFiles', small], ['bigFile', big]] as const) {
      const runs: Phase[] = [];
      for (let i = 0; i < RUNS; i++) {
        runs.push(await once(source, join(work, name)));
        const r = runs.at(-1)!;
        console.log(`${base} ${name} run ${i + 1}: rsync ${r.rsync.toFixed(0)} ms; ours ${r.total.toFixed(0)} ms (scan ${r.scan.toFixed(0)}, sync ${r.sync.toFixed(0)}): ${(r.rsync / r.total).toFixed(2)}×`);
      }
      const m = (k: keyof Phase) => Math.round(median(runs.map((r) => r[k])));
      results[name] = {
        rsyncMillis: m('rsync'),
        oursMillis: m('total'),
        scanMillis: m('scan'),
        syncMillis: m('sync'),
        pairedRatios: runs.map((r) => Number((r.rsync / r.total).toFixed(3))),
        runs: runs.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Math.round(v)]))),
      };
    }
    return results;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error('rsync is not installed; install it with: apt-get install -y rsync');
    process.exit(1);
  }
  const keepAlive = setInterval(() => undefined, 1_000);
  try {
    const results = await phasesUnder(tmpdir());
    // The same on a RAM file system, where no disk latency hides anything: both sides' own CPU cost.
    const tmpfs = existsSync('/dev/shm') ? await phasesUnder('/dev/shm') : undefined;
    const deletes = { disk: await deletesUnder(tmpdir()), ...(existsSync('/dev/shm') ? { tmpfs: await deletesUnder('/dev/shm') } : {}) };
    const memory = await memoryUnder(tmpdir());
    const path = writeBenchResult(new URL('./results/', import.meta.url), 'directory-sync-phases', {
      data: { smallFiles: '10 000 files of 100 B to 4 KiB', bigFile: '200 MB of random bytes' },
      ...results,
      ...(tmpfs ? { tmpfs: { note: 'the same phases with every directory on /dev/shm (tmpfs): no disk latency, only CPU', ...tmpfs } } : {}),
      deletes: { note: '10 000 small files removed at the source: rsync --delete against our rescan and sync until a round moves nothing', ...deletes },
      memory: { note: 'heap and external memory (binary values among it) an open store keeps after its first scan, after a full collection', ...memory },
    });
    console.log(`wrote ${path}`);
  } finally {
    clearInterval(keepAlive);
  }
}

await main();
