import { createGate, meridianErrorOf, startScriptedServer, waitForEvent, type ScriptedServer } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HealthMonitor } from './health-monitor.js';
import type { HealthMonitorOptions } from './health-options.js';
import type { HealthState, HealthTransition, ProbeEvent } from './health-types.js';

const INTERVAL = 1000;
const TIMEOUT = 500;

let server: ScriptedServer;
let clock: ManualClock;
let monitor: HealthMonitor | undefined;

beforeEach(async () => {
  server = await startScriptedServer();
  clock = new ManualClock(1_700_000_000_000);
});

afterEach(async () => {
  await monitor?.stop();
  monitor = undefined;
  await server.close();
});

function create(options: Partial<HealthMonitorOptions> = {}): HealthMonitor {
  monitor = new HealthMonitor({
    regions: [{ id: 'us-east', endpoint: server.url }],
    intervalMillis: INTERVAL,
    timeoutMillis: TIMEOUT,
    jitterFraction: 0,
    // One request per probe, so each scripted answer is one probe outcome.
    samplesPerProbe: 1,
    clock,
    ...options,
  });
  return monitor;
}

/** Fires the next probe on virtual time and waits for its real HTTP round trip. */
async function probe(m: HealthMonitor, advanceMillis = INTERVAL): Promise<ProbeEvent> {
  const next = waitForEvent(m, 'health:probe');
  clock.advance(advanceMillis);
  return next;
}

function transitions(m: HealthMonitor): HealthTransition[] {
  const seen: HealthTransition[] = [];
  for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) m.on(name, (e) => seen.push(e));
  return seen;
}

async function startHealthy(m: HealthMonitor): Promise<void> {
  m.start();
  const first = await probe(m, 0);
  expect(first.ok).toBe(true);
  expect(m.get('us-east').state).toBe('healthy');
}

describe('HealthMonitor hysteresis (virtual time, real sockets)', () => {
  it('a new region becomes healthy on its first successful probe', async () => {
    const m = create();
    const seen = transitions(m);
    expect(m.get('us-east').state).toBe('unknown');
    await startHealthy(m);
    expect(seen.map((t) => [t.state, t.previous])).toEqual([['healthy', 'unknown']]);
  });

  it('flips to unhealthy after exactly failuresBeforeUnhealthy consecutive failures, not one fewer', async () => {
    const m = create({ failuresBeforeUnhealthy: 3 });
    await startHealthy(m);
    const seen = transitions(m);
    server.set({ kind: 'status', status: 500 });
    for (let i = 1; i <= 2; i++) {
      const result = await probe(m);
      expect(result).toMatchObject({ ok: false, status: 500 });
      expect(m.get('us-east').state).toBe('healthy');
      expect(m.get('us-east').consecutiveFailures).toBe(i);
    }
    expect(seen).toHaveLength(0);
    await probe(m);
    expect(m.get('us-east').state).toBe('unhealthy');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ regionId: 'us-east', state: 'unhealthy', previous: 'healthy', at: clock.now() });
    expect(seen[0]!.reason).toContain('3 consecutive failed probes');
    expect(seen[0]!.reason).toContain('status 500');
  });

  it('needs successesBeforeHealthy consecutive successes to come back', async () => {
    const m = create({ failuresBeforeUnhealthy: 2, successesBeforeHealthy: 3 });
    await startHealthy(m);
    server.set({ kind: 'status', status: 503 });
    await probe(m);
    await probe(m);
    expect(m.get('us-east').state).toBe('unhealthy');
    const seen = transitions(m);
    server.set({ kind: 'ok' });
    await probe(m);
    await probe(m);
    expect(m.get('us-east').state).toBe('unhealthy');
    await probe(m);
    expect(m.get('us-east').state).toBe('healthy');
    expect(seen.map((t) => t.state)).toEqual(['healthy']);
  });

  it('a flapping region (alternating ok / fail) never flips either way', async () => {
    const m = create({ failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2 });
    await startHealthy(m);
    const seen = transitions(m);
    for (let i = 0; i < 10; i++) {
      server.queue({ kind: 'status', status: 500 }, { kind: 'ok' });
      await probe(m);
      await probe(m);
    }
    expect(seen).toHaveLength(0);
    expect(m.get('us-east').state).toBe('healthy');
    expect(m.get('us-east').availability).toBeCloseTo(0.5, 5);

    // And an unhealthy region that flaps stays unhealthy.
    server.set({ kind: 'status', status: 500 });
    for (let i = 0; i < 3; i++) await probe(m);
    expect(m.get('us-east').state).toBe('unhealthy');
    server.set({ kind: 'ok' });
    for (let i = 0; i < 10; i++) {
      server.queue({ kind: 'ok' }, { kind: 'status', status: 500 });
      await probe(m);
      await probe(m);
    }
    expect(m.get('us-east').state).toBe('unhealthy');
  });
});

