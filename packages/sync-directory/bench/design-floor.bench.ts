// How far the directory sync is from the floor of its own design: rsync -a --whole-file, the floor (design-floor.ts:
// the same scan and copy with no records) and ours (open both stores, sync until a round moves nothing), on the whole
// data set of the throughput bench, in an order that rotates from run to run, wall time and CPU time each; for the
// floor and ours, the CPU time split by thread (the main thread, the disk threads, the process's other threads).
// On /dev/shm (tmpfs) when there is one: no disk latency, so what is compared is each side's work.
// Run it under `flock /tmp/bench.lock` so no other benchmark shares the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CrossRegionSync } from '@meridian/core';
import { median, syncUntilSettled, writeBenchResult } from '@meridian/testkit';
import { DirectoryReplicaStore } from '../src/index.js';
import { smallFiles } from '../test/tree-fixture.js';
import { floorCopy } from './design-floor.js';

const RUNS = Number(process.env.RUNS ?? 5);
const BIG = 200 << 20;

type Who = 'rsync' | 'floor' | 'ours';
interface Sample {
  millis: number;
  cpuMillis: number;
  /** The floor's and ours: the same CPU time by thread. */
  threads?: ThreadSplit;
}

/** CPU time of a run by thread, in ms. */
interface ThreadSplit {
  /** The main thread: the event loop, where the records are handled (ours) or the walk is made (the floor). */
  main: number;
  /** Threads started during the run and still running at its end: the disk threads (ours: two per store). */
  started: number;
  /** Threads the process had before the run: V8's helpers (garbage collection, compilers) and libuv's pool. */
  other: number;
}

// CPU time of the children this process has waited for (rsync), from /proc: utime and stime are not in
// process.cpuUsage(), which counts this process (and its threads) only.
const TICK_MILLIS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function childrenCpuMillis(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MILLIS; // cutime, cstime (fields 16 and 17 of the line)
}
// CPU time of each thread of this process, by thread id (utime and stime of /proc/self/task/<tid>/stat).
function threadCpuMillis(): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MILLIS); // fields 14 and 15 of the line
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return out;
}

// What each thread spent between two readings, as a ThreadSplit. Read `after` while the run's threads still exist:
// a thread's time is gone with it.
function splitByThread(before: Map<number, number>, after: Map<number, number>): ThreadSplit {
  const split: ThreadSplit = { main: 0, started: 0, other: 0 };
  for (const [tid, millis] of after) {
    const spent = millis - (before.get(tid) ?? 0);
    if (tid === process.pid) split.main += spent;
    else if (before.has(tid)) split.other += spent;
    else split.started += spent;
  }
  return split;
}

const ownCpuMillis = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function ours(source: string, work: string, beforeEnd: () => void): Promise<number> {
  const target = join(work, 'target');
  await mkdir(target);
  const started = performance.now();
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(work, 'state-a'), durable: false });
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: target, stateDirectory: join(work, 'state-b'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }] });
  try {
    await syncUntilSettled(sync);
    const millis = performance.now() - started;
    beforeEnd();
    if (b.waiting().length > 0) throw new Error('files left unwritten');
    return millis;
  } finally {
    await sync.close();
    await a.close();
    await b.close();
  }
}

async function once(who: Who, source: string, work: string): Promise<Sample> {
  await rm(work, { recursive: true, force: true });
  await mkdir(work, { recursive: true });
  execFileSync('sync'); // what the run before left dirty is written back before this one starts
  const cpu = ownCpuMillis();
  const children = childrenCpuMillis();
  const threadsBefore = threadCpuMillis();
  let threadsAfter: Map<number, number> | undefined;
  const readThreads = (): void => {
    threadsAfter = threadCpuMillis();
  };
  let millis: number;
  if (who === 'rsync') {
    const started = performance.now();
    execFileSync('rsync', ['-a', '--whole-file', `${source}/`, `${join(work, 'target')}/`]);
    millis = performance.now() - started;
  } else if (who === 'floor') {
    await mkdir(join(work, 'target'));
    millis = await floorCopy(source, join(work, 'target'), readThreads);
  } else millis = await ours(source, work, readThreads);
  // rsync's CPU is its own (this process only waits); the floor's and ours are this process's threads.
  const cpuMillis = who === 'rsync' ? childrenCpuMillis() - children : ownCpuMillis() - cpu;
  await rm(work, { recursive: true, force: true });
  return threadsAfter ? { millis, cpuMillis, threads: splitByThread(threadsBefore, threadsAfter) } : { millis, cpuMillis };
}

