// 1000 concurrent migrations of 64 KB sessions between two local regions, with
// the filesystem snapshot store: total wall time, p50/p95 per migration, CPU of
// this process and of the region processes, and the sessions counted afterwards
// in the regions themselves (lost, doubly active).
//
// Baseline, run in the same process right before each round: the work a
// migration cannot avoid, done raw on the same sessions at the same
// concurrency: GET each state from the source, encode and decode it with the
// same codec, PUT it into the target (two HTTP round trips over a keep-alive
// undici Agent, no protocol, no store). Rounds alternate direction; the
// figures are medians of ROUNDS rounds.
//
// MIGRATIONS_BENCH_BATCH_SIZE sets the migrator's `batchSize` and
// MIGRATIONS_BENCH_COMPRESSION_LEVEL the codec's `compressionLevel` (defaults:
// theirs), to measure each change on its own (batch size 1: the per-session calls).
//
// `--record-before` stores this run as the `before` figure of the results
// file; otherwise the `before` already there is kept beside the new figures.
//
// MIGRATIONS_BENCH_STORES picks the snapshot store: `file` (the default, as
// before: FileSnapshotStore, top-level figures of the results file) or
// `file,segment`: the FileSnapshotStore and the SegmentSnapshotStore (group
// commit) alternating round by round in one run, each store taking both
// directions equally (pairs a->b, b->a with the stores' order swapped every
// pair), one migrator whose store is switched between rounds. That run writes
// `storeComparison` into the results file and keeps every other field;
// MIGRATIONS_BENCH_APPEND=1 adds its rounds to the runs already there (medians
// over all of them). fsyncs per round are counted in this process (every
// FileHandle sync/datasync, directory fsyncs included) during the migration.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalProvider, createLocalSessionAdapter } from '@meridian/providers-local';
import type { SnapshotStore } from '@meridian/core';
import { FileSnapshotStore, SegmentSnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { median, writeBenchResult } from '@meridian/testkit';
import PQueue from 'p-queue';
import { Agent, request } from 'undici';
import { countFsyncs } from './fsync-counter.js';

const SESSIONS = 1_000;
const CONCURRENCY = 1_000;
const ROUNDS = Number(process.env.MIGRATIONS_BENCH_ROUNDS ?? '5');
const GOAL_MILLIS = 1_500;
const BATCH_SIZE = process.env.MIGRATIONS_BENCH_BATCH_SIZE ? Number(process.env.MIGRATIONS_BENCH_BATCH_SIZE) : undefined;
const COMPRESSION_LEVEL = process.env.MIGRATIONS_BENCH_COMPRESSION_LEVEL ? Number(process.env.MIGRATIONS_BENCH_COMPRESSION_LEVEL) : undefined;
const RESULTS = new URL('./results/', import.meta.url);
const STORES = (process.env.MIGRATIONS_BENCH_STORES ?? 'file').split(',').map((s) => s.trim()) as Array<'file' | 'segment'>;
const STORE_NAMES = { file: 'FileSnapshotStore (fsync + rename)', segment: 'SegmentSnapshotStore (group commit)' } as const;
if (STORES.length === 0 || STORES.some((s) => !(s in STORE_NAMES))) throw new Error(`MIGRATIONS_BENCH_STORES: expected file, segment or file,segment; got ${process.env.MIGRATIONS_BENCH_STORES}`);


/** One store at a time behind one migrator, switched between rounds (the migrator keeps its sessions' registry). */
class SwitchedStore implements SnapshotStore {
  constructor(public current: SnapshotStore) {}
  put(...args: Parameters<SnapshotStore['put']>) {
    return this.current.put(...args);
  }
  get(...args: Parameters<SnapshotStore['get']>) {
    return this.current.get(...args);
  }
  delete(...args: Parameters<SnapshotStore['delete']>) {
    return this.current.delete(...args);
  }
  list(...args: Parameters<SnapshotStore['list']>) {
    return this.current.list(...args);
  }
}

/** CPU milliseconds a process has used so far, from /proc (Linux); undefined elsewhere. */
function processCpuMillis(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of the line, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}

/** Runs `work`, returning its wall time and the CPU it cost here and in the region processes. */
async function measured(pids: number[], work: () => Promise<void>): Promise<{ wallMillis: number; cpuMillis: number; regionCpuMillis: number | undefined }> {
  const regionCpu = () => pids.reduce<number | undefined>((sum, pid) => (sum === undefined ? undefined : ((c) => (c === undefined ? undefined : sum + c))(processCpuMillis(pid))), 0);
  const regionsBefore = regionCpu();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMillis = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const regionsAfter = regionCpu();
  return {
    wallMillis,
    cpuMillis: (cpu.user + cpu.system) / 1000,
    regionCpuMillis: regionsBefore === undefined || regionsAfter === undefined ? undefined : regionsAfter - regionsBefore,
  };
}

async function main(): Promise<void> {
  const provider = createLocalProvider({
    regions: [
      { id: 'a', location: { lat: 0, lon: 0 } },
      { id: 'b', location: { lat: 1, lon: 1 } },
    ],
  });
  await provider.deploy({ name: 'bench', regions: [] });
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-bench-snapshots-'));
  const agent = new Agent({ connections: 64 });
  let stores: { file: FileSnapshotStore; segment: SegmentSnapshotStore | undefined } | undefined;
  try {
    const endpoint = (id: string) => provider.regions().find((r) => r.id === id)!.endpoint;
    const state = () => ({ storage: Object.fromEntries(Array.from({ length: 400 }, (_, k) => [`key-${k}`, `${'value '.repeat(20)}${randomBytes(24).toString('base64')}`])) });
    const codec = new SnapshotCodec({ keys: [{ id: 'bench', key: randomBytes(32) }], ...(COMPRESSION_LEVEL === undefined ? {} : { compressionLevel: COMPRESSION_LEVEL }) });
    const fsyncs = await countFsyncs();
    stores = {
      file: new FileSnapshotStore(join(dir, 'files')),
      segment: STORES.includes('segment') ? await SegmentSnapshotStore.open({ directory: join(dir, 'segments') }) : undefined,
    };
    const store = new SwitchedStore(stores[STORES[0]!]!);
    const migrator = new SessionMigrator({
      adapter: createLocalSessionAdapter(provider),
      codec,
      store,
      concurrency: CONCURRENCY,
      timeoutMillis: 60_000,
      ...(BATCH_SIZE === undefined ? {} : { batchSize: BATCH_SIZE }),
    });
    const ids = Array.from({ length: SESSIONS }, (_, i) => `s${i}`);
    const setup = new PQueue({ concurrency: 64 });
    await Promise.all(
      ids.map((id) =>
        setup.add(async () => {
          const res = await request(`${endpoint('a')}/sessions/${id}`, { method: 'PUT', body: JSON.stringify(state()), dispatcher: agent });
          await res.body.dump();
        }),
      ),
    );
    for (const id of ids) migrator.register({ id, region: 'a' });
    const sessionJsonBytes = Buffer.byteLength(JSON.stringify(state()));

    const send = async (url: string, method: 'GET' | 'PUT' | 'DELETE', body?: string) => {
      const res = await request(url, { method, dispatcher: agent, ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }) });
      const text = await res.body.text();
      if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${text}`);
      return text;
    };
    // The raw work: state out of the source, through the codec, into the target (under other keys, removed afterwards).
    const raw = async (from: string, to: string) => {
      const queue = new PQueue({ concurrency: CONCURRENCY });
      await Promise.all(
        ids.map((id) =>
          queue.add(async () => {
            const { state: s } = JSON.parse(await send(`${endpoint(from)}/sessions/${id}`, 'GET')) as { state: unknown };
            const decoded = codec.decode<{ state: unknown }>(codec.encode({ sessionId: id, migrationId: 'raw', from, to, state: s }));
            await send(`${endpoint(to)}/sessions/raw-${id}?status=suspended`, 'PUT', JSON.stringify(decoded.state));
          }),
        ),
      );
    };
    const cleanRaw = async (to: string) => {
      for (const id of ids) await send(`${endpoint(to)}/sessions/raw-${id}`, 'DELETE');
    };
    // Counted from the regions themselves, not from the migrator's bookkeeping.
    const count = async () => {
      const active = new Map<string, number>();
      for (const region of ['a', 'b']) {
        const body = JSON.parse(await send(`${endpoint(region)}/sessions`, 'GET')) as { items: Array<{ key: string; status: string }> };
        for (const s of body.items) if (s.status === 'active') active.set(s.key, (active.get(s.key) ?? 0) + 1);
      }
      return { lost: ids.filter((id) => !active.has(id)).length, doublyActive: [...active.values()].filter((n) => n > 1).length };
    };

    const rounds = [];
    for (let round = 0; round < ROUNDS; round++) {
      const [from, to] = round % 2 === 0 ? ['a', 'b'] : ['b', 'a'];
      // Two stores: a->b then b->a per pair, the stores' order swapped every pair, so each takes both directions.
      const storeId = STORES[(round + Math.floor(round / 2)) % STORES.length]!;
      store.current = stores[storeId]!;
      const pids = provider.pids();
      const baseline = await measured(pids, () => raw(from!, to!));
      await cleanRaw(to!);
      let result: Awaited<ReturnType<SessionMigrator['batchMigrate']>> | undefined;
      const fsyncsBefore = fsyncs();
      const eluBefore = performance.eventLoopUtilization();
      const migration = await measured(pids, async () => {
        result = await migrator.batchMigrate(ids, to!, { concurrency: CONCURRENCY });
      });
      // The share of the round this process's main thread was busy (1 - idle): is it what the round waits for?
      const mainThreadBusy = Math.round(performance.eventLoopUtilization(performance.eventLoopUtilization(), eluBefore).utilization * 100) / 100;
      const fsyncsInRound = fsyncs() - fsyncsBefore;
      const counted = await count();
      const row = {
        store: storeId,
        fsyncs: fsyncsInRound,
        mainThreadBusy,
        from,
        to,
        migrationMillis: Math.round(migration.wallMillis),
        baselineMillis: Math.round(baseline.wallMillis),
        ratio: migration.wallMillis / baseline.wallMillis,
        migrationCpuMillis: { here: Math.round(migration.cpuMillis), regions: migration.regionCpuMillis },
        baselineCpuMillis: { here: Math.round(baseline.cpuMillis), regions: baseline.regionCpuMillis },
        migrated: result!.migrated.length,
        failed: result!.failed.length,
        ...counted,
      };
      rounds.push(row);
      console.log(
        `round ${round + 1} ${storeId} ${from}->${to}: ${row.migrationMillis} ms (${row.fsyncs} fsyncs, main thread busy ${Math.round(row.mainThreadBusy * 100)} %) (baseline ${row.baselineMillis} ms, ${row.ratio.toFixed(2)}x); ` +
          `CPU here ${row.migrationCpuMillis.here} ms, regions ${row.migrationCpuMillis.regions ?? '?'} ms (baseline ${row.baselineCpuMillis.here} / ${row.baselineCpuMillis.regions ?? '?'} ms); ` +
          `migrated ${row.migrated}, failed ${row.failed}, lost ${row.lost}, doubly active ${row.doublyActive}`,
      );
      if (row.failed > 0) console.log(result!.failed.slice(0, 3));
    }

    const stats = migrator.statistics();
    if (STORES.length > 1) {
      writeComparison(rounds, sessionJsonBytes);
      if (rounds.some((r) => r.lost > 0 || r.doublyActive > 0)) process.exitCode = 1;
      return;
    }
    const wallMillis = median(rounds.map((r) => r.migrationMillis));
    const figures = {
      wallMillis,
      baselineMillis: median(rounds.map((r) => r.baselineMillis)),
      ratio: median(rounds.map((r) => r.ratio)),
      migrationsPerSecond: Math.round(SESSIONS / (wallMillis / 1000)),
      lost: Math.max(...rounds.map((r) => r.lost)),
      doublyActive: Math.max(...rounds.map((r) => r.doublyActive)),
    };
    console.log(
      `${SESSIONS} migrations of ${Math.round(sessionJsonBytes / 1024)} KB sessions, ${CONCURRENCY} at once, filesystem store, median of ${ROUNDS}: ` +
        `${figures.wallMillis} ms wall (goal < ${GOAL_MILLIS}) = ${figures.ratio.toFixed(2)}x the raw GET+codec+PUT (${figures.baselineMillis} ms); ` +
        `lost ${figures.lost}, doubly active ${figures.doublyActive}`,
    );
    const file = fileURLToPath(new URL('migrations.json', RESULTS));
    const before = process.argv.includes('--record-before')
      ? { ...figures, measuredAt: new Date().toISOString(), rounds }
      : existsSync(file)
        ? (JSON.parse(readFileSync(file, 'utf8')) as { before?: unknown }).before
        : undefined;
    writeBenchResult(RESULTS, 'migrations', {
      sessions: SESSIONS,
      concurrency: CONCURRENCY,
      store: STORE_NAMES[STORES[0]!],
      sessionJsonBytes,
      goalMillis: GOAL_MILLIS,
      baseline: 'raw GET from the source + SnapshotCodec encode and decode + PUT into the target, same sessions and concurrency, keep-alive undici Agent (64 connections per region), same process, right before each round',
      ...figures,
      p50Millis: stats.p50Millis,
      p95Millis: stats.p95Millis,
      bytesMoved: stats.bytesMoved,
      rounds,
      ...(before === undefined ? {} : { before }),
    });
    if (figures.lost > 0 || figures.doublyActive > 0) process.exitCode = 1;
  } finally {
    await stores?.segment?.close();
    await agent.close();
    await provider.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Round = { store: 'file' | 'segment'; fsyncs: number; mainThreadBusy?: number; from: string | undefined; migrationMillis: number; baselineMillis: number; ratio: number; migrationCpuMillis: { here: number; regions: number | undefined }; migrated: number; failed: number; lost: number; doublyActive: number };

/** Medians per store over this run's rounds (and, with MIGRATIONS_BENCH_APPEND=1, the runs already recorded). */
function writeComparison(rounds: Round[], sessionJsonBytes: number): void {
  const file = fileURLToPath(new URL('migrations.json', RESULTS));
  const existing = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : { benchmark: 'migrations' };
  const previous = (existing.storeComparison as { runs?: Array<{ measuredAt: string; rounds: Round[] }> } | undefined)?.runs ?? [];
  const runs = [...(process.env.MIGRATIONS_BENCH_APPEND === '1' ? previous : []), { measuredAt: new Date().toISOString(), rounds }];
  const all = runs.flatMap((r) => r.rounds);
  const figures = (id: 'file' | 'segment') => {
    const mine = all.filter((r) => r.store === id);
    const wallMillis = median(mine.map((r) => r.migrationMillis));
    return {
      store: STORE_NAMES[id],
      rounds: mine.length,
      wallMillis,
      baselineMillis: median(mine.map((r) => r.baselineMillis)),
      ratio: median(mine.map((r) => r.ratio)),
      migrationsPerSecond: Math.round(SESSIONS / (wallMillis / 1000)),
      fsyncsPerRound: median(mine.map((r) => r.fsyncs)),
      cpuMillisHere: median(mine.map((r) => r.migrationCpuMillis.here)),
      cpuMillisRegions: median(mine.map((r) => r.migrationCpuMillis.regions ?? 0)),
      ...(mine.some((r) => r.mainThreadBusy !== undefined) ? { mainThreadBusy: median(mine.flatMap((r) => (r.mainThreadBusy === undefined ? [] : [r.mainThreadBusy]))) } : {}),
      runMedians: runs.map((run) => median(run.rounds.filter((r) => r.store === id).map((r) => r.migrationMillis))),
      fastestRoundMillis: Math.min(...mine.map((r) => r.migrationMillis)),
      slowestRoundMillis: Math.max(...mine.map((r) => r.migrationMillis)),
      roundsUnderGoal: mine.filter((r) => r.migrationMillis < GOAL_MILLIS).length,
      lost: Math.max(...mine.map((r) => r.lost)),
      doublyActive: Math.max(...mine.map((r) => r.doublyActive)),
    };
  };
  const file_ = figures('file');
  const segment = figures('segment');
  const storeComparison = {
    method: `the two stores alternating round by round in each run (pairs a->b, b->a, the stores' order swapped every pair), ${SESSIONS} sessions of ${Math.round(sessionJsonBytes / 1024)} KB, concurrency ${CONCURRENCY}, one migrator whose store is switched between rounds; baseline as above, right before each round; medians over every round of every run listed`,
    goalMillis: GOAL_MILLIS,
    fileSnapshotStore: file_,
    segmentSnapshotStore: segment,
    segmentToFileWallRatio: segment.wallMillis / file_.wallMillis,
    runs,
  };
  writeFileSync(file, `${JSON.stringify({ ...existing, storeComparison }, null, 2)}\n`);
  for (const f of [file_, segment]) {
    console.log(
      `${f.store}: median of ${f.rounds} rounds ${f.wallMillis} ms wall (goal < ${GOAL_MILLIS}; ${f.roundsUnderGoal}/${f.rounds} rounds under it) = ${f.ratio.toFixed(2)}x the baseline (${f.baselineMillis} ms); ` +
        `${f.fsyncsPerRound} fsyncs per round; runs ${f.runMedians.join(' / ')} ms; fastest ${f.fastestRoundMillis}, slowest ${f.slowestRoundMillis}; lost ${f.lost}, doubly active ${f.doublyActive}`,
    );
  }
  console.log(`segment / file wall: ${storeComparison.segmentToFileWallRatio.toFixed(2)}`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