describe('HealthMonitor latency, availability and degraded', () => {
  it('measures latency on the injected clock and turns degraded above degradedLatencyMillis', async () => {
    const m = create({ degradedLatencyMillis: 200, ewmaAlpha: 0.5 });
    await startHealthy(m);
    const seen = transitions(m);
    // Hold the answer while virtual time moves 400 ms, then release it.
    const gate = createGate();
    server.queue({ kind: 'gate', gate });
    const pending = waitForEvent(m, 'health:probe');
    clock.advance(INTERVAL);
    await gate.arrived;
    clock.advance(400);
    gate.release();
    const slow = await pending;
    expect(slow).toMatchObject({ ok: true, latencyMillis: 400 });
    // EWMA: 0.5 * 400 + 0.5 * 0 = 200, not above the threshold yet.
    expect(m.get('us-east').latencyMillis).toBe(200);
    expect(m.get('us-east').state).toBe('healthy');

    const gate2 = createGate();
    server.queue({ kind: 'gate', gate: gate2 });
    const pending2 = waitForEvent(m, 'health:probe');
    clock.advance(INTERVAL - 400);
    await gate2.arrived;
    clock.advance(400);
    gate2.release();
    await pending2;
    expect(m.get('us-east').latencyMillis).toBe(300);
    expect(m.get('us-east').state).toBe('degraded');
    expect(seen.at(-1)).toMatchObject({ state: 'degraded', previous: 'healthy' });
    expect(seen.at(-1)!.reason).toContain('latency EWMA 300 ms > 200 ms');

    // Fast answers pull the average back down: healthy again.
    await probe(m, INTERVAL - 400);
    await probe(m);
    expect(m.get('us-east').latencyMillis).toBe(75);
    expect(seen.at(-1)).toMatchObject({ state: 'healthy', previous: 'degraded' });
    expect(seen.at(-1)!.reason).toBe('no longer degraded (latency EWMA 150 ms, availability 100.0%)');
  });

  it('a healthy region below degradedAvailability over the window is degraded', async () => {
    const m = create({ degradedAvailability: 0.9, availabilityWindow: 10, failuresBeforeUnhealthy: 5 });
    await startHealthy(m);
    for (let i = 0; i < 8; i++) await probe(m); // 9 successes
    server.queue({ kind: 'status', status: 500 });
    await probe(m); // 9/10 = 0.9: not below
    expect(m.get('us-east').state).toBe('healthy');
    server.queue({ kind: 'status', status: 500 });
    await probe(m); // window slides: 8/10
    expect(m.get('us-east').availability).toBeCloseTo(0.8, 5);
    expect(m.get('us-east').state).toBe('degraded');
  });

  it('degraded still falls to unhealthy on consecutive failures', async () => {
    const m = create({ degradedAvailability: 0.99, failuresBeforeUnhealthy: 2 });
    await startHealthy(m);
    server.set({ kind: 'status', status: 500 });
    await probe(m);
    expect(m.get('us-east').state).toBe('degraded');
    await probe(m);
    expect(m.get('us-east').state).toBe('unhealthy');
  });
});