async function main(): Promise<void> {
  if (spawnSync('rsync', ['--version'], { stdio: 'ignore' }).status !== 0) {
    console.error('rsync is not installed; install it with: apt-get install -y rsync');
    process.exit(1);
  }
  const keepAlive = setInterval(() => undefined, 1_000); // Meridian's timers are unref'd
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const root = await mkdtemp(join(base, 'meridian-floor-bench-'));
  try {
    const source = join(root, 'source');
    await mkdir(source);
    await smallFiles(source, 10_000);
    const handle = await open(join(source, 'big.bin'), 'w');
    for (let at = 0; at < BIG; at += 8 << 20) await handle.write(randomBytes(8 << 20));
    await handle.close();
    const order: Who[] = ['rsync', 'floor', 'ours'];
    const samples: Record<Who, Sample[]> = { rsync: [], floor: [], ours: [] };
    for (let run = 0; run < RUNS; run++) {
      for (let k = 0; k < order.length; k++) {
        const who = order[(k + run) % order.length]!;
        samples[who].push(await once(who, source, join(root, 'work')));
      }
      const last = (who: Who): string => {
        const s = samples[who].at(-1)!;
        const threads = s.threads ? `: main ${s.threads.main.toFixed(0)}, disk threads ${s.threads.started.toFixed(0)}, other threads ${s.threads.other.toFixed(0)}` : '';
        return `${who} ${s.millis.toFixed(0)} ms (CPU ${s.cpuMillis.toFixed(0)} ms${threads})`;
      };
      console.log(`run ${run + 1}: ${order.map(last).join(', ')}`);
    }
    const threadMedians = (who: Who): ThreadSplit | undefined => {
      const split = samples[who].map((s) => s.threads).filter((t): t is ThreadSplit => t !== undefined);
      if (split.length === 0) return undefined;
      const m = (k: keyof ThreadSplit): number => Math.round(median(split.map((t) => t[k])));
      return { main: m('main'), started: m('started'), other: m('other') };
    };
    const summary = (who: Who) => ({
      millis: Math.round(median(samples[who].map((s) => s.millis))),
      cpuMillis: Math.round(median(samples[who].map((s) => s.cpuMillis))),
      ...(threadMedians(who) ? { cpuByThreadMillis: threadMedians(who) } : {}),
      samples: samples[who].map((s) => ({
        millis: Math.round(s.millis),
        cpuMillis: Math.round(s.cpuMillis),
        ...(s.threads ? { main: Math.round(s.threads.main), diskThreads: Math.round(s.threads.started), otherThreads: Math.round(s.threads.other) } : {}),
      })),
    });
    const result = { rsync: summary('rsync'), floor: summary('floor'), ours: summary('ours') };
    const paired = (a: Who, b: Who): number[] => samples[a].map((s, i) => Number((s.millis / samples[b][i]!.millis).toFixed(3)));
    const ratios = {
      note: 'time of the first / time of the second, run by run (a run: the three one after another), and their median',
      floorToRsync: paired('rsync', 'floor'),
      oursToRsync: paired('rsync', 'ours'),
      oursToFloor: paired('floor', 'ours'),
      medianFloorToRsync: median(paired('rsync', 'floor')),
      medianOursToRsync: median(paired('rsync', 'ours')),
      medianOursToFloor: median(paired('floor', 'ours')),
    };
    console.log(
      `${base}: rsync ${result.rsync.millis} ms (CPU ${result.rsync.cpuMillis}), floor ${result.floor.millis} ms (CPU ${result.floor.cpuMillis}), ours ${result.ours.millis} ms (CPU ${result.ours.cpuMillis}); ` +
        `floor ${ratios.medianFloorToRsync.toFixed(2)}× rsync, ours ${ratios.medianOursToRsync.toFixed(2)}× rsync = ${ratios.medianOursToFloor.toFixed(2)}× the floor`,
    );
    const path = writeBenchResult(new URL('./results/', import.meta.url), 'design-floor', {
      data: '10 000 files of 100 B to 4 KiB and one 200 MB file of random bytes',
      directory: base === '/dev/shm' ? 'tmpfs (/dev/shm)' : 'the temp directory',
      cpuByThread:
        'cpuByThreadMillis (medians, ms): main = the main thread; started = threads started during the run (the disk threads: the floor has 2, ours 2 per store); other = the threads the process had before it (V8 garbage collection and compiler helpers, libuv thread pool)',
      runs: RUNS,
      ...result,
      ratios,
    });
    console.log(`wrote ${path}`);
  } finally {
    clearInterval(keepAlive);
    await rm(root, { recursive: true, force: true });
  }
}

await main();
