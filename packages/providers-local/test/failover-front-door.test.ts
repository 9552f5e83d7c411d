// Failover seen by real clients: requests through the local front door while
// traffic moves. Real processes, sockets and clock; loops are bounded.
import { FailoverManager, HealthMonitor, type FailoverReport } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { findLeakedProcesses, seedRegions, waitForEvent } from '@meridian/testkit';
import { Agent, request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let monitor: HealthMonitor;
let manager: FailoverManager;
let door: string;
const pids: number[] = [];

beforeEach(async () => {
  provider = createLocalProvider({ regions: seedRegions(2) });
  await provider.deploy({ name: 'clients', regions: [] });
  pids.push(...provider.pids());
  door = (await provider.startFrontDoor()).url;
  monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 200, timeoutMillis: 100, failuresBeforeUnhealthy: 3 });
  manager = new FailoverManager({ regions: provider.regions(), monitor, provider, drainMillis: 300, failback: { automatic: false } });
  const healthy = Promise.all(['us-east', 'eu-west'].map((id) => waitForEvent(monitor, 'region:healthy', { filter: (e) => e.regionId === id })));
  monitor.start();
  await healthy;
  await manager.start();
});

afterEach(async () => {
  await manager.stop();
  await monitor.stop();
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

interface ClientStats {
  ok: number;
  failed: number;
  byRegion: Record<string, number>;
  /** Outcome of each request in order: true = served. */
  outcomes: boolean[];
}

/** Runs `workers` clients in a loop until stopped (at most `maxRequests` in all). */
function clientLoop(workers = 4, maxRequests = 20_000): { stop(): Promise<ClientStats>; servedBy(region: string, count: number): Promise<void> } {
  const stats: ClientStats = { ok: 0, failed: 0, byRegion: {}, outcomes: [] };
  const agent = new Agent({ connections: workers });
  let running = true;
  const loops = Array.from({ length: workers }, async () => {
    while (running && stats.outcomes.length < maxRequests) {
      try {
        const res = await request(`${door}/kv/counter`, { dispatcher: agent, signal: AbortSignal.timeout(2_000) });
        await res.body.dump();
        const region = res.headers['x-meridian-region'] as string;
        const served = res.statusCode < 500;
        stats[served ? 'ok' : 'failed']++;
        stats.outcomes.push(served);
        if (served) stats.byRegion[region] = (stats.byRegion[region] ?? 0) + 1;
      } catch {
        stats.failed++;
        stats.outcomes.push(false);
      }
    }
  });
  return {
    // Waits for traffic, not for time: on a loaded machine 300 ms may carry only a handful of requests.
    async servedBy(region, count) {
      for (let i = 0; i < 500 && (stats.byRegion[region] ?? 0) < count; i++) await new Promise((r) => setTimeout(r, 10));
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      await agent.close();
      return stats;
    },
  };
}

describe('failover through the front door', () => {
  it('a planned failover with drain loses zero requests', async () => {
    const clients = clientLoop();
    await clients.servedBy('us-east', 20);
    const report: FailoverReport = await manager.failover({ to: 'eu-west', drain: true });
    await clients.servedBy('eu-west', 20);
    const stats = await clients.stop();
    console.log(`planned failover: ${stats.ok} requests served, ${stats.failed} failed, by region ${JSON.stringify(stats.byRegion)}; took ${report.durationMillis} ms`);
    expect(report.steps.find((s) => s.name === 'verify-routing')?.detail).toBe('requests answered by eu-west');
    expect(stats.failed).toBe(0);
    expect(stats.byRegion['us-east']).toBeGreaterThan(10);
    expect(stats.byRegion['eu-west']).toBeGreaterThan(10);
  });

  it('a killed primary fails over on its own; the door retries the refused requests elsewhere, so none fails, and counts agree', async () => {
    const clients = clientLoop();
    await clients.servedBy('us-east', 10);
    const done = waitForEvent(manager, 'failover:completed', { timeoutMillis: 10_000 });
    const killedAt = performance.now();
    await provider.kill('us-east');
    const report = await done;
    const failoverMillis = performance.now() - killedAt;
    const atShift = (await clients.stop().then((s) => s)) as ClientStats;
    console.log(
      `kill-based failover after ${failoverMillis.toFixed(0)} ms: ${atShift.ok} served, ${atShift.failed} failed (front door counted ${provider.frontDoor!.stats().failures})`,
    );
    expect(report).toMatchObject({ kind: 'automatic', to: 'eu-west' });
    // Even without a monitor on the door, a refused connection is retried on another region.
    expect(atShift.failed).toBe(0);
    expect(provider.frontDoor!.stats().failures).toBe(atShift.failed);
    expect(provider.frontDoor!.stats().retried).toBeGreaterThan(0);
    // After the shift every request is served.
    const after = clientLoop();
    await after.servedBy('eu-west', 20);
    const afterStats = await after.stop();
    expect(afterStats.failed).toBe(0);
    expect(Object.keys(afterStats.byRegion)).toEqual(['eu-west']);
  });

  it('a drill moves real traffic and puts it back', async () => {
    const clients = clientLoop(2);
    const report = await manager.drill({ to: 'eu-west', durationMillis: 500 });
    const stats = await clients.stop();
    expect(report).toMatchObject({ targetServed: true, rolledBack: true });
    expect(stats.failed).toBe(0);
    expect(stats.byRegion['eu-west']).toBeGreaterThan(0);
    expect(await provider.resolveRoute()).toBe('us-east');
  });
});