describe('HealthMonitor failures are reported, never thrown', () => {
  it.each<[string, (s: ScriptedServer) => void, RegExp]>([
    ['500', (s) => s.set({ kind: 'status', status: 500 }), /status 500/],
    ['connection reset', (s) => s.set({ kind: 'reset' }), /ECONNRESET|UND_ERR_SOCKET|other side closed|socket/i],
    ['garbage', (s) => s.set({ kind: 'garbage' }), /HPE_|parse|invalid|UND_ERR|HTTP\/1.1 protocol/i],
    ['hang', (s) => s.set({ kind: 'hang' }), /timeout after 500 ms/],
  ])('%s counts as a failure and the loop goes on', async (_name, arrange, error) => {
    const m = create({ failuresBeforeUnhealthy: 2 });
    await startHealthy(m);
    arrange(server);
    const hangs = _name === 'hang';
    // Bounded real-time wait for something the monitor does asynchronously (schedule a timer, send a request).
    const until = async (condition: () => boolean, what: string) => {
      for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
      expect(condition(), what).toBe(true);
    };
    const probeOnce = async () => {
      const next = waitForEvent(m, 'health:probe');
      const sent = server.requests;
      // Exactly to the next probe, once it is scheduled: advancing further (as this test once did, by the timeout
      // after a 20 ms real sleep) let a slow machine's probe of a resetting server time out first.
      await until(() => clock.nextDue() !== undefined, 'the next probe is scheduled');
      clock.advance(clock.nextDue()! - clock.now());
      if (hangs) {
        // Only a hanging server needs the (virtual) timeout to pass, once its request is there.
        await until(() => server.requests > sent, 'the probe reached the server');
        clock.advance(TIMEOUT);
      }
      return next;
    };
    const result = await probeOnce();
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(error);
    expect((await probeOnce()).ok).toBe(false);
    expect(m.get('us-east').state).toBe('unhealthy');
  });

  it('a refused connection is a failure', async () => {
    const url = server.url;
    await server.close();
    monitor = new HealthMonitor({ regions: [{ id: 'gone', endpoint: url }], intervalMillis: INTERVAL, timeoutMillis: TIMEOUT, jitterFraction: 0, clock });
    // Default 3 samples: all refused, one failure reported with the count.
    monitor.start();
    const result = await probe(monitor, 0);
    expect(result).toMatchObject({ regionId: 'gone', ok: false });
    expect(result.error).toMatch(/ECONNREFUSED.*\(3\/3 samples failed\)/);
    server = await startScriptedServer();
  });

  it('a body predicate can reject a 200', async () => {
    server.set({ kind: 'ok', body: '{"status":"draining"}' });
    const m = create({ bodyPredicate: (body) => JSON.parse(body).status === 'ok' });
    m.start();
    const result = await probe(m, 0);
    expect(result).toMatchObject({ ok: false, status: 200, error: 'body rejected by predicate' });
  });

  it('probes the path under the endpoint and honours expectedStatus', async () => {
    server.set({ kind: 'status', status: 204 });
    const m = create({ path: '/ready', expectedStatus: { min: 204, max: 204 } });
    m.start();
    expect((await probe(m, 0)).ok).toBe(true);
    expect(m.snapshot()[0]!.lastProbe?.status).toBe(204);
  });

  it('a prober that throws never kills the loop', async () => {
    let calls = 0;
    create({
      prober: {
        async probe() {
          calls++;
          if (calls === 1) throw new Error('prober exploded');
          return { ok: true, status: 200 };
        },
      },
    });
    monitor!.start();
    const first = await probe(monitor!, 0);
    expect(first).toMatchObject({ ok: false, error: 'prober exploded' });
    const second = await probe(monitor!);
    expect(second.ok).toBe(true);
  });

  it('a listener that throws is reported on "error" and does not stop probing', async () => {
    const m = create();
    const errors: unknown[] = [];
    m.on('error', (e) => errors.push(e.error));
    m.on('health:probe', () => {
      throw new Error('listener bug');
    });
    m.start();
    await probe(m, 0);
    await probe(m);
    expect(errors).toHaveLength(2);
    expect(m.get('us-east').probes).toBe(2);
  });
});

