// HAProxy and Meridian's local front door side by side, in one run, over the same
// four local regions (real processes), active-passive with us-east as primary:
// 1. kill test: 200 GET/s over keep-alive, SIGKILL of the primary at 2 s of 6 s;
//    failed requests, kill → first response from another region (what a user
//    waits for) and kill → first one that was not retried (traffic moved: for
//    HAProxy the same, its retries cannot be seen), 3 runs per side on fresh
//    regions, interleaved;
// 2. throughput: 32 keep-alive connections in a closed loop for 3 s against a
//    region directly (the baseline), HAProxy and the front door.
// The front door runs with { monitor }: passive detection (3 refused connections
// eject a region) and retries on another region within the retry budget.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { findLeakedProcesses, median, writeBenchResult } from '@meridian/testkit';
import { createLocalProvider, type LocalProvider, type LocalRegionOptions } from '../src/index.js';
import { findOrInstallHaproxy, startHaproxySide, type HaproxyInstall } from './haproxy-side.js';
import { runKillTest, type KillRun } from './kill-test.js';
import { MERIDIAN_HEALTH, startMeridianSide, type BenchSide } from './meridian-side.js';

const PRIMARY = 'us-east';
const REGIONS: LocalRegionOptions[] = [
  { id: 'us-east', location: { lat: 37.5, lon: -77.5 }, priority: 0 },
  { id: 'eu-west', location: { lat: 53.3, lon: -6.2 }, priority: 1 },
  { id: 'ap-south', location: { lat: 1.3, lon: 103.8 }, priority: 2 },
  { id: 'ru-central', location: { lat: 55.7, lon: 37.6 }, priority: 3 },
];
const KILL = { runs: 3, ratePerSecond: 200, durationMillis: 6_000, killAtMillis: 2_000, requestTimeoutMillis: 5_000 };
const LOAD = { connections: 32, warmupMillis: 500, durationMillis: 3_000 };

type Side = 'haproxy' | 'meridian';

/** What the closed-loop client prints. */
interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  requestsPerSecond: number;
  p50Millis: number;
  p99Millis: number;
}

const pids = new Set<number>();

/** Deploys fresh regions, runs `fn`, stops them. */
async function withRegions<T>(fn: (provider: LocalProvider) => Promise<T>): Promise<T> {
  const provider = createLocalProvider({ regions: REGIONS });
  try {
    const deployed = await provider.deploy({ name: 'bench', regions: [] });
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`regions failed to start: ${failed.map((r) => `${r.regionId} (${r.error})`).join(', ')}`);
    for (const pid of provider.pids()) pids.add(pid);
    return await fn(provider);
  } finally {
    await provider.stop();
  }
}

function startSide(side: Side, provider: LocalProvider, haproxy: Extract<HaproxyInstall, { ok: true }> | undefined): Promise<BenchSide & { config?: string; pid?: number | undefined }> {
  if (side === 'meridian') return startMeridianSide(provider);
  return startHaproxySide(haproxy!, provider.regions(), PRIMARY);
}

/** One kill run of one side on fresh regions. */
function killRun(side: Side, haproxy: Extract<HaproxyInstall, { ok: true }> | undefined): Promise<KillRun & { config?: string }> {
  return withRegions(async (provider) => {
    const proxy = await startSide(side, provider, haproxy);
    if (proxy.pid !== undefined) pids.add(proxy.pid);
    try {
      const run = await runKillTest({ url: proxy.url, primary: PRIMARY, ...KILL, kill: () => provider.kill(PRIMARY) });
      return proxy.config === undefined ? run : { ...run, config: proxy.config };
    } finally {
      await proxy.close();
    }
  });
}

/** Closed-loop load from a child process against `url`. */
function load(url: string): Promise<LoadResult> {
  const script = fileURLToPath(new URL('./closed-loop.ts', import.meta.url));
  const args = ['--import', 'tsx', script, url, String(LOAD.connections), String(LOAD.warmupMillis), String(LOAD.durationMillis)];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => void (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), LOAD.warmupMillis + LOAD.durationMillis + 15_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`closed-loop client exited (${signal ?? code}): ${out}`));
      resolve(JSON.parse(out) as LoadResult);
    });
  });
}

