// HealthMonitor.probeNow on virtual time against a real scripted HTTP server: a probe asked for
// outside the schedule counts as any probe, moves the next scheduled one, and never doubles one running.
import { createGate, startScriptedServer, waitForEvent, type ScriptedServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HealthMonitor } from './health-monitor.js';

let server: ScriptedServer;
let clock: ManualClock;
let monitor: HealthMonitor;

beforeEach(async () => {
  server = await startScriptedServer();
  clock = new ManualClock(1_700_000_000_000);
  monitor = new HealthMonitor({
    regions: [{ id: 'us-east', endpoint: server.url }],
    intervalMillis: 30_000,
    timeoutMillis: 5_000,
    failuresBeforeUnhealthy: 3,
    jitterFraction: 0,
    samplesPerProbe: 1,
    clock,
  });
});

afterEach(async () => {
  await monitor.close();
  await server.close();
});

/** Advances virtual time and waits for the scheduled probe that brings. */
async function scheduled(advanceMillis: number): Promise<void> {
  const next = waitForEvent(monitor, 'health:probe');
  clock.advance(advanceMillis);
  await next;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    if (MeridianError.isInstance(error)) return error.code;
    throw error;
  }
  throw new Error('resolved');
}

describe('HealthMonitor.probeNow', () => {
  it('probes at once, resolves with the probe, and the next scheduled probe comes one interval after it', async () => {
    await monitor.start();
    await scheduled(0); // the first scheduled probe
    clock.advance(10_000);
    const emitted = waitForEvent(monitor, 'health:probe');
    const probe = await monitor.probeNow('us-east');
    expect(probe).toMatchObject({ regionId: 'us-east', ok: true, status: 200, at: clock.now() });
    expect(await emitted).toEqual(probe);
    expect(monitor.get('us-east').probes).toBe(2);
    expect(server.requests).toBe(2);
    // Not 20 s after the probe asked for (when the old schedule said), but 30 s.
    clock.advance(29_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.requests).toBe(2);
    await scheduled(1);
    expect(server.requests).toBe(3);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('counts toward the thresholds: failures asked for make a region unhealthy, with its event', async () => {
    await monitor.start();
    await scheduled(0);
    server.set({ kind: 'status', status: 503 });
    const unhealthy = waitForEvent(monitor, 'region:unhealthy');
    for (let i = 1; i <= 3; i++) {
      const probe = await monitor.probeNow('us-east');
      expect(probe).toMatchObject({ ok: false, status: 503 });
      expect(monitor.get('us-east').consecutiveFailures).toBe(i);
    }
    expect((await unhealthy).reason).toMatch(/^3 consecutive failed probes/);
    expect(monitor.state('us-east')).toBe('unhealthy');
  });

  it('joins a probe already running instead of sending a second one', async () => {
    await monitor.start();
    const gate = createGate();
    server.set({ kind: 'gate', gate });
    clock.advance(0); // the scheduled probe starts and waits at the gate
    await gate.arrived;
    const asked = monitor.probeNow('us-east');
    const again = monitor.probeNow('us-east');
    gate.release();
    const [first, second] = await Promise.all([asked, again]);
    expect(second).toBe(first);
    expect(first.ok).toBe(true);
    expect(server.requests).toBe(1);
    expect(monitor.get('us-east').probes).toBe(1);
  });

  it('refuses an unknown region and a monitor not running, and says when it stops during the probe', async () => {
    expect(await codeOf(monitor.probeNow('us-east'))).toBe('SHUT_DOWN');
    await monitor.start();
    expect(await codeOf(monitor.probeNow('mars'))).toBe('REGION_NOT_FOUND');
    const gate = createGate();
    server.set({ kind: 'gate', gate });
    const asked = codeOf(monitor.probeNow('us-east'));
    await gate.arrived;
    await monitor.close();
    expect(await asked).toBe('SHUT_DOWN');
    gate.release();
  });
});
