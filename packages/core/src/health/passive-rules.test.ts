import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock/manual-clock.js';
import { MeridianError } from '../errors/meridian-error.js';
import { HealthMonitor } from './health-monitor.js';
import type { HealthMonitorOptions } from './health-options.js';
import type { EjectionSkippedEvent, HealthTransition, RegionEjectedEvent } from './health-types.js';

// Passive rules on virtual time. The monitor is not started: no probe runs, so
// every state change here comes from report() alone.
const REGIONS = ['us-east', 'eu-west', 'ap-south', 'sa-east'].map((id, i) => ({ id, endpoint: `http://127.0.0.1:${9_000 + i}` }));

function setup(options: Partial<HealthMonitorOptions> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const monitor = new HealthMonitor({ regions: REGIONS, intervalMillis: 1_000, timeoutMillis: 500, clock, ...options });
  const ejected: RegionEjectedEvent[] = [];
  const skipped: EjectionSkippedEvent[] = [];
  const transitions: HealthTransition[] = [];
  monitor.on('region:ejected', (e) => ejected.push(e));
  monitor.on('region:ejection-skipped', (e) => skipped.push(e));
  for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) monitor.on(name, (e) => transitions.push(e));
  return { clock, monitor, ejected, skipped, transitions };
}

/** `n` reports spread evenly over `overMillis` of virtual time, `failEvery`-th of them failing. */
function traffic(t: ReturnType<typeof setup>, regionId: string, n: number, ok: (i: number) => boolean, overMillis = 0): void {
  for (let i = 0; i < n; i++) {
    const good = ok(i);
    t.monitor.report(regionId, good ? { ok: true, latencyMillis: 5 } : { ok: false, failure: 'error', status: 500 });
    if (overMillis > 0) t.clock.advance(overMillis / n);
  }
}

describe('passive rules: consecutive failures', () => {
  it('ejects on 3 consecutive gateway failures by default, while 5xx answers need 10', () => {
    const t = setup();
    for (let i = 0; i < 2; i++) t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    expect(t.ejected).toEqual([]);
    t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    expect(t.ejected).toEqual([expect.objectContaining({ regionId: 'us-east', rule: 'consecutive-gateway-failures', ejections: 1, ejectedUntil: t.clock.now() + 30_000 })]);
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'unhealthy', ejectionRule: 'consecutive-gateway-failures', reason: expect.stringContaining('3 consecutive gateway failures') });
    expect(t.transitions.at(-1)).toMatchObject({ regionId: 'us-east', state: 'unhealthy' });

    for (let i = 0; i < 9; i++) t.monitor.report('eu-west', { ok: false, failure: 'error', status: 503 });
    expect(t.monitor.get('eu-west').state).not.toBe('unhealthy');
    t.monitor.report('eu-west', { ok: false, status: 503 });
    expect(t.ejected.at(-1)).toMatchObject({ regionId: 'eu-west', rule: 'consecutive-failures' });
  });

  it('a success in between resets both counts; a 5xx between gateway failures resets the gateway count', () => {
    const t = setup();
    t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    t.monitor.report('us-east', { ok: true });
    t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    t.monitor.report('us-east', { ok: false, failure: 'error' });
    t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    expect(t.monitor.get('us-east')).toMatchObject({ passiveConsecutiveGatewayFailures: 1, passiveConsecutiveFailures: 3 });
    expect(t.ejected).toEqual([]);
  });

  it('ejection time grows with repeats (base, 2 × base, ...) up to the cap, and is forgiven after a calm period', () => {
    const t = setup({ passive: { baseEjectionMillis: 10_000, maxEjectionMillis: 25_000 } });
    const eject = () => {
      for (let i = 0; i < 3; i++) t.monitor.report('us-east', { ok: false, failure: 'gateway' });
      return t.ejected.at(-1)!;
    };
    expect(eject().ejectedUntil - t.clock.now()).toBe(10_000);
    t.clock.advance(10_000);
    expect(t.monitor.get('us-east').state).toBe('unknown');
    expect(eject().ejectedUntil - t.clock.now()).toBe(20_000);
    t.clock.advance(20_000);
    expect(eject()).toMatchObject({ ejections: 3 });
    expect(t.ejected.at(-1)!.ejectedUntil - t.clock.now()).toBe(25_000);
    t.clock.advance(25_000 + 25_001);
    expect(eject()).toMatchObject({ ejections: 1 });
    expect(t.ejected.at(-1)!.ejectedUntil - t.clock.now()).toBe(10_000);
  });
});