/** Median of each figure over runs, and the runs that saw traffic move. */
function killSummary(runs: KillRun[]): {
  failed: number;
  total: number;
  failedShare: number;
  movedMillis: number | null;
  firstElsewhereMillis: number | null;
  retried: number;
  failureWindowMillis: number;
} {
  const moved = runs.flatMap((r) => (r.movedMillis === null ? [] : [r.movedMillis]));
  const elsewhere = runs.flatMap((r) => (r.firstElsewhereMillis === null ? [] : [r.firstElsewhereMillis]));
  return {
    failed: median(runs.map((r) => r.failed)),
    total: median(runs.map((r) => r.total)),
    failedShare: Number((median(runs.map((r) => r.failed)) / median(runs.map((r) => r.total))).toFixed(4)),
    movedMillis: moved.length === runs.length ? median(moved) : null,
    firstElsewhereMillis: elsewhere.length === runs.length ? median(elsewhere) : null,
    retried: median(runs.map((r) => r.retried)),
    failureWindowMillis: median(runs.map((r) => r.failureWindowMillis)),
  };
}

function proxyFigures(proxy: LoadResult, direct: LoadResult): Record<string, number> {
  return {
    throughputRatioToDirect: Number((proxy.requestsPerSecond / direct.requestsPerSecond).toFixed(3)),
    addedP50Millis: Number((proxy.p50Millis - direct.p50Millis).toFixed(3)),
    addedP99Millis: Number((proxy.p99Millis - direct.p99Millis).toFixed(3)),
  };
}

const ms = (v: number | null): string => (v === null ? '—' : `${v} ms`);

