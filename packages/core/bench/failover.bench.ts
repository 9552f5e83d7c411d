// Failover time as clients see it: from `kill` of the primary to the first
// request served by the secondary through the local front door, as a ratio of
// intervalMillis × failuresBeforeUnhealthy, with Azure Traffic Manager's
// detection formula for the same settings printed beside it.
import { FailoverManager, HealthMonitor } from '@meridian/core';
import { createLocalProvider } from '@meridian/providers-local';
import { Agent, request } from 'undici';
import { summarize, writeResult } from './report.js';

const ROUNDS = 6;
const intervalMillis = 500;
const timeoutMillis = 250;
const failuresBeforeUnhealthy = 3;

async function main(): Promise<void> {
  const provider = createLocalProvider({
    regions: [
      { id: 'primary', location: { lat: 37.5, lon: -77.5 }, priority: 0 },
      { id: 'secondary', location: { lat: 53.3, lon: -6.2 }, priority: 1 },
    ],
  });
  await provider.deploy({ name: 'bench', regions: [] });
  const door = await provider.startFrontDoor();
  const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy: 1 });
  const manager = new FailoverManager({ regions: provider.regions(), monitor, provider, failback: { automatic: false } });
  const healthy = (id: string) =>
    new Promise<void>((resolve) => {
      const sub = monitor.on('region:healthy', (e) => {
        if (e.regionId === id) {
          sub.dispose();
          resolve();
        }
      });
    });
  const both = Promise.all([healthy('primary'), healthy('secondary')]);
  monitor.start();
  await both;
  await manager.start();

  // One client sending back-to-back requests, recording who served each and when.
  const agent = new Agent({ connections: 2 });
  let running = true;
  let lastServedBy: { region: string; at: number } | undefined;
  const waiters: Array<{ region: string; after: number; resolve: (at: number) => void }> = [];
  const client = (async () => {
    for (let i = 0; running && i < 1_000_000; i++) {
      try {
        const res = await request(`${door.url}/health`, { dispatcher: agent, signal: AbortSignal.timeout(1_000) });
        await res.body.dump();
        if (res.statusCode < 500) {
          const at = performance.now();
          lastServedBy = { region: String(res.headers['x-meridian-region']), at };
          for (const w of waiters.splice(0)) {
            if (w.region === lastServedBy.region && at > w.after) w.resolve(at);
            else waiters.push(w);
          }
        }
      } catch {
        // counted by the front door
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  const servedBy = (region: string, after: number) => new Promise<number>((resolve) => waiters.push({ region, after, resolve }));

  const samples: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((r) => setTimeout(r, 150 + 97 * round)); // kill at varied probe phases
      const killedAt = performance.now();
      const firstSecondary = servedBy('secondary', killedAt);
      await provider.kill('primary');
      samples.push((await firstSecondary) - killedAt);
      const back = healthy('primary');
      await provider.restore('primary');
      await back;
      await manager.failback();
      await servedBy('primary', performance.now());
    }
  } finally {
    running = false;
    await client;
    await agent.close();
    await manager.stop();
    await monitor.stop();
    await provider.stop();
  }

  const budgetMillis = intervalMillis * failuresBeforeUnhealthy;
  // Traffic Manager: (probing interval + timeout) × (tolerated failures + 1) + DNS TTL.
  const tm = (interval: number, timeout: number, tolerated: number, ttl: number) => (interval + timeout) * (tolerated + 1) + ttl;
  const result = {
    settings: { intervalMillis, timeoutMillis, failuresBeforeUnhealthy, samplesPerProbe: 3 },
    rounds: ROUNDS,
    killToSecondaryServed: summarize(samples, budgetMillis, timeoutMillis),
    frontDoorFailures: door.stats().failures,
    trafficManager: {
      sameSettingsTtl0Millis: tm(intervalMillis, timeoutMillis, failuresBeforeUnhealthy - 1, 0),
      sameSettingsTtl0Ratio: tm(intervalMillis, timeoutMillis, failuresBeforeUnhealthy - 1, 0) / budgetMillis,
      fastestRealMillis: tm(10_000, 5_000, 0, 0),
      defaultsMillis: tm(30_000, 10_000, 3, 60_000),
    },
  };
  const k = result.killToSecondaryServed as Record<string, number>;
  console.log(
    `kill -> first request served by secondary: mean ${k.meanMillis} ms, max ${k.maxMillis} ms = ${k.meanRatio!.toFixed(2)}x / ${k.maxRatio!.toFixed(2)}x of interval × failures (goal <= ${k.boundRatio!.toFixed(2)}x)`,
  );
  console.log(
    `Azure Traffic Manager formula (interval + timeout) × (tolerated + 1) + TTL: same settings, TTL 0: ${result.trafficManager.sameSettingsTtl0Millis} ms (${result.trafficManager.sameSettingsTtl0Ratio.toFixed(2)}x); fastest real settings (10 s, 5 s, 0, TTL 0): ${result.trafficManager.fastestRealMillis} ms; defaults (30 s, 10 s, 3, TTL 60 s): ${result.trafficManager.defaultsMillis} ms`,
  );
  console.log(`written ${writeResult('failover', result)}`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