describe('passive rules: success rate over a sliding window', () => {
  it('70 % success over 100 requests in 10 s makes a healthy region degraded, not ejected', () => {
    const t = setup();
    t.monitor.report('us-east', { ok: true });
    traffic(t, 'us-east', 100, (i) => i % 10 >= 3, 5_000);
    expect(t.ejected).toEqual([]);
    expect(t.monitor.get('us-east')).toMatchObject({ successRate: expect.closeTo(0.7, 1) });
  });

  it('degraded below 80 % once the active state is healthy; ejected below 50 %; judged only from 50 requests', () => {
    const t = setup({ prober: { probe: async () => ({ ok: true }) } });
    t.monitor.start();
    return (async () => {
      // The first probe makes every region healthy.
      t.clock.advance(100);
      await new Promise((r) => setImmediate(r));
      expect(t.monitor.get('us-east').state).toBe('healthy');
      traffic(t, 'us-east', 49, (i) => i % 10 >= 3);
      expect(t.monitor.get('us-east').state).toBe('healthy');
      traffic(t, 'us-east', 1, () => false);
      expect(t.monitor.get('us-east')).toMatchObject({ state: 'degraded', reason: expect.stringMatching(/^success rate 6\d\.\d% of 50 requests < 80\.0%/) });
      // 40 % success, never more than two failures in a row: only the rate can fire.
      traffic(t, 'eu-west', 60, (i) => i % 5 === 0 || i % 5 === 2);
      expect(t.ejected.at(-1)).toMatchObject({ regionId: 'eu-west', rule: 'success-rate', reason: expect.stringContaining('< 50.0%') });
      await t.monitor.stop();
    })();
  });

  it('old outcomes leave the window: a region that stopped failing recovers without new failures', async () => {
    const t = setup({ prober: { probe: async () => ({ ok: true }) } });
    t.monitor.start();
    t.clock.advance(100);
    await new Promise((r) => setImmediate(r));
    traffic(t, 'us-east', 100, (i) => i % 10 >= 3, 1_000);
    expect(t.monitor.get('us-east').state).toBe('degraded');
    t.clock.advance(10_000);
    traffic(t, 'us-east', 10, () => true);
    expect(t.monitor.get('us-east').state).toBe('healthy');
    expect(t.monitor.get('us-east').successRate).toBeUndefined();
    await t.monitor.stop();
  });

  it('can be turned off', () => {
    const t = setup({ passive: { successRate: false } });
    traffic(t, 'us-east', 200, (i) => i % 10 === 0 || i % 10 === 3 || i % 10 === 6);
    expect(t.ejected).toEqual([]);
    expect(t.monitor.get('us-east').successRate).toBeUndefined();
  });
});

describe('passive rules: ejection cap', () => {
  it('at most maxEjectionPercent of the regions are out at once (at least one); the rest is skipped and said', () => {
    const t = setup();
    const kill = (id: string) => {
      for (let i = 0; i < 3; i++) t.monitor.report(id, { ok: false, failure: 'gateway' });
    };
    kill('us-east');
    kill('eu-west');
    kill('ap-south');
    expect(t.ejected.map((e) => e.regionId)).toEqual(['us-east', 'eu-west']);
    expect(t.skipped).toEqual([expect.objectContaining({ regionId: 'ap-south', rule: 'consecutive-gateway-failures', ejected: ['us-east', 'eu-west'] })]);
    expect(t.monitor.get('ap-south').state).toBe('unknown');
    // Once one comes back, the next failure of ap-south may eject it.
    t.clock.advance(30_000);
    t.monitor.report('ap-south', { ok: false, failure: 'gateway' });
    expect(t.ejected.at(-1)).toMatchObject({ regionId: 'ap-south' });
  });

  it('one region can always be ejected, even at 0 %', () => {
    const t = setup({ passive: { maxEjectionPercent: 0 } });
    for (let i = 0; i < 3; i++) t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    expect(t.ejected).toHaveLength(1);
  });
});