async function main(): Promise<void> {
  const started = performance.now();
  const haproxyInstall = findOrInstallHaproxy();
  const haproxy = haproxyInstall.ok ? haproxyInstall : undefined;
  if (!haproxyInstall.ok) console.log(`haproxy not run: ${haproxyInstall.reason}`);
  const sides: Side[] = haproxy ? ['haproxy', 'meridian'] : ['meridian'];

  // 1. Kill test, the sides interleaved so that drift of the machine hits both alike.
  const runs: Record<Side, Array<KillRun & { config?: string }>> = { haproxy: [], meridian: [] };
  for (let round = 0; round < KILL.runs; round++) {
    for (const side of sides) runs[side].push(await killRun(side, haproxy));
  }
  const haproxyConfig = runs.haproxy[0]?.config;
  const strip = (r: KillRun & { config?: string }): KillRun => {
    const { config: _config, ...run } = r;
    return run;
  };

  // 2. Throughput: the same regions behind both proxies, measured one after the other.
  const throughput = await withRegions(async (provider) => {
    const direct = provider.regions().find((r) => r.id === PRIMARY)!.endpoint;
    const hp = haproxy ? await startHaproxySide(haproxy, provider.regions(), PRIMARY) : undefined;
    if (hp?.pid !== undefined) pids.add(hp.pid);
    const meridian = await startMeridianSide(provider);
    try {
      const directResult = await load(direct);
      const haproxyResult = hp ? await load(hp.url) : null;
      const meridianResult = await load(meridian.url);
      return { direct: directResult, haproxy: haproxyResult, meridian: meridianResult };
    } finally {
      await meridian.close();
      await hp?.close();
    }
  });
  const leaked = await findLeakedProcesses([...pids]);

  const killTest = {
    haproxy: haproxy ? { runs: runs.haproxy.map(strip), median: killSummary(runs.haproxy) } : null,
    meridian: { runs: runs.meridian.map(strip), median: killSummary(runs.meridian) },
  };
  const ratios = {
    haproxy: throughput.haproxy ? proxyFigures(throughput.haproxy, throughput.direct) : null,
    meridian: proxyFigures(throughput.meridian, throughput.direct),
    meridianToHaproxyThroughput: throughput.haproxy ? Number((throughput.meridian.requestsPerSecond / throughput.haproxy.requestsPerSecond).toFixed(3)) : null,
  };
  const wallSeconds = Number(((performance.now() - started) / 1000).toFixed(1));

  console.log(`\nkill test: ${KILL.ratePerSecond} GET/s for ${KILL.durationMillis / 1000} s over keep-alive, SIGKILL ${PRIMARY} at ${KILL.killAtMillis / 1000} s`);
  console.log('side      run  failed / total   kill → answer elsewhere   kill → moved (no retry)   retried   kill → last failure   served by / errors');
  for (const side of sides) {
    for (const [i, r] of runs[side].entries()) {
      const served = Object.entries({ ...r.servedBy, ...r.errorCodes }).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(
        `${side.padEnd(9)} ${String(i + 1).padEnd(4)} ${`${r.failed} / ${r.total}`.padEnd(16)} ${ms(r.firstElsewhereMillis).padEnd(25)} ${ms(r.movedMillis).padEnd(25)} ${String(r.retried).padEnd(9)} ${ms(r.failureWindowMillis).padEnd(21)} ${served}`,
      );
    }
    const m = killSummary(runs[side]);
    console.log(`${side.padEnd(9)} med  ${`${m.failed} / ${m.total}`.padEnd(16)} ${ms(m.firstElsewhereMillis).padEnd(25)} ${ms(m.movedMillis).padEnd(25)} ${String(m.retried).padEnd(9)} ${ms(m.failureWindowMillis)}`);
  }
  console.log(`\nthroughput: ${LOAD.connections} keep-alive connections, closed loop, ${LOAD.durationMillis / 1000} s (client in its own process)`);
  console.log('target     req/s    p50 ms   p99 ms   × direct   +p50 ms   +p99 ms   errors');
  const row = (name: string, r: LoadResult | null, f: Record<string, number> | null): void => {
    if (!r) return console.log(`${name.padEnd(10)} not run`);
    console.log(
      `${name.padEnd(10)} ${String(r.requestsPerSecond).padEnd(8)} ${r.p50Millis.toFixed(2).padEnd(8)} ${r.p99Millis.toFixed(2).padEnd(8)} ${(f ? f.throughputRatioToDirect!.toFixed(2) : '1.00').padEnd(10)} ${(f ? f.addedP50Millis!.toFixed(2) : '—').padEnd(9)} ${(f ? f.addedP99Millis!.toFixed(2) : '—').padEnd(9)} ${r.errors}`,
    );
  };
  row('direct', throughput.direct, null);
  row('haproxy', throughput.haproxy, ratios.haproxy);
  row('meridian', throughput.meridian, ratios.meridian);
  if (ratios.meridianToHaproxyThroughput !== null) console.log(`meridian / haproxy throughput: ${ratios.meridianToHaproxyThroughput.toFixed(2)}×`);
  if (leaked.length > 0) console.log(`LEAKED processes: ${leaked.join(', ')}`);
  console.log(`wall time ${wallSeconds} s`);

  const path = writeBenchResult(new URL('./results/', import.meta.url), 'failover-vs-haproxy', {
    regions: REGIONS.map((r) => ({ id: r.id, priority: r.priority })),
    primary: PRIMARY,
    killTest: { settings: KILL, ...killTest },
    throughput: { settings: LOAD, path: '/', ...throughput, ratios },
    haproxy: haproxyInstall.ok
      ? {
          ran: true,
          version: haproxyInstall.version,
          binary: haproxyInstall.binary,
          retryOn: haproxyInstall.retryOn,
          // Ports differ per run; this is the config of the first kill run.
          config: haproxyConfig,
        }
      : { ran: false, reason: haproxyInstall.reason },
    meridian: {
      frontDoor: 'provider.startFrontDoor({ monitor }): passive detection (3 gateway failures eject), retries on another region (3 tries, budget 20 %, min 3), per-try timeout 5 s',
      healthMonitor: MERIDIAN_HEALTH,
      failoverManager: { mode: 'active-passive', options: 'defaults (automatic failover; failback after 5 min hold-down, not reached here)' },
    },
    leakedProcesses: leaked,
    wallSeconds,
  });
  console.log(`written ${path}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
