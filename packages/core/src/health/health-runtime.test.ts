// A running HealthMonitor changed and asked, on virtual time against a real scripted HTTP server:
// configure (a new interval reschedules probing, new thresholds apply from the next probe) and
// probeNow (a probe outside the schedule counts as any, moves the next one, never doubles one running).
import { createGate, startScriptedServer, waitForEvent, type ScriptedServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HealthMonitor } from './health-monitor.js';
import type { ProbeEvent } from './health-types.js';

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

async function probe(advanceMillis: number): Promise<ProbeEvent> {
  const next = waitForEvent(monitor, 'health:probe');
  clock.advance(advanceMillis);
  return next;
}

describe('HealthMonitor.configure', () => {
  it('a shorter interval brings the waiting probe forward and sets the new cadence', async () => {
    await monitor.start();
    await probe(0);
    let probes = 0;
    monitor.on('health:probe', () => probes++);
    expect(monitor.configure({ intervalMillis: 1_000, timeoutMillis: 500 })).toEqual({ intervalMillis: 1_000, timeoutMillis: 500, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2, degradedLatencyMillis: null, degradedAvailability: null });
    // Without the reschedule the next probe would wait for the old 30 s interval.
    await probe(0);
    for (let i = 0; i < 4; i++) await probe(1_000);
    expect(probes).toBe(5);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('a lower failure threshold applies from the next probe, counting the failures already seen', async () => {
    await monitor.start();
    await probe(0);
    expect(monitor.get('us-east').state).toBe('healthy');
    server.set({ kind: 'status', status: 500 });
    await probe(30_000);
    expect(monitor.get('us-east')).toMatchObject({ state: 'healthy', consecutiveFailures: 1 });
    const unhealthy = waitForEvent(monitor, 'region:unhealthy');
    monitor.configure({ failuresBeforeUnhealthy: 2 });
    await probe(30_000);
    expect((await unhealthy).health.consecutiveFailures).toBe(2);
    expect(monitor.get('us-east').state).toBe('unhealthy');
    // Back up with one success once successesBeforeHealthy is 1.
    monitor.configure({ successesBeforeHealthy: 1 });
    server.set({ kind: 'ok' });
    await probe(30_000);
    expect(monitor.get('us-east').state).toBe('healthy');
  });

  it('an availability threshold makes a healthy region degraded from its next probe, and null turns it off', async () => {
    await monitor.start();
    for (let i = 0; i < 4; i++) await probe(i === 0 ? 0 : 30_000);
    server.set({ kind: 'status', status: 500 });
    await probe(30_000); // 4 of 5 probes passed: 80 %, one failure (of 3 before unhealthy)
    expect(monitor.get('us-east').state).toBe('healthy');
    expect(monitor.configure({ degradedAvailability: 0.9 })).toMatchObject({ degradedAvailability: 0.9, degradedLatencyMillis: null });
    server.set({ kind: 'ok' });
    const degraded = waitForEvent(monitor, 'region:degraded');
    await probe(30_000); // 5 of 6: 83.3 %
    expect((await degraded).reason).toBe('availability 83.3% < 90.0%');
    expect(monitor.get('us-east').state).toBe('degraded');
    // A latency rule set alongside changes nothing here (the probes take no virtual time); off again, healthy.
    expect(monitor.configure({ degradedLatencyMillis: 250, degradedAvailability: null })).toMatchObject({ degradedLatencyMillis: 250, degradedAvailability: null });
    const healthy = waitForEvent(monitor, 'region:healthy');
    await probe(30_000);
    expect((await healthy).reason).toMatch(/^no longer degraded/);
    expect(monitor.configure({ degradedLatencyMillis: null }).degradedLatencyMillis).toBeNull();
  });

  it('refuses a timeout not below the interval and bad values, naming the setting, and changes nothing', () => {
    const before = monitor.settings;
    const refused = (settings: object): MeridianError => {
      try {
        monitor.configure(settings as never);
      } catch (error) {
        if (MeridianError.isInstance(error)) return error;
        throw error;
      }
      throw new Error(`accepted ${JSON.stringify(settings)}`);
    };
    expect(refused({ intervalMillis: 4_000 }).message).toMatch(/intervalMillis.*timeoutMillis \(5000\) must be smaller than intervalMillis \(4000\)/);
    expect(refused({ timeoutMillis: 30_000 }).message).toMatch(/timeoutMillis/);
    expect(refused({ failuresBeforeUnhealthy: 0 }).message).toMatch(/failuresBeforeUnhealthy/);
    expect(refused({ successesBeforeHealthy: 1.5 }).message).toMatch(/successesBeforeHealthy/);
    expect(refused({ path: '/other' }).message).toMatch(/path/);
    expect(refused({ degradedAvailability: 0 }).message).toMatch(/degradedAvailability/);
    expect(refused({ degradedAvailability: 95 }).message).toMatch(/degradedAvailability/);
    expect(refused({ degradedLatencyMillis: -1 }).message).toMatch(/degradedLatencyMillis/);
    expect(refused({}).code).toBe('INVALID_CONFIG');
    expect(monitor.settings).toEqual(before);
  });
});

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
    await probe(0); // the first scheduled probe
    clock.advance(10_000);
    const emitted = waitForEvent(monitor, 'health:probe');
    const asked = await monitor.probeNow('us-east');
    expect(asked).toMatchObject({ regionId: 'us-east', ok: true, status: 200, at: clock.now() });
    expect(await emitted).toEqual(asked);
    expect(monitor.get('us-east').probes).toBe(2);
    expect(server.requests).toBe(2);
    // Not 20 s after the probe asked for (when the old schedule said), but 30 s.
    clock.advance(29_999);
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.requests).toBe(2);
    await probe(1);
    expect(server.requests).toBe(3);
    expect(clock.pendingTimers()).toBe(1);
  });

  it('counts toward the thresholds: failures asked for make a region unhealthy, with its event', async () => {
    await monitor.start();
    await probe(0);
    server.set({ kind: 'status', status: 503 });
    const unhealthy = waitForEvent(monitor, 'region:unhealthy');
    for (let i = 1; i <= 3; i++) {
      const asked = await monitor.probeNow('us-east');
      expect(asked).toMatchObject({ ok: false, status: 503 });
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
