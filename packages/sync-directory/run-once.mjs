// temp profiling script (not committed)
import { rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CrossRegionSync } from '@meridian/core';
import { DirectoryReplicaStore } from './dist/index.js';
const src = process.env.SRC ?? '/dev/shm/src-whole';
const work = '/dev/shm/work-' + process.pid;
const keep = setInterval(() => {}, 1000);
const runs = Number(process.env.N ?? 1);
for (let r = 0; r < runs; r++) {
  await rm(work, { recursive: true, force: true }); await mkdir(join(work, 't'), { recursive: true });
  const c0 = process.cpuUsage(); const t0 = performance.now();
  const a = await DirectoryReplicaStore.open({ regionId: 'a', dataPath: src, stateDirectory: join(work, 'sa'), durable: false });
  const t1 = performance.now();
  const b = await DirectoryReplicaStore.open({ regionId: 'b', dataPath: join(work, 't'), stateDirectory: join(work, 'sb'), durable: false });
  const sync = new CrossRegionSync({ regions: [{ id: 'a', store: a }, { id: 'b', store: b }], compression: 'auto' });
  let rounds = 0;
  for (;;) { rounds++; if (rounds > 1) { await a.rescan(); await b.rescan(); } const rep = await sync.syncNow(); if (rep.pairs.every((p) => p.ok && p.records === 0)) break; }
  const t2 = performance.now(); const c = process.cpuUsage(c0);
  console.log(`wall ${(t2 - t0).toFixed(0)} ms (open a ${(t1 - t0).toFixed(0)}) cpu ${((c.user + c.system) / 1000).toFixed(0)} ms rounds ${rounds}`);
  await sync.close(); await a.close(); await b.close();
}
await rm(work, { recursive: true, force: true });
clearInterval(keep);
