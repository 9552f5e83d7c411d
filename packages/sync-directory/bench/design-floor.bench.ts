// How far the directory sync is from the floor of its own design: rsync -a --whole-file, the floor (design-floor.ts:
// the same scan and copy with no records) and ours (open both stores, sync until a round moves nothing), on the whole
// data set of the throughput bench, in an order that rotates from run to run, wall time and CPU time each.
// On /dev/shm (tmpfs) when there is one: no disk latency, so what is compared is each side's work.
// Run it under `flock /tmp/bench.lock` so no other benchmark shares the machine.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
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
}

// CPU time of the children this process has waited for (rsync), from /proc: utime and stime are not in
// process.cpuUsage(), which counts this process (and its threads) only.
const TICK_MILLIS = 1000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
function childrenCpuMillis(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[13]) + Number(fields[14])) * TICK_MILLIS; // cutime, cstime (fields 16 and 17 of the line)
}
const ownCpuMillis = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function ours(source: string, work: string): Promise<number> {
  const target = join(work, 'target');
  await mkdir(target);
  const started = performance.now();
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: source, stateDirectory: join(work, 'state-a'), durable: false });
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: target, stateDirectory: join(work, 'state-b'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }] });
  try {
    await syncUntilSettled(sync);
    const millis = performance.now() - started;
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
  let millis: number;
  if (who === 'rsync') {
    const started = performance.now();
    execFileSync('rsync', ['-a', '--whole-file', `${source}/`, `${join(work, 'target')}/`]);
    millis = performance.now() - started;
  } else if (who === 'floor') {
    await mkdir(join(work, 'target'));
    millis = await floorCopy(source, join(work, 'target'));
  } else millis = await ours(source, work);
  // rsync's CPU is its own (this process only waits); the floor's and ours are this process's threads.
  const cpuMillis = who === 'rsync' ? childrenCpuMillis() - children : ownCpuMillis() - cpu;
  await rm(work, { recursive: true, force: true });
  return { millis, cpuMillis };
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
      const last = (who: Who): string => `${who} ${samples[who].at(-1)!.millis.toFixed(0)} ms (CPU ${samples[who].at(-1)!.cpuMillis.toFixed(0)} ms)`;
      console.log(`run ${run + 1}: ${order.map(last).join(', ')}`);
    }
    const summary = (who: Who) => ({
      millis: Math.round(median(samples[who].map((s) => s.millis))),
      cpuMillis: Math.round(median(samples[who].map((s) => s.cpuMillis))),
      samples: samples[who].map((s) => ({ millis: Math.round(s.millis), cpuMillis: Math.round(s.cpuMillis) })),
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