describe('HealthMonitor samples per probe', () => {
  it('a probe succeeds when any of its parallel samples does, and fails only when all do', async () => {
    const m = create({ samplesPerProbe: 3, failuresBeforeUnhealthy: 1 });
    await startHealthyWith(m, 3);
    server.queue({ kind: 'status', status: 500 }, { kind: 'status', status: 500 }, { kind: 'ok' });
    const before = server.requests;
    expect((await probe(m)).ok).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(server.requests - before).toBe(3);
    server.set({ kind: 'status', status: 503 });
    const failed = await probe(m);
    expect(failed.ok).toBe(false);
    expect(failed.error).toBe('status 503 outside 200-299 (3/3 samples failed)');
    expect(m.get('us-east').state).toBe('unhealthy');
  });

  it('with the default of 3 samples a hung region still fails within one timeout', async () => {
    const m = create({ samplesPerProbe: 3 });
    await startHealthyWith(m, 3);
    server.set({ kind: 'hang' });
    const pending = waitForEvent(m, 'health:probe');
    clock.advance(INTERVAL);
    await new Promise((r) => setTimeout(r, 20));
    clock.advance(TIMEOUT);
    const result = await pending;
    expect(result).toMatchObject({ ok: false, latencyMillis: TIMEOUT });
  });
});

async function startHealthyWith(m: HealthMonitor, samples: number): Promise<void> {
  m.start();
  const first = await probe(m, 0);
  expect(first.ok).toBe(true);
  // Let the other samples of the first probe land before scripting answers.
  while (server.requests < samples) await new Promise((r) => setTimeout(r, 5));
}

