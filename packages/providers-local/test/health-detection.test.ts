// HealthMonitor against real region processes, real sockets and the real clock:
// every fault the local provider injects must be detected, and recovery seen.
import { HealthMonitor, type HealthTransition } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, seedRegions, waitForEvent } from '@meridian/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let monitor: HealthMonitor;
const pids: number[] = [];

beforeAll(async () => {
  provider = createLocalProvider({ regions: seedRegions(2) });
  await provider.deploy({ name: 'health', regions: [] });
  pids.push(...provider.pids());
  monitor = new HealthMonitor({
    regions: provider.regions(),
    intervalMillis: 100,
    timeoutMillis: 80,
    failuresBeforeUnhealthy: 2,
    successesBeforeHealthy: 2,
  });
  const bothHealthy = Promise.all(
    ['us-east', 'eu-west'].map((id) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === id })),
  );
  monitor.start();
  await bothHealthy;
});

afterAll(async () => {
  await monitor.stop();
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

async function expectDetected(fault: () => Promise<void>, reason: RegExp): Promise<HealthTransition> {
  const unhealthy = waitForEvent(monitor, 'region:unhealthy', { filter: (e) => e.regionId === 'us-east' });
  await fault();
  const event = await unhealthy;
  expect(event.reason).toMatch(reason);
  // The other region is untouched.
  expect(monitor.get('eu-west').state).toBe('healthy');
  const back = waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === 'us-east' });
  await provider.restore('us-east');
  expect((await back).previous).toBe('unhealthy');
  return event;
}

describe('HealthMonitor detects local-provider faults over real sockets', () => {
  it('kill', async () => {
    const pid = provider.pids()[0]!;
    await expectDetected(() => provider.kill('us-east'), /ECONNREFUSED/);
    pids.push(...provider.pids());
    expect(provider.pids()).not.toContain(pid);
  });

  it('hang', async () => {
    await expectDetected(() => provider.hang('us-east'), /timeout after 80 ms/);
  });

  it('slow beyond the timeout', async () => {
    await expectDetected(() => provider.slow('us-east', 300), /timeout after 80 ms/);
  });

  it('500s', async () => {
    await expectDetected(() => provider.failRate('us-east', 1), /status 500/);
  });

  it('keeps latency and availability per region', () => {
    const health = monitor.get('eu-west');
    expect(health.probes).toBeGreaterThan(5);
    // Kept per region: us-east's four faults did not count against eu-west. Not exactly 1: with an 80 ms probe
    // timeout on real sockets, a loaded machine (CI, parallel suites) can time out a healthy region's probe now and then.
    expect(health.availability).toBeGreaterThanOrEqual(0.8);
    expect(health.latencyMillis).toBeGreaterThanOrEqual(0);
    expect(health.latencyMillis).toBeLessThan(80);
  });
});
