// Cross-region sync between two local region processes (real processes, the
// /replica HTTP API on loopback), beside a raw store-to-store copy through the
// same clients:
//  - sync: CrossRegionSync (defaults, active-passive) from a region holding
//    20 000 records into an empty one, run until a round moves nothing;
//  - raw copy: `scan` the source's change log page by page and `apply` each
//    page to the target with `expected: null` (the same LocalReplicaStore
//    clients, the same pages: the sync's default maxBatchRecords of 500, no
//    versions compared, nothing encoded but what the HTTP client does anyway).
// Runs alternate (after one of each to warm up); the target is emptied between
// runs (every record deleted, which leaves its index as a fresh one's). Wall
// time and CPU time: this process (all threads) + both region processes (/proc).
// Wire bytes: what went over the TCP connections of both clients (requests and
// replies, HTTP headers included), counted at their sockets.
//
// This lives here rather than in packages/core/bench: core cannot depend on
// providers-local, even as a devDependency (providers-local depends on core).
// The in-process figure stays in packages/core/bench/sync.bench.ts.
//
// SYNC_REGIONS_BENCH_RUNS sets the alternating runs (default 15);
// SYNC_REGIONS_BENCH_ONLY=sync|raw runs only that side, writes nothing (for
// `node --cpu-prof --import tsx`: the region processes inherit the flags).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { CrossRegionSync, MemoryReplicaStore, MeridianError, ReplicaWriter, type ReplicaStore, type StoredRecord } from '@meridian/core';
import { createLocalProvider, createLocalReplicaStore, type LocalReplicaStore } from '@meridian/providers-local';
import { findLeakedProcesses, median, scanAll, seedRegions, writeBenchResult } from '@meridian/testkit';
import { Agent, buildConnector } from 'undici';

const KEYS = 20_000;
/** The sync's default maxBatchRecords: the raw copy's page size. */
const PAGE = 500;
const RUNS = Number(process.env.SYNC_REGIONS_BENCH_RUNS ?? '15');
const ONLY = process.env.SYNC_REGIONS_BENCH_ONLY as 'sync' | 'raw' | undefined;
const RESULTS = new URL('./results/', import.meta.url);
const [SOURCE, TARGET] = seedRegions(2).map((r) => r.id) as [string, string];

/** The `before` block of the committed results (figures of the code before a change), kept by a re-run. */
function keptBefore(): { before?: unknown } {
  const file = new URL('sync-between-regions.json', RESULTS);
  if (!existsSync(file)) return {};
  const previous = JSON.parse(readFileSync(file, 'utf8')) as { before?: unknown };
  return previous.before === undefined ? {} : { before: previous.before };
}

