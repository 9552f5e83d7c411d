import { defineRegions, ManualClock, type Region } from '@meridian/core';
import { GeoRouter, latencyScorer, type ScoreInput } from '@meridian/georouter';
import { collectEvents, meridianErrorOf, startHealthHarness, type HealthHarness } from '@meridian/testkit';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { REGIONS } from './fixtures.js';

// Without a database every client is placed by health, EWMA latency and weight alone.
const REASON = 'no geo database: best by latency and weight';

let regions: Region[];
const harnesses: HealthHarness[] = [];

beforeAll(() => {
  regions = defineRegions(REGIONS);
});

afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
});

/**
 * A real HealthMonitor on virtual time. Probes run only on tick(): the interval is long, and with
 * ewmaAlpha 1 a region's latency is the last sample, so passive reports set it exactly.
 */
async function monitored(forRegions: Region[] = regions): Promise<{ clock: ManualClock; harness: HealthHarness; setLatency: (l: Record<string, number>) => void }> {
  const clock = new ManualClock(1_000_000);
  const harness = await startHealthHarness(forRegions.map((r) => r.id), clock, { intervalMillis: 60_000, failuresBeforeUnhealthy: 2, ewmaAlpha: 1 });
  harnesses.push(harness);
  await harness.tick();
  const setLatency = (latencies: Record<string, number>): void => {
    for (const [id, latencyMillis] of Object.entries(latencies)) harness.monitor.report(id, { ok: true, latencyMillis });
    // The router re-reads latencies at most once a second.
    clock.advance(1_000);
  };
  return { clock, harness, setLatency };
}