describe('passive rules: bad input', () => {
  it('refuses inconsistent rule options and unknown failure kinds, naming them', () => {
    const bad = (passive: HealthMonitorOptions['passive']) => {
      try {
        new HealthMonitor({ regions: REGIONS, passive });
      } catch (error) {
        return error;
      }
      return undefined;
    };
    expect(bad({ successRate: { degradedBelow: 0.5, ejectBelow: 0.8 } })).toSatisfy((e) => MeridianError.hasCode(e, 'INVALID_CONFIG') && /ejectBelow must be <= degradedBelow/.test((e as Error).message));
    expect(bad({ maxEjectionPercent: 120 })).toSatisfy((e) => /passive\.maxEjectionPercent/.test((e as Error).message));
    expect(bad({ consecutiveGatewayFailures: 0 })).toSatisfy((e) => /passive\.consecutiveGatewayFailures/.test((e as Error).message));
    expect(bad({ successRate: { windowMillis: 3e9 } } as never)).toSatisfy((e) => /passive\.successRate\.windowMillis/.test((e as Error).message));
    expect(bad({ consecutive5xx: 3 } as never)).toSatisfy((e) => /consecutive5xx/.test((e as Error).message));
    const t = setup();
    expect(() => t.monitor.report('us-east', { ok: false, failure: 'timeout' as never })).toThrow(/failure: must be "gateway" or "error"/);
  });
});

describe('passive rules: recovery confirmed by active probes', () => {
  async function probing() {
    let up = true;
    const t = setup({ prober: { probe: async () => (up ? { ok: true } : { ok: false, error: 'ECONNREFUSED' }) }, jitterFraction: 0, successesBeforeHealthy: 2 });
    t.monitor.start();
    const tick = async (ms = 1_000) => {
      t.clock.advance(ms);
      for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    };
    await tick(0);
    expect(t.monitor.get('us-east').state).toBe('healthy');
    return { t, tick, setUp: (v: boolean) => (up = v) };
  }

  it('an ejection ends early when probes that saw the region fail see it recover', async () => {
    const { t, tick, setUp } = await probing();
    setUp(false);
    for (let i = 0; i < 3; i++) t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    await tick();
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'unhealthy', ejectionRule: 'consecutive-gateway-failures' });
    setUp(true);
    await tick();
    expect(t.monitor.get('us-east').state).toBe('unhealthy');
    await tick();
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'healthy', reason: expect.stringContaining('ended early') });
    expect(t.monitor.get('us-east').ejectedUntil).toBeUndefined();
    await t.monitor.stop();
  });

  it('probes already failing the region when it is ejected saw it fail too: it is back as soon as they see it recover', async () => {
    const { t, tick, setUp } = await probing();
    setUp(false);
    for (let i = 0; i < 3; i++) await tick();
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'unhealthy', consecutiveFailures: 3 });
    // Real traffic ejects it just before it recovers: no probe fails during the ejection.
    for (let i = 0; i < 3; i++) t.monitor.report('us-east', { ok: false, failure: 'gateway' });
    expect(t.monitor.get('us-east').ejectionRule).toBe('consecutive-gateway-failures');
    setUp(true);
    await tick();
    await tick();
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'healthy', reason: expect.stringContaining('ended early') });
    expect(t.monitor.get('us-east').ejectedUntil).toBeUndefined();
    await t.monitor.stop();
  });

  it('when probes never saw a failure (errors only real traffic meets), the ejection runs its full time, then probes confirm', async () => {
    const { t, tick } = await probing();
    for (let i = 0; i < 10; i++) t.monitor.report('us-east', { ok: false, status: 500 });
    for (let i = 0; i < 5; i++) await tick();
    expect(t.monitor.get('us-east')).toMatchObject({ state: 'unhealthy', ejectionRule: 'consecutive-failures' });
    await tick(25_000);
    expect(t.monitor.get('us-east').state).toBe('healthy');
    expect(t.transitions.at(-1)).toMatchObject({ state: 'healthy', reason: 'passive ejection ended' });
    await t.monitor.stop();
  });
});
