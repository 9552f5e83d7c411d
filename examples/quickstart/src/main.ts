// Meridian quick start: four regions as real processes on this machine, watched
// by a HealthMonitor. One region is killed, another slowed; the monitor sees both,
// and sees them come back. Exits 0 when every expected event was observed.
import { HealthMonitor, MeridianError, type HealthEvents } from '@meridian/core';
import { createLocalProvider } from '@meridian/providers-local';
import { regions } from './regions.js';
import { healthTable, log } from './render.js';

const DEADLINE_MILLIS = 15_000;

async function main(): Promise<void> {
  const provider = createLocalProvider({ regions });
  const monitor = new HealthMonitor({
    intervalMillis: 1_000,
    timeoutMillis: 500,
    failuresBeforeUnhealthy: 3,
    successesBeforeHealthy: 2,
    degradedLatencyMillis: 150,
  });

  // Every state change, as it happens.
  for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
    monitor.on(name, (e) => log(`EVENT ${name.padEnd(16)} ${e.regionId.padEnd(10)} ${e.previous} -> ${e.state}: ${e.reason}`));
  }
  monitor.on('health:probe', (p) => {
    if (!p.ok) log(`probe  ${p.regionId.padEnd(10)} failed after ${p.latencyMillis} ms: ${p.error}`);
  });

  /** Waits for an event matching `regionId`, or fails the demo after a deadline. */
  function expectEvent(name: keyof HealthEvents, regionId: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.dispose();
        reject(new Error(`expected ${name} for ${regionId} within ${DEADLINE_MILLIS} ms`));
      }, DEADLINE_MILLIS);
      const sub = monitor.on(name, (e) => {
        if ((e as { regionId: string }).regionId !== regionId) return;
        clearTimeout(timer);
        sub.dispose();
        resolve();
      });
    });
  }

  try {
    log('Starting 4 regions as local processes ...');
    const deployed = await provider.deploy({ name: 'quickstart', regions: regions.map((r) => r.id) });
    for (const r of deployed.regions) log(`  ${r.regionId.padEnd(10)} ${r.state.padEnd(8)} ${r.endpoint}`);
    const failed = deployed.regions.filter((r) => r.state !== 'running');
    if (failed.length > 0) throw new Error(`regions failed to start: ${failed.map((r) => `${r.regionId} (${r.error})`).join(', ')}`);

    const allHealthy = Promise.all(regions.map((r) => expectEvent('region:healthy', r.id)));
    for (const region of provider.regions()) monitor.add(region);
    monitor.start();
    await allHealthy;
    await pause(2_000);
    log(`Region health:\n${healthTable(monitor.snapshot())}`);

    log('Killing eu-west (SIGKILL), as a crash would ...');
    const euDown = expectEvent('region:unhealthy', 'eu-west');
    await provider.kill('eu-west');
    await euDown;
    log(`Region health:\n${healthTable(monitor.snapshot())}`);

    log('Slowing ap-south by 250 ms per request ...');
    const apSlow = expectEvent('region:degraded', 'ap-south');
    await provider.slow('ap-south', 250);
    await apSlow;

    log('Restoring eu-west and ap-south ...');
    const euBack = expectEvent('region:healthy', 'eu-west');
    const apBack = expectEvent('region:healthy', 'ap-south');
    await provider.restore('eu-west');
    await provider.restore('ap-south');
    await Promise.all([euBack, apBack]);
    log(`Region health:\n${healthTable(monitor.snapshot())}`);
    log('Done: the killed region went unhealthy and came back; every region is healthy.');
  } finally {
    await monitor.stop();
    await provider.stop();
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    const code = MeridianError.isInstance(error) ? ` [${error.code}]` : '';
    console.error(`quickstart failed${code}:`, error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