describe('GeoRouter without a database', () => {
  it('sends every client, wherever it is, to the lowest-latency healthy region, and says why', async () => {
    const { clock, harness, setLatency } = await monitored();
    const r = new GeoRouter({ regions, monitor: harness.monitor, clock });
    setLatency({ 'us-east': 80, 'eu-west': 140, 'ap-south': 30, 'ru-central': 200 });
    // London, Moscow, private, IPv6 and IPv4-mapped: no location for anyone, latency decides.
    for (const ip of ['81.2.69.160', '95.24.1.1', '10.0.0.1', '2a02:c7f::1', '::ffff:90.1.2.3']) {
      const d = r.route({ ip });
      expect(d).toMatchObject({ region: 'ap-south', endpoint: 'http://127.0.0.1:4003', reason: REASON, latencyMillis: 30, cached: false });
      expect(d.score).toBe(31); // (1 + 30 ms) × 100 / 100
      expect(d.distanceKm).toBeUndefined();
      expect(d.country).toBeUndefined();
    }
    expect(r.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'ap-south', cached: true });
    setLatency({ 'ap-south': 300 });
    r.clearCache();
    expect(r.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'us-east', latencyMillis: 80, reason: REASON });
    expect(r.stats().byRegion).toEqual({ 'us-east': 1, 'eu-west': 0, 'ap-south': 6, 'ru-central': 0 });
  });

  it('weighs latency by region weight, and weight alone decides while latency is unknown', async () => {
    const weighted = defineRegions(REGIONS.map((x) => ({ ...x, weight: x.id === 'eu-west' ? 400 : 100 })));
    // No monitor: every region healthy, latency unknown (counts as 0): the 1 ms floor lets weight decide.
    expect(new GeoRouter({ regions: weighted }).route({ ip: '3.0.0.10' })).toMatchObject({ region: 'eu-west', score: 0.25, reason: REASON });

    const { clock, harness, setLatency } = await monitored(weighted);
    const r = new GeoRouter({ regions: weighted, monitor: harness.monitor, clock, cache: { maxEntries: 0 } });
    setLatency({ 'us-east': 30, 'eu-west': 100, 'ap-south': 200, 'ru-central': 200 });
    // eu-west: (1 + 100) / 4 = 25.25 beats us-east: 1 + 30 = 31.
    expect(r.route({ ip: '3.0.0.10' })).toMatchObject({ region: 'eu-west', score: 25.25 });
    setLatency({ 'eu-west': 140 });
    expect(r.route({ ip: '3.0.0.10' })).toMatchObject({ region: 'us-east', score: 31 });
  });

  it('leaves unhealthy regions out (the cache follows health), takes them with requireHealthy: false', async () => {
    const { clock, harness, setLatency } = await monitored();
    const r = new GeoRouter({ regions, monitor: harness.monitor, clock });
    setLatency({ 'us-east': 80, 'eu-west': 20, 'ap-south': 30, 'ru-central': 200 });
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
    expect(r.route({ ip: '81.2.69.160' }).cached).toBe(true);
    harness.set('eu-west', { kind: 'status', status: 500 });
    await harness.ticks(2);
    expect(harness.monitor.get('eu-west').state).toBe('unhealthy');
    // Successful probes on virtual time measure 0 ms: the others' latencies are set again.
    setLatency({ 'us-east': 80, 'ap-south': 30, 'ru-central': 200 });
    expect(r.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'ap-south', cached: false, reason: REASON });
    expect(r.route({ ip: '81.2.69.160', requireHealthy: false })).toMatchObject({ region: 'eu-west', reason: `${REASON}, unhealthy` });
    const none = meridianErrorOf(() => r.route({ ip: '81.2.69.160', allowedRegions: ['eu-west'] }));
    expect(none.code).toBe('NO_ELIGIBLE_REGION');
    expect(none.details.reasons).toEqual({ 'us-east': 'not in allowedRegions', 'eu-west': 'unhealthy', 'ap-south': 'not in allowedRegions', 'ru-central': 'not in allowedRegions' });
  });

  it('applies preferredRegion, allowedRegions and maxLatencyMillis', async () => {
    const { clock, harness, setLatency } = await monitored();
    const r = new GeoRouter({ regions, monitor: harness.monitor, clock });
    setLatency({ 'us-east': 50, 'eu-west': 70, 'ap-south': 150, 'ru-central': 90 });
    expect(r.route({ ip: '1.2.3.4' }).region).toBe('us-east');
    // Preferred halves the score: eu-west (1 + 70) / 2 = 35.5 beats us-east 51.
    expect(r.route({ ip: '1.2.3.4', preferredRegion: 'eu-west' })).toMatchObject({ region: 'eu-west', score: 35.5, reason: `${REASON}, preferred` });
    expect(r.route({ ip: '1.2.3.4', allowedRegions: ['ap-south', 'ru-central'] }).region).toBe('ru-central');
    expect(r.route({ ip: '1.2.3.4', allowedRegions: ['ap-south'] }).region).toBe('ap-south');
    const slow = meridianErrorOf(() => r.route({ ip: '1.2.3.4', allowedRegions: ['ap-south', 'ru-central'], maxLatencyMillis: 80 }));
    expect(slow.details.reasons).toMatchObject({ 'ap-south': 'latency 150 ms > 80 ms', 'ru-central': 'latency 90 ms > 80 ms' });
    r.setDrained('us-east', true);
    expect(r.route({ ip: '1.2.3.4' }).region).toBe('eu-west');
    expect(meridianErrorOf(() => r.route({ ip: '1.2.3.4', preferredRegion: 'mars' })).code).toBe('REGION_NOT_FOUND');
  });

  it('keeps sessions in their region while it is eligible, and breaks affinity with an event when not', async () => {
    const { clock, harness, setLatency } = await monitored();
    const r = new GeoRouter({ regions, monitor: harness.monitor, clock });
    const broken = collectEvents(r, 'route:affinity-broken');
    setLatency({ 'us-east': 80, 'eu-west': 20, 'ap-south': 30, 'ru-central': 200 });
    expect(r.route({ ip: '81.2.69.160', sessionId: 's1' }).region).toBe('eu-west');
    // eu-west becomes slower than ap-south, but the session's state lives in eu-west.
    setLatency({ 'eu-west': 60 });
    expect(r.route({ ip: '203.116.1.1', sessionId: 's1' })).toMatchObject({ region: 'eu-west', reason: 'session affinity', latencyMillis: 60 });
    expect(r.route({ ip: '203.116.1.1', sessionId: 's2' }).region).toBe('ap-south');
    // An allow-list that leaves the pinned region out moves the session.
    expect(r.route({ ip: '203.116.1.1', sessionId: 's1', allowedRegions: ['us-east', 'ru-central'] }).region).toBe('us-east');
    expect(broken.events).toEqual([{ sessionId: 's1', from: 'eu-west', to: 'us-east', reason: 'not in allowedRegions' }]);
    expect(r.affinityOf('s1')).toBe('us-east');
    harness.set('us-east', { kind: 'status', status: 503 });
    await harness.ticks(2);
    setLatency({ 'eu-west': 60, 'ap-south': 30, 'ru-central': 200 });
    expect(r.route({ ip: '203.116.1.1', sessionId: 's1' }).region).toBe('ap-south');
    expect(broken.events.at(-1)).toEqual({ sessionId: 's1', from: 'us-east', to: 'ap-south', reason: 'unhealthy' });
  });

  it('refuses residency requests with INVALID_CONFIG naming the missing database (even for a pinned session)', () => {
    const r = new GeoRouter({ regions });
    expect(r.route({ ip: '81.2.69.160', sessionId: 's1' }).region).toBe('us-east');
    for (const request of [{ ip: '81.2.69.160', residency: true }, { ip: '81.2.69.160', residency: true, sessionId: 's1' }]) {
      const error = meridianErrorOf(() => r.route(request));
      expect(error.code).toBe('INVALID_CONFIG');
      expect(error.message).toContain('residency: needs a geo database');
      expect(error.details.issues).toEqual([{ path: 'residency', message: 'needs a geo database', value: 'true' }]);
    }
    // residency: false is the default and stays allowed.
    expect(r.route({ ip: '81.2.69.160', residency: false }).region).toBe('us-east');
  });

  it('refuses a fallbackRegion (every client would go there), and has nothing to reload or watch', async () => {
    const error = meridianErrorOf(() => new GeoRouter({ regions, fallbackRegion: 'eu-west' }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/fallbackRegion: needs a database .*\(got "eu-west"\)/);
    const r = new GeoRouter({ regions });
    const reloads = collectEvents(r, 'route:database-reloaded');
    await expect(r.reload()).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('no geo database to reload') });
    expect(reloads.events).toEqual([{ ok: false, detail: expect.stringContaining('created without `database`') }]);
    expect(meridianErrorOf(() => r.watchDatabase()).code).toBe('INVALID_ARGUMENT');
    r.close();
    r.close();
  });

  it('still validates the client IP with the same coded error', () => {
    const r = new GeoRouter({ regions });
    for (const [ip, why] of [
      ['not-an-ip', 'not an IPv4 or IPv6 address'],
      ['10.0.0.0/8', 'CIDR'],
      ['fe80::1%eth0', 'zone ids'],
      [42, 'must be a string'],
    ] as const) {
      const error = meridianErrorOf(() => r.route({ ip: ip as string }));
      expect(error.code).toBe('INVALID_ARGUMENT');
      expect(error.message).toContain(why);
    }
  });

  it('takes a replacement scorer, which sees no distance', () => {
    const seen: Array<number | undefined> = [];
    const scorer = (input: ScoreInput): number => {
      seen.push(input.distanceKm);
      return input.region.id === 'ru-central' ? 0 : latencyScorer(input);
    };
    expect(new GeoRouter({ regions, scorer }).route({ ip: '81.2.69.160' })).toMatchObject({ region: 'ru-central', reason: REASON });
    expect(seen).toEqual([undefined, undefined, undefined, undefined]);
  });
});
