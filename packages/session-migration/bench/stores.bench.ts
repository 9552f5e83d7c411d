// The snapshot stores alone, as a migration burst uses them: 1 000 concurrent
// puts of 12 KB (the size a 64 KB session encodes to), each with ifNoneMatch,
// then 1 000 deletes; FileSnapshotStore (the baseline) and SegmentSnapshotStore
// alternating round by round in one process; medians of ROUNDS rounds each.
// fsyncs are counted in this process (every FileHandle sync/datasync).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { SnapshotStore } from '@meridian/core';
import { FileSnapshotStore, SegmentSnapshotStore } from '@meridian/session-migration';
import { median, writeBenchResult } from '@meridian/testkit';
import { countFsyncs } from './fsync-counter.js';

const PUTS = 1_000;
const BYTES = 12 * 1024;
const ROUNDS = Number(process.env.STORES_BENCH_ROUNDS ?? '10');
const RESULTS = new URL('./results/', import.meta.url);


async function main(): Promise<void> {
  const fsyncs = await countFsyncs();
  const dir = mkdtempSync(join(os.tmpdir(), 'meridian-bench-stores-'));
  const file = new FileSnapshotStore(join(dir, 'files'));
  const segment = await SegmentSnapshotStore.open({ directory: join(dir, 'segments') });
  const values = Array.from({ length: PUTS }, () => randomBytes(BYTES));
  const rows: Array<{ store: 'file' | 'segment'; putMillis: number; deleteMillis: number; fsyncs: number; cpuMillis: number }> = [];
  try {
    for (let round = 0; round < 2 * ROUNDS; round++) {
      const id = (round + Math.floor(round / 2)) % 2 === 0 ? 'file' : 'segment';
      const store: SnapshotStore = id === 'file' ? file : segment;
      const keys = values.map((_, i) => `mig.${round}.s${i}`);
      const before = fsyncs();
      const cpu = process.cpuUsage();
      let t = performance.now();
      await Promise.all(keys.map((key, i) => store.put(key, values[i]!, { ifNoneMatch: '*' })));
      const putMillis = performance.now() - t;
      t = performance.now();
      await Promise.all(keys.map((key) => store.delete(key)));
      const deleteMillis = performance.now() - t;
      const used = process.cpuUsage(cpu);
      rows.push({ store: id, putMillis: Math.round(putMillis), deleteMillis: Math.round(deleteMillis), fsyncs: fsyncs() - before, cpuMillis: Math.round((used.user + used.system) / 1000) });
      console.log(`round ${round + 1} ${id}: ${PUTS} puts ${Math.round(putMillis)} ms, deletes ${Math.round(deleteMillis)} ms, ${rows.at(-1)!.fsyncs} fsyncs, CPU ${rows.at(-1)!.cpuMillis} ms`);
    }
  } finally {
    await segment.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const figures = (id: 'file' | 'segment') => {
    const mine = rows.filter((r) => r.store === id);
    return {
      putMillis: median(mine.map((r) => r.putMillis)),
      putMillisRange: [Math.min(...mine.map((r) => r.putMillis)), Math.max(...mine.map((r) => r.putMillis))],
      deleteMillis: median(mine.map((r) => r.deleteMillis)),
      fsyncsPerRound: median(mine.map((r) => r.fsyncs)),
      cpuMillis: median(mine.map((r) => r.cpuMillis)),
    };
  };
  const fileFigures = figures('file');
  const segmentFigures = figures('segment');
  const putRatio = segmentFigures.putMillis / fileFigures.putMillis;
  console.log(`FileSnapshotStore: ${JSON.stringify(fileFigures)}\nSegmentSnapshotStore: ${JSON.stringify(segmentFigures)}\nsegment / file, puts: ${putRatio.toFixed(2)}`);
  writeBenchResult(RESULTS, 'stores', {
    puts: PUTS,
    bytes: BYTES,
    rounds: ROUNDS,
    method: 'per round: 1 000 concurrent puts (ifNoneMatch *) then 1 000 concurrent deletes; the two stores alternating round by round (pairs, order swapped every pair) in one process; medians',
    baseline: 'FileSnapshotStore (temp file, fsync, rename, shared directory fsync; writeConcurrency 8)',
    fileSnapshotStore: fileFigures,
    segmentSnapshotStore: segmentFigures,
    segmentToFilePutRatio: putRatio,
    rows,
  });
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
