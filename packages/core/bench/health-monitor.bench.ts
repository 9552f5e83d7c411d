// Benchmarks of the health monitor against a real local region process.
// Every figure is printed as a ratio against a baseline measured in this run:
//  1. CPU per 1000 probes vs CPU of raw undici sending the same requests to the same
//     region (SAMPLES parallel keep-alive GETs per probe, as the monitor sends), with
//     `request()` and, the floor, with `dispatch()` and a handler that does nothing;
//  2. time from kill to `region:unhealthy` vs intervalMillis × failuresBeforeUnhealthy.
import { HealthMonitor, ManualClock } from '@meridian/core';
import { createLocalProvider } from '@meridian/providers-local';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { summarize, writeResult } from './report.js';

const PROBES = 3000;
// The monitor's default samplesPerProbe; the raw baseline sends as many requests per probe.
const SAMPLES = 3;
const KILL_ROUNDS = 6;

function cpuMillis(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function waitFor(monitor: HealthMonitor, name: 'region:healthy' | 'region:unhealthy', regionId: string, timeoutMillis = 20_000): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} for ${regionId} within ${timeoutMillis} ms`)), timeoutMillis);
    const sub = monitor.on(name, (e) => {
      if (e.regionId !== regionId) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(performance.now());
    });
  });
}

const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function rawGet(endpoint: string, agent: Agent): Promise<void> {
  await (await request(`${endpoint}/health`, { dispatcher: agent })).body.dump();
}

// undici's lowest level: no response stream, no body read, nothing judged.
function dispatchGet(endpoint: string, agent: Agent): Promise<void> {
  return new Promise((resolve) => {
    agent.dispatch({ origin: endpoint, path: '/health', method: 'GET' }, { onRequestStart() {}, onResponseEnd: () => resolve(), onResponseError: () => resolve() });
  });
}

async function rawRound(endpoint: string, agent: Agent, perProbe: number, get = rawGet): Promise<{ cpu: number; wall: number }> {
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const gets = new Array<Promise<void>>(perProbe);
  for (let i = 0; i < PROBES; i++) {
    for (let s = 0; s < perProbe; s++) gets[s] = get(endpoint, agent);
    await Promise.all(gets);
  }
  return { cpu: cpuMillis(cpu), wall: performance.now() - wall };
}

async function monitorRound(endpoint: string): Promise<{ cpu: number; wall: number }> {
  // The monitor, driven on virtual time so probes run back to back.
  const clock = new ManualClock();
  const monitor = new HealthMonitor({ regions: [{ id: 'bench', endpoint }], intervalMillis: 1000, timeoutMillis: 500, jitterFraction: 0, samplesPerProbe: SAMPLES, clock });
  let resolveProbe: () => void = () => undefined;
  monitor.on('health:probe', () => resolveProbe());
  const next = async (ms: number): Promise<void> => {
    const done = new Promise<void>((r) => (resolveProbe = r));
    clock.advance(ms);
    await done;
  };
  monitor.start();
  await next(0);
  const cpu = process.cpuUsage();
  const wall = performance.now();
  for (let i = 0; i < PROBES; i++) await next(1000);
  const result = { cpu: cpuMillis(cpu), wall: performance.now() - wall };
  await monitor.stop();
  return result;
}

async function probeOverhead(endpoint: string): Promise<Record<string, number | number[]>> {
  // Baseline: the same keep-alive GETs with undici (SAMPLES in parallel per probe, on
  // as many connections as the monitor's prober keeps), rounds interleaved with the
  // monitor's so warm-up and noise hit both alike. One GET per probe is measured too:
  // the figure this benchmark reported before it sent as many requests as the monitor.
  const agent = new Agent({ keepAliveTimeout: 60_000, connections: SAMPLES + 1 });
  // Two unmeasured rounds of each: one left the first measured rounds ~50 % slower (JIT, heap growth).
  for (let warm = 0; warm < 2; warm++) {
    await rawRound(endpoint, agent, SAMPLES);
    await monitorRound(endpoint);
    await rawRound(endpoint, agent, 1);
    await rawRound(endpoint, agent, SAMPLES, dispatchGet);
  }
  const raw: Array<{ cpu: number; wall: number }> = [];
  const single: Array<{ cpu: number; wall: number }> = [];
  const dispatched: Array<{ cpu: number; wall: number }> = [];
  const mon: Array<{ cpu: number; wall: number }> = [];
  for (let round = 0; round < ROUNDS; round++) {
    raw.push(await rawRound(endpoint, agent, SAMPLES));
    mon.push(await monitorRound(endpoint));
    single.push(await rawRound(endpoint, agent, 1));
    dispatched.push(await rawRound(endpoint, agent, SAMPLES, dispatchGet));
  }
  await agent.close();
  const rawCpu = median(raw.map((r) => r.cpu));
  const singleCpu = median(single.map((r) => r.cpu));
  const dispatchCpu = median(dispatched.map((r) => r.cpu));
  const monCpu = median(mon.map((r) => r.cpu));
  const spread = (rounds: Array<{ cpu: number }>): number[] => rounds.map((r) => Math.round((r.cpu / PROBES) * 1000 * 10) / 10);
  return {
    probesPerRound: PROBES,
    samplesPerProbe: SAMPLES,
    rounds: ROUNDS,
    rawCpuMillisPer1000: (rawCpu / PROBES) * 1000,
    monitorCpuMillisPer1000: (monCpu / PROBES) * 1000,
    cpuRatioVsRawUndici: monCpu / rawCpu,
    rawSingleGetCpuMillisPer1000: (singleCpu / PROBES) * 1000,
    cpuRatioVsOneRawGet: monCpu / singleCpu,
    rawDispatchCpuMillisPer1000: (dispatchCpu / PROBES) * 1000,
    cpuRatioVsRawDispatch: monCpu / dispatchCpu,
    // CPU ms per 1000 of every round, to show the noise behind the medians.
    rawCpuRounds: spread(raw),
    monitorCpuRounds: spread(mon),
    rawDispatchCpuRounds: spread(dispatched),
    // Each monitor round against the raw round run just before it.
    pairedRatios: mon.map((m, i) => Math.round((m.cpu / raw[i]!.cpu) * 1000) / 1000),
    rawWallMillisPer1000: (median(raw.map((r) => r.wall)) / PROBES) * 1000,
    monitorWallMillisPer1000: (median(mon.map((r) => r.wall)) / PROBES) * 1000,
    // At the defaults (30 s interval) one region costs this share of one core.
    coreShareAt30sInterval: monCpu / PROBES / 30_000,
  };
}

async function killToUnhealthy(): Promise<Record<string, unknown>> {
  const intervalMillis = 500;
  const timeoutMillis = 250;
  const failuresBeforeUnhealthy = 3;
  const provider = createLocalProvider({ regions: [{ id: 'victim', location: { lat: 0, lon: 0 } }] });
  await provider.deploy({ name: 'bench', regions: [] });
  const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy: 1 });
  const healthy = waitFor(monitor, 'region:healthy', 'victim');
  monitor.start();
  await healthy;
  const samples: number[] = [];
  try {
    for (let round = 0; round < KILL_ROUNDS; round++) {
      // Kill at a different phase of the probe cycle each round.
      await new Promise((r) => setTimeout(r, 137 * (round + 1)));
      const down = waitFor(monitor, 'region:unhealthy', 'victim');
      const killedAt = performance.now();
      await provider.kill('victim');
      samples.push((await down) - killedAt);
      const up = waitFor(monitor, 'region:healthy', 'victim');
      await provider.restore('victim');
      await up;
    }
  } finally {
    await monitor.stop();
    await provider.stop();
  }
  return {
    intervalMillis,
    timeoutMillis,
    failuresBeforeUnhealthy,
    rounds: KILL_ROUNDS,
    ...summarize(samples, intervalMillis * failuresBeforeUnhealthy, timeoutMillis),
  };
}

// The figures measured before a change (`before`, written by hand with its date) stay in the file across reruns.
function recordedBefore(): unknown {
  try {
    return (JSON.parse(readFileSync(new URL('./results/health-monitor.json', import.meta.url), 'utf8')) as { before?: unknown }).before;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const provider = createLocalProvider({ regions: [{ id: 'bench', location: { lat: 0, lon: 0 } }] });
  await provider.deploy({ name: 'bench', regions: [] });
  let overhead: Record<string, number | number[]>;
  try {
    overhead = await probeOverhead(provider.regions()[0]!.endpoint);
  } finally {
    await provider.stop();
  }
  console.log(
    `probe CPU: monitor ${(overhead.monitorCpuMillisPer1000 as number).toFixed(1)} ms / 1000 probes vs raw undici ${(overhead.rawCpuMillisPer1000 as number).toFixed(1)} ms / 1000 × ${SAMPLES} parallel GETs = ${(overhead.cpuRatioVsRawUndici as number).toFixed(3)}x (${(overhead.cpuRatioVsRawDispatch as number).toFixed(2)}x raw dispatch, ${(overhead.cpuRatioVsOneRawGet as number).toFixed(2)}x one GET)`,
  );
  const detection = await killToUnhealthy();
  console.log(
    `kill -> region:unhealthy: mean ${detection.meanMillis} ms, max ${detection.maxMillis} ms = ${(detection.meanRatio as number).toFixed(2)}x / ${(detection.maxRatio as number).toFixed(2)}x of interval × failures (bound ${(detection.boundRatio as number).toFixed(2)}x)`,
  );
  console.log(`written ${writeResult('health-monitor', { before: recordedBefore(), probeOverhead: overhead, killToUnhealthy: detection })}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