describe('HealthMonitor passive outlier detection', () => {
  it('ejects after consecutive failed reports, for base then 2 × base', async () => {
    const m = create({ intervalMillis: 600_000, passive: { consecutiveFailures: 3, baseEjectionMillis: 10_000, maxEjectionMillis: 3_600_000 } });
    await startHealthy(m);
    const seen = transitions(m);
    m.report('us-east', { ok: false });
    m.report('us-east', { ok: false });
    m.report('us-east', { ok: true, latencyMillis: 12 });
    m.report('us-east', { ok: false });
    m.report('us-east', { ok: false });
    expect(m.get('us-east').state).toBe('healthy');
    m.report('us-east', { ok: false });
    expect(m.get('us-east').state).toBe('unhealthy');
    expect(seen.at(-1)!.reason).toContain('passive outlier detection');
    expect(m.get('us-east').ejectedUntil).toBe(clock.now() + 10_000);

    clock.advance(9_999);
    expect(m.get('us-east').state).toBe('unhealthy');
    clock.advance(1);
    // Probes run, so they must confirm the region before traffic returns (no flapping back in while it is dead).
    expect(m.get('us-east')).toMatchObject({ state: 'unhealthy', reason: expect.stringContaining('waiting for 2 successful probes') });
    // Probes every 600 s from the first one; 10 s of it have passed.
    expect((await probe(m, 590_000)).ok).toBe(true);
    expect(m.get('us-east').state).toBe('unhealthy');
    expect((await probe(m, 600_000)).ok).toBe(true);
    expect(m.get('us-east').state).toBe('healthy');
    expect(seen.at(-1)).toMatchObject({ state: 'healthy', previous: 'unhealthy', reason: 'passive ejection ended' });

    for (let i = 0; i < 3; i++) m.report('us-east', { ok: false });
    expect(m.get('us-east').ejectedUntil).toBe(clock.now() + 20_000);
  });

  it('refuses reports for unknown regions and bad latencies', () => {
    const m = create();
    expect(() => m.report('nowhere', { ok: true })).toThrow(expect.objectContaining({ code: 'REGION_NOT_FOUND' }));
    expect(() => m.report('us-east', { ok: true, latencyMillis: -3 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    expect(() => m.report('us-east', { ok: true, latencyMillis: Number.NaN })).toThrow(/latencyMillis/);
  });
});

describe('HealthMonitor lifecycle', () => {
  it('start and stop are idempotent; stop aborts a probe in flight and leaves no timer', async () => {
    server.set({ kind: 'hang' });
    const m = create();
    const probes: ProbeEvent[] = [];
    m.on('health:probe', (p) => probes.push(p));
    m.start();
    m.start();
    clock.advance(0);
    await new Promise((r) => setTimeout(r, 30));
    await m.stop();
    await m.stop();
    expect(m.running).toBe(false);
    expect(clock.pendingTimers()).toBe(0);
    clock.advance(10 * INTERVAL);
    await new Promise((r) => setTimeout(r, 30));
    expect(probes).toHaveLength(0);
  });

  it('spreads first probes with jitter and keeps every delay within interval ± jitter', async () => {
    const randoms = [0.1, 0.9, 0.5, 0.3];
    let i = 0;
    const random = (): number => randoms[i++ % randoms.length]!;
    monitor = new HealthMonitor({
      regions: ['a', 'b', 'c', 'd'].map((id) => ({ id, endpoint: server.url })),
      intervalMillis: 10_000,
      timeoutMillis: 1_000,
      jitterFraction: 0.1,
      clock,
      random,
    });
    const start = clock.now();
    const times: Record<string, number[]> = {};
    // Probe start times (finish minus latency): two probes due together finish in any order.
    monitor.on('health:probe', (p) => (times[p.regionId] ??= []).push(p.at - p.latencyMillis - start));
    monitor.start();
    // First probes at random × 1000 ms: 100, 900, 500, 300.
    for (let step = 0; step < 4; step++) {
      const next = waitForEvent(monitor, 'health:probe');
      clock.advance(clock.nextDue()! - clock.now());
      await next;
    }
    expect(times).toEqual({ a: [100], b: [900], c: [500], d: [300] });
    for (let step = 0; step < 8; step++) {
      const next = waitForEvent(monitor, 'health:probe');
      clock.advance(clock.nextDue()! - clock.now());
      await next;
    }
    for (const series of Object.values(times)) {
      for (let k = 1; k < series.length; k++) {
        const gap = series[k]! - series[k - 1]!;
        expect(gap).toBeGreaterThanOrEqual(9_000);
        expect(gap).toBeLessThanOrEqual(11_000);
      }
    }
  });

  it('add() and remove() change the watched set', async () => {
    const m = create();
    await startHealthy(m);
    m.add({ id: 'eu-west', endpoint: server.url });
    const result = await waitForEventAfter(m, () => clock.advance(0));
    expect(result.regionId).toBe('eu-west');
    expect(() => m.add({ id: 'eu-west', endpoint: server.url })).toThrow(/already monitored/);
    m.remove('eu-west');
    expect(() => m.get('eu-west')).toThrow(expect.objectContaining({ code: 'REGION_NOT_FOUND' }));
    expect(m.snapshot().map((h) => h.regionId)).toEqual(['us-east']);
  });
});

async function waitForEventAfter(m: HealthMonitor, act: () => void): Promise<ProbeEvent> {
  const next = waitForEvent(m, 'health:probe');
  act();
  return next;
}

describe('HealthMonitor options', () => {
  function codeAndMessage(options: HealthMonitorOptions): [string, string] {
    const error = meridianErrorOf(() => new HealthMonitor(options));
    return [error.code, error.message];
  }

  it.each<[string, HealthMonitorOptions, string]>([
    ['negative interval', { intervalMillis: -5 }, 'intervalMillis'],
    ['timeout >= interval', { intervalMillis: 1000, timeoutMillis: 1000 }, 'timeoutMillis: timeoutMillis must be smaller than intervalMillis'],
    ['zero failures', { failuresBeforeUnhealthy: 0 }, 'failuresBeforeUnhealthy'],
    ['path without slash', { path: 'health' }, 'path'],
    ['bad endpoint', { regions: [{ id: 'x', endpoint: 'not a url' }] }, 'regions[0].endpoint'],
    ['bad region id', { regions: [{ id: 'X Y', endpoint: 'http://127.0.0.1:1' }] }, 'regions[0].id'],
    ['duplicate regions', { regions: [{ id: 'x', endpoint: 'http://127.0.0.1:1' }, { id: 'x', endpoint: 'http://127.0.0.1:2' }] }, 'regions[1].id'],
    ['jitter too large', { jitterFraction: 0.9 }, 'jitterFraction'],
    ['unknown option', { intervalMilis: 5 } as HealthMonitorOptions, 'intervalMilis'],
    ['ejection bounds', { passive: { baseEjectionMillis: 10, maxEjectionMillis: 5 } }, 'passive'],
  ])('refuses %s with INVALID_CONFIG naming the path', (_name, options, path) => {
    const [code, message] = codeAndMessage(options);
    expect(code).toBe('INVALID_CONFIG');
    expect(message).toContain(path);
  });

  it('defaults match the seed: 30 s interval, 5 s timeout, 3 failures', () => {
    const states: HealthState[] = new HealthMonitor({ regions: [{ id: 'x', endpoint: 'http://127.0.0.1:1' }] }).snapshot().map((h) => h.state);
    expect(states).toEqual(['unknown']);
  });
});