/** CPU milliseconds a process has used so far, from /proc (Linux; clock ticks of 10 ms). */
function processCpuMillis(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of the line.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** An undici Agent like the store's own (keep-alive 10 s) whose sockets are kept, to count their bytes. */
function countingAgent(): { agent: Agent; bytes(): number } {
  const sockets = new Set<Socket>();
  const connect = buildConnector({});
  const agent = new Agent({
    keepAliveTimeout: 10_000,
    connect: (options, callback) =>
      connect(options, (error, socket) => {
        if (socket) sockets.add(socket as Socket);
        (callback as (e: Error | null, s: unknown) => void)(error, socket);
      }),
  });
  return { agent, bytes: () => [...sockets].reduce((n, s) => n + s.bytesRead + s.bytesWritten, 0) };
}

interface Run {
  wallMillis: number;
  cpuMillis: { here: number; source: number; target: number; total: number };
  wireBytes: number;
}

/** Calls per ReplicaStore method and records they carried (read or written), for the check copies. */
type Calls = Record<string, { calls: number; records: number }>;
function counted(store: ReplicaStore, calls: Calls): ReplicaStore {
  const count = (what: string, records: number) => {
    const c = (calls[what] ??= { calls: 0, records: 0 });
    c.calls += 1;
    c.records += records;
  };
  return {
    getMany: async (keys, options) => {
      count('getMany', keys.length);
      return store.getMany(keys, options);
    },
    apply: async (writes, options) => {
      count('apply', writes.length);
      return store.apply(writes, options);
    },
    scan: async (options) => {
      const page = await store.scan(options);
      count(options.since === Number.MAX_SAFE_INTEGER ? 'scan (head only)' : 'scan', page.records.length);
      return page;
    },
    digest: async (nodes, options) => {
      count('digest', nodes.length);
      return store.digest(nodes, options);
    },
    entries: async (nodes, options) => {
      count('entries', nodes.length);
      return store.entries(nodes, options);
    },
  };
}

/** SHA-256 of everything a record holds but its seq (which is the holding region's), in key order. */
function contentDigest(records: readonly StoredRecord[]): string {
  const hash = createHash('sha256');
  for (const r of [...records].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    hash.update(JSON.stringify([r.key, r.deleted, r.value, r.version, r.origin, r.vv, r.conflicts ?? null, r.etag]));
    hash.update('\n');
  }
  return hash.digest('hex');
}

async function main(): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1_000); // Meridian's timers are unref'd
  const provider = createLocalProvider({ regions: seedRegions(2) });
  const pids = new Set<number>();
  const agents = [countingAgent(), countingAgent()] as const;
  let stores: [LocalReplicaStore, LocalReplicaStore] | undefined;
  try {
    const deployed = await provider.deploy({ name: 'sync-bench', regions: [] });
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`regions failed to start: ${failed.map((r) => `${r.regionId} (${r.error})`).join(', ')}`);
    for (const pid of provider.pids()) pids.add(pid);
    const pidOf = async (id: string) => (await provider.status(id)).details!.pid as number;
    const [sourcePid, targetPid] = [await pidOf(SOURCE), await pidOf(TARGET)];
    stores = [
      createLocalReplicaStore(provider, SOURCE, { dispatcher: agents[0].agent }),
      createLocalReplicaStore(provider, TARGET, { dispatcher: agents[1].agent }),
    ];
    const [source, target] = stores;

    // The source's data: written by a ReplicaWriter as an app in us-east would (into memory, then copied in).
    const staging = new MemoryReplicaStore();
    const writer = new ReplicaWriter({ regionId: SOURCE, store: staging });
    for (let i = 0; i < KEYS; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, KEYS - i) }, (_, j) => writer.put(`item:${i + j}`, { sku: i + j, stock: 10, name: `item ${i + j}`, tags: ['a', 'b', 'c'] })));
    }
    const staged = await scanAll(staging);
    for (let i = 0; i < staged.length; i += PAGE) await source.apply(staged.slice(i, i + PAGE).map((r) => ({ key: r.key, record: r, expected: null })));
    const sourceRecords = await scanAll(source);
    const sourceDigest = contentDigest(sourceRecords);
    const [sourceRoot] = await source.digest(['']);
    if (sourceRecords.length !== KEYS || sourceRoot![1] !== KEYS) throw new MeridianError('PRECONDITION_FAILED', `source holds ${sourceRecords.length} records`);
    const jsonBytes = sourceRecords.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);

    /** Deletes every record of the target; its index is then as a fresh one's (empty tree, compacted log). */
    const emptyTarget = async (): Promise<void> => {
      const held = await scanAll(target);
      for (let i = 0; i < held.length; i += PAGE) await target.apply(held.slice(i, i + PAGE).map((r) => ({ key: r.key, record: null, expected: r.etag })));
      const [root] = await target.digest(['']);
      if (root![1] !== 0) throw new MeridianError('PRECONDITION_FAILED', `the target still holds ${root![1]} records`);
    };
    /** The target holds exactly the source's records (count, tree root, content digest). */
    const checkCopied = async (what: string): Promise<void> => {
      const records = await scanAll(target);
      const [root] = await target.digest(['']);
      const digest = contentDigest(records);
      if (records.length !== KEYS || root![0] !== sourceRoot![0] || root![1] !== KEYS || digest !== sourceDigest) {
        throw new MeridianError('PRECONDITION_FAILED', `${what} did not copy: target holds ${records.length} records (root ${root}), content ${digest === sourceDigest ? 'equal' : 'different'}`);
      }
    };
    const measured = async (work: () => Promise<void>): Promise<Run> => {
      const bytesBefore = agents[0].bytes() + agents[1].bytes();
      const before = [processCpuMillis(sourcePid), processCpuMillis(targetPid)];
      const cpu = process.cpuUsage();
      const started = performance.now();
      await work();
      const wallMillis = performance.now() - started;
      const used = process.cpuUsage(cpu);
      const here = (used.user + used.system) / 1000;
      const sourceCpu = processCpuMillis(sourcePid) - before[0]!;
      const targetCpu = processCpuMillis(targetPid) - before[1]!;
      return { wallMillis, cpuMillis: { here, source: sourceCpu, target: targetCpu, total: here + sourceCpu + targetCpu }, wireBytes: agents[0].bytes() + agents[1].bytes() - bytesBefore };
    };

    let frames = { bytesSent: 0, rawBytes: 0 };
    const rawCopy = async (from: ReplicaStore = source, to: ReplicaStore = target): Promise<Run> => {
      await emptyTarget();
      const run = await measured(async () => {
        for (let since = 0; ; ) {
          const page = await from.scan({ since, limit: PAGE });
          if (page.records.length > 0) await to.apply(page.records.map((r) => ({ key: r.key, record: r, expected: null })));
          if (page.records.length === 0 || page.remaining === 0) return;
          since = page.records[page.records.length - 1]!.seq;
        }
      });
      return run;
    };
    const syncCopy = async (from: ReplicaStore = source, to: ReplicaStore = target): Promise<Run> => {
      await emptyTarget();
      const sync = new CrossRegionSync({
        regions: [
          { id: SOURCE, store: from },
          { id: TARGET, store: to },
        ],
        mode: 'active-passive',
      });
      try {
        const run = await measured(async () => {
          for (let round = 1; ; round++) {
            const report = await sync.syncNow();
            if (report.pairs.every((p) => p.ok && p.records === 0 && !p.catchUp)) return;
            if (!report.pairs.every((p) => p.ok)) throw new MeridianError('PRECONDITION_FAILED', `sync round ${round} failed: ${JSON.stringify(sync.status().pairs.map((p) => p.lastError))}`);
            if (round >= 10) throw new MeridianError('TIMEOUT', 'sync did not settle in 10 rounds');
          }
        });
        const pair = sync.status().pairs.find((p) => p.from === SOURCE)!;
        frames = { bytesSent: pair.bytesSent, rawBytes: pair.rawBytes };
        return run;
      } finally {
        await sync.close();
      }
    };

    // Both really copy, before anything is timed; the calls each makes are counted on the way (not timed).
    const rawCalls = { source: {} as Calls, target: {} as Calls };
    const syncCalls = { source: {} as Calls, target: {} as Calls };
    await rawCopy(counted(source, rawCalls.source), counted(target, rawCalls.target));
    await checkCopied('the raw copy');
    await syncCopy(counted(source, syncCalls.source), counted(target, syncCalls.target));
    await checkCopied('the sync');

    const raw: Run[] = [];
    const synced: Run[] = [];
    for (let run = 0; run < RUNS; run++) {
      // Alternate which goes first, so a slow spell of the machine does not always land on the same side.
      const order = ONLY ? [ONLY] : run % 2 === 0 ? ['raw', 'sync'] : ['sync', 'raw'];
      for (const side of order) {
        if (side === 'raw') raw.push(await rawCopy());
        else synced.push(await syncCopy());
      }
    }
    await checkCopied('the last run');
    if (ONLY) {
      const runs = ONLY === 'raw' ? raw : synced;
      console.log(`${ONLY} only, ${runs.length} runs: wall ${runs.map((r) => r.wallMillis.toFixed(0)).join(', ')} ms; CPU ${runs.map((r) => `${r.cpuMillis.here.toFixed(0)}+${r.cpuMillis.source}+${r.cpuMillis.target}`).join(', ')} ms (here+source+target)`);
      return;
    }

    const ratios = raw.map((r, i) => r.wallMillis / synced[i]!.wallMillis);
    const cpuRatios = raw.map((r, i) => r.cpuMillis.total / synced[i]!.cpuMillis.total);
    const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
    const side = (runs: Run[]) => {
      const wall = median(runs.map((r) => r.wallMillis));
      return {
        wallMillis: runs.map((r) => Math.round(r.wallMillis)),
        medianWallMillis: Math.round(wall),
        keysPerSecond: Math.round(KEYS / (wall / 1000)),
        MBPerSecond: jsonBytes / 1e6 / (wall / 1000),
        medianCpuMillis: {
          here: Math.round(median(runs.map((r) => r.cpuMillis.here))),
          sourceRegion: median(runs.map((r) => r.cpuMillis.source)),
          targetRegion: median(runs.map((r) => r.cpuMillis.target)),
          total: Math.round(median(runs.map((r) => r.cpuMillis.total))),
        },
        cpuMillisTotal: runs.map((r) => Math.round(r.cpuMillis.total)),
        wireBytes: median(runs.map((r) => r.wireBytes)),
      };
    };
    const result = {
      ...keptBefore(),
      throughputBetweenRegionProcesses: {
        baseline:
          'raw store-to-store copy through the same LocalReplicaStore clients: scan the source region page by page (500 records, the sync default maxBatchRecords) and apply each page to the emptied target region with expected: null, sequentially, no sync protocol; same data, same processes, runs alternating with the sync',
        sync: 'CrossRegionSync with its defaults (maxBatchRecords 500, maxBatchBytes 1 MiB, brotli frames), active-passive from the filled region into the emptied one, syncNow() until a round moves nothing (the catch-up round and one empty round)',
        keys: KEYS,
        dataMB: jsonBytes / 1e6,
        runs: RUNS,
        regionProcesses: 2,
        checked: 'before the runs and after the last: the target holds 20 000 records, the same tree root (XOR of fingerprints, count) and the same SHA-256 of every record but its seq as the source, for the raw copy and for the sync',
        /** Median of the per-run ratios (raw copy time / sync time, back to back). */
        ratioToRawCopy: median(ratios),
        ratioRange: range(ratios),
        ratioSamples: ratios,
        /** The same on CPU time: this process (all threads) + both region processes. */
        cpuRatioToRawCopy: median(cpuRatios),
        cpuRatioRange: range(cpuRatios),
        cpuRatioSamples: cpuRatios,
        goalRatio: 0.7,
        rawCopy: side(raw),
        syncCopy: { ...side(synced), frameBytes: frames.bytesSent, frameRawBytes: frames.rawBytes },
        callsPerCopy: { rawCopy: rawCalls, sync: syncCalls },
        wireBytesNote:
          'wireBytes: TCP bytes of both clients (requests and replies, HTTP headers included), median per run. frameBytes: the brotli frames the sync built and decoded in this process (its protocol\'s wire between two engines); between local regions the records still travel as the /replica API\'s JSON (scan replies plain, apply bodies gzip)',
      },
    };
    const s = result.throughputBetweenRegionProcesses;
    const f = (x: number) => x.toFixed(2);
    console.log(
      `between region processes, ${KEYS} keys: sync ${s.syncCopy.keysPerSecond} keys/s (${s.syncCopy.medianWallMillis} ms) vs raw copy ${s.rawCopy.keysPerSecond} keys/s (${s.rawCopy.medianWallMillis} ms): ` +
        `${f(s.ratioToRawCopy)}× of raw (median of ${RUNS}: ${ratios.map(f).join(', ')}); CPU ${f(s.cpuRatioToRawCopy)}× (${cpuRatios.map(f).join(', ')})`,
    );
    console.log(
      `CPU per copy (median, ms: here / source / target): sync ${s.syncCopy.medianCpuMillis.here} / ${s.syncCopy.medianCpuMillis.sourceRegion} / ${s.syncCopy.medianCpuMillis.targetRegion}, raw ${s.rawCopy.medianCpuMillis.here} / ${s.rawCopy.medianCpuMillis.sourceRegion} / ${s.rawCopy.medianCpuMillis.targetRegion}`,
    );
    console.log(`wire bytes per copy: sync ${s.syncCopy.wireBytes} (frames ${s.syncCopy.frameBytes}), raw ${s.rawCopy.wireBytes}; ${f(s.dataMB)} MB of record JSON`);
    console.log(`calls per copy: raw ${JSON.stringify(rawCalls)}; sync ${JSON.stringify(syncCalls)}`);
    console.log(`wrote ${writeBenchResult(RESULTS, 'sync-between-regions', result)}`);
  } finally {
    await Promise.all((stores ?? []).map((s: ReplicaStore & { close?(): Promise<void> }) => s.close?.()));
    await Promise.all(agents.map((a) => a.agent.close()));
    await provider.stop();
    clearInterval(keepAlive);
    const leaked = await findLeakedProcesses([...pids]);
    if (leaked.length > 0) {
      console.error(`region processes left running: ${leaked.join(', ')}`);
      process.exitCode = 1;
    }
  }
}

await main();
