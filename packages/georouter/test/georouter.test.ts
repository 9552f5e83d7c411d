import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineRegions, ManualClock, MeridianError, type Region } from '@meridian/core';
import { GeoDatabase, GeoRouter, haversineKm, type GeoRouterOptions } from '@meridian/georouter';
import { collectEvents, dbipNetworks, geoliteNetworks, meridianErrorOf, startHealthHarness, waitForEvent, writeMmdb } from '@meridian/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGIONS, writeTestDb } from './fixtures.js';

let dbPath: string;
let regions: Region[];

beforeAll(() => {
  dbPath = writeTestDb();
  regions = defineRegions(REGIONS);
});

async function router(options: Partial<GeoRouterOptions> = {}): Promise<GeoRouter> {
  return new GeoRouter({ regions, database: await GeoDatabase.open(dbPath), ...options });
}

describe('nearest region', () => {
  it.each([
    ['Ashburn', '3.0.0.10', 'us-east'],
    ['Mountain View', '8.8.8.8', 'us-east'],
    ['Toronto', '99.224.1.1', 'us-east'],
    ['São Paulo', '177.1.2.3', 'us-east'],
    ['London', '81.2.69.160', 'eu-west'],
    ['Dublin', '86.40.1.1', 'eu-west'],
    ['Paris', '90.1.2.3', 'eu-west'],
    ['Moscow', '95.24.1.1', 'ru-central'],
    ['Cairo', '197.32.1.1', 'ru-central'],
    ['Singapore', '203.116.1.1', 'ap-south'],
    ['Mumbai', '49.204.1.1', 'ap-south'],
    ['Tokyo', '126.1.2.3', 'ap-south'],
    ['Sydney', '1.128.1.1', 'ap-south'],
    ['Johannesburg', '41.0.1.1', 'ap-south'],
  ])('%s (%s) goes to %s', async (city, ip, expected) => {
    const r = await router();
    const decision = r.route({ ip });
    expect(decision.region).toBe(expected);
    expect(decision.reason).toContain(city);
    expect(decision.endpoint).toBe(regions.find((x) => x.id === expected)!.endpoint);
  });

  it('counts its decisions per region (load distribution), cached ones included', async () => {
    const r = await router();
    for (const ip of ['81.2.69.160', '81.2.69.160', '86.40.1.1', '203.116.1.1', '3.0.0.10']) r.route({ ip });
    const stats = r.stats();
    expect(stats.decisions).toBe(5);
    expect(stats.byRegion).toMatchObject({ 'eu-west': 3, 'ap-south': 1, 'us-east': 1, 'ru-central': 0 });
  });

  it('reports the distance with the seed formula as score (km, no latency known)', async () => {
    const d = (await router()).route({ ip: '81.2.69.160' });
    const km = haversineKm({ lat: 51.51, lon: -0.13 }, { lat: 53.3, lon: -6.2 });
    expect(d.distanceKm).toBeCloseTo(km, 6);
    expect(d.distanceKm).toBeGreaterThan(440);
    expect(d.distanceKm).toBeLessThan(480);
    expect(d.score).toBeCloseTo(km, 6);
    expect(d.country).toBe('GB');
  });

  it('works for IPv6 and IPv4-mapped IPv6 (dotted and hex)', async () => {
    const r = await router();
    expect(r.route({ ip: '2a02:c7f::1' }).region).toBe('eu-west');
    expect(r.route({ ip: '2406:3000::42' }).region).toBe('ap-south');
    expect(r.route({ ip: '::ffff:81.2.69.160' }).region).toBe('eu-west');
    expect(r.route({ ip: '::FFFF:5102:45a0' }).region).toBe('eu-west');
    // Every spelling of ::ffff:0:0/96 is the IPv4 address, not an IPv6 one the database does not know.
    for (const ip of ['0:0:0:0:0:ffff:81.2.69.160', '0::ffff:81.2.69.160', '0:0:0:0:0:ffff:5102:45a0']) {
      expect(r.route({ ip })).toMatchObject({ region: 'eu-west', country: 'GB', reason: 'nearest eligible region to London (GB)' });
    }
  });

  it('reads MaxMind GeoLite2-shaped records too', async () => {
    const r = new GeoRouter({ regions, database: GeoDatabase.fromBuffer(writeMmdb({ networks: geoliteNetworks() })) });
    const d = r.route({ ip: '126.1.2.3' });
    expect(d).toMatchObject({ region: 'ap-south', country: 'JP' });
    expect(d.reason).toContain('Tokyo');
  });
});

describe('policies', () => {
  it('preferredRegion halves the score and can win', async () => {
    const r = await router({ cache: { maxEntries: 0 } });
    const plain = r.route({ ip: '85.214.1.1', allowedRegions: ['ru-central'] });
    const preferred = r.route({ ip: '85.214.1.1', allowedRegions: ['ru-central'], preferredRegion: 'ru-central' });
    expect(preferred.score).toBeCloseTo(plain.score / 2, 9);
    expect(r.route({ ip: '85.214.1.1' }).region).toBe('eu-west'); // Berlin: Ireland ~1300 km, Moscow ~1600 km
    const flipped = r.route({ ip: '85.214.1.1', preferredRegion: 'ru-central' });
    expect(flipped.region).toBe('ru-central');
    expect(flipped.reason).toContain('preferred');
  });

  it('allowedRegions restricts, drained regions are skipped', async () => {
    const r = await router();
    expect(r.route({ ip: '81.2.69.160', allowedRegions: ['us-east', 'ap-south'] }).region).toBe('us-east');
    r.setDrained('eu-west', true);
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('ru-central');
    r.setDrained('eu-west', false);
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
    expect(() => r.setDrained('mars', true)).toThrow(expect.objectContaining({ code: 'REGION_NOT_FOUND' }));
  });

  it('residency keeps a client in regions that admit its country, or refuses with reasons', async () => {
    const r = await router();
    expect(r.route({ ip: '85.214.1.1', residency: true }).region).toBe('eu-west');
    expect(r.route({ ip: '3.0.0.10', residency: true }).region).toBe('us-east');
    // Moscow would go to ru-central, which has no residency list: only eu-west... which does not list RU.
    const error = meridianErrorOf(() => r.route({ ip: '95.24.1.1', residency: true }));
    expect(error.code).toBe('NO_ELIGIBLE_REGION');
    expect(error.details.reasons).toEqual({
      'us-east': 'residency does not admit RU',
      'eu-west': 'residency does not admit RU',
      'ap-south': 'residency does not admit RU',
      'ru-central': 'residency does not admit RU',
    });
    expect(meridianErrorOf(() => r.route({ ip: '10.0.0.1', residency: true })).message).toContain('residency cannot be proven');
  });

  it('a replaceable scorer decides instead of the seed formula', async () => {
    const r = await router({ scorer: ({ region }) => (region.id === 'ap-south' ? 0 : 1) });
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('ap-south');
  });
});

describe('health', () => {
  it('requireHealthy excludes unhealthy regions, maxLatencyMillis slow ones, degraded ones are penalised', async () => {
    const clock = new ManualClock(1_000_000);
    const harness = await startHealthHarness(regions.map((x) => x.id), clock, { intervalMillis: 1000, failuresBeforeUnhealthy: 2 });
    try {
      const r = await router({ monitor: harness.monitor, clock });
      await harness.tick();
      expect(r.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
      harness.set('eu-west', { kind: 'status', status: 500 });
      await harness.ticks(2);
      expect(r.route({ ip: '81.2.69.160' }).region).toBe('ru-central');
      expect(r.route({ ip: '81.2.69.160', requireHealthy: false }).region).toBe('eu-west');
      // Latency from the monitor's EWMA (passive reports count): 900 ms on ru-central.
      for (let i = 0; i < 5; i++) harness.monitor.report('ru-central', { ok: true, latencyMillis: 900 });
      clock.advance(1_000);
      const slow = r.route({ ip: '81.2.69.160', maxLatencyMillis: 500 });
      expect(slow.region).toBe('us-east');
      const none = meridianErrorOf(() => r.route({ ip: '81.2.69.160', maxLatencyMillis: 500, allowedRegions: ['eu-west', 'ru-central'] }));
      expect(none.details.reasons).toMatchObject({ 'eu-west': 'unhealthy', 'ru-central': expect.stringMatching(/latency \d+ ms > 500 ms/) });
    } finally {
      await harness.close();
    }
  });
});

describe('addresses without a location', () => {
  it.each(['10.1.2.3', '192.168.1.1', '172.20.0.5', '127.0.0.1', '169.254.1.1', '100.64.0.1', '::1', 'fe80::1', 'fc00::1', '2001:db8::1', '::ffff:10.0.0.1', '0:0:0:0:0:ffff:a00:1'])(
    '%s goes to the fallback region without a lookup',
    async (ip) => {
      const d = (await router({ fallbackRegion: 'eu-west' })).route({ ip });
      expect(d.region).toBe('eu-west');
      expect(d.reason).toMatch(/(private|loopback|link-local|shared|documentation|unique local).* address: fallback region/);
      expect(d.distanceKm).toBeUndefined();
    },
  );

  it('an IP the database does not know, or knows without coordinates, goes to the fallback', async () => {
    const r = await router({ fallbackRegion: 'us-east' });
    expect(r.route({ ip: '4.4.4.4' })).toMatchObject({ region: 'us-east', reason: 'no location for this address: fallback region' });
    expect(r.route({ ip: '5.5.5.5' })).toMatchObject({ region: 'us-east', country: 'XX' });
  });

  it('without a fallback region, the best by latency and weight serves', async () => {
    const weighted = defineRegions(REGIONS.map((x) => ({ ...x, weight: x.id === 'ap-south' ? 400 : 100 })));
    const r = new GeoRouter({ regions: weighted, database: await GeoDatabase.open(dbPath) });
    expect(r.route({ ip: '192.168.0.9' }).reason).toBe('private address: best by latency and weight');
  });
});

describe('an IPv4-only database', () => {
  // An IPv4 tree walked with an IPv6 address answers from its first 32 bits: 2606:4700:4700::1111
  // would be 38.6.71.0 (Los Angeles), 5102:45a0::1 would be 81.2.69.160 (London).
  const v4Only = (): Buffer =>
    writeMmdb({
      ipVersion: 4,
      networks: [
        ...dbipNetworks().filter((n) => !n.cidr.includes(':')),
        { cidr: '38.6.71.0/24', data: { city: 'Los Angeles', country_code: 'US', latitude: 34.05, longitude: -118.24 } },
      ],
    });

  it('answers no IPv6 address (no location, with the reason), never a guess from the IPv4 tree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-geo-v4-'));
    const path = join(dir, 'v4-only.mmdb');
    writeFileSync(path, v4Only());
    for (const database of [await GeoDatabase.open(path), GeoDatabase.fromBuffer(v4Only())]) {
      expect(database.info().map((i) => i.ipVersion)).toEqual([4]);
      expect(database.locate('2606:4700:4700::1111')).toBeUndefined();
      expect(database.record('5102:45a0::1')).toBeNull();
      expect(database.locate('38.6.71.10')).toMatchObject({ city: 'Los Angeles' });
      expect(database.uncovered(4)).toBeUndefined();
      expect(database.uncovered(6)).toBe('no IPv6 data in the geo database (it is IPv4-only)');
      const r = new GeoRouter({ regions, database, fallbackRegion: 'ap-south' });
      for (const ip of ['2606:4700:4700::1111', '5102:45a0::1', '2a02:c7f::1']) {
        const d = r.route({ ip });
        expect(d).toMatchObject({ region: 'ap-south', reason: 'no IPv6 data in the geo database (it is IPv4-only): fallback region' });
        expect(d.country).toBeUndefined();
        expect(d.distanceKm).toBeUndefined();
      }
      // IPv4, and IPv4-mapped IPv6, still read the IPv4 tree.
      expect(r.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'eu-west', country: 'GB' });
      expect(r.route({ ip: '::ffff:81.2.69.160' })).toMatchObject({ region: 'eu-west', country: 'GB' });
      // Residency cannot be proven without a country: refused, not guessed.
      expect(meridianErrorOf(() => r.route({ ip: '5102:45a0::1', residency: true })).code).toBe('NO_ELIGIBLE_REGION');
    }
  });

  it('is refused as the IPv6 file of a pair, naming the path; an IPv4 file alone says IPv6 was not given', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meridian-geo-v4-'));
    const path = join(dir, 'v4-only.mmdb');
    writeFileSync(path, v4Only());
    const error = await GeoDatabase.open({ ipv4: dbPath, ipv6: path }).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'GEO_DATABASE_ERROR')).toBe(true);
    expect((error as Error).message).toBe(`${path} is an IPv4-only database (ip_version 4): it cannot serve as the IPv6 file`);
    const ipv4Only = await GeoDatabase.open({ ipv4: path });
    expect(ipv4Only.uncovered(6)).toBe('no IPv6 data in the geo database (only an IPv4 file was given)');
    expect(ipv4Only.locate('5102:45a0::1')).toBeUndefined();
    const ipv6Only = await GeoDatabase.open({ ipv6: dbPath });
    expect(ipv6Only.uncovered(4)).toBe('no IPv4 data in the geo database (only an IPv6 file was given)');
    expect(ipv6Only.uncovered(6)).toBeUndefined();
  });
});

describe('cache', () => {
  it('returns the same decision from cache, keyed by the options, and clears it on a health change', async () => {
    const clock = new ManualClock(0);
    const harness = await startHealthHarness(regions.map((x) => x.id), clock, { intervalMillis: 1000, failuresBeforeUnhealthy: 1 });
    try {
      const r = await router({ monitor: harness.monitor, clock });
      await harness.tick();
      const first = r.route({ ip: '81.2.69.160' });
      const second = r.route({ ip: '81.2.69.160' });
      expect(first.cached).toBe(false);
      expect(second).toEqual({ ...first, cached: true });
      expect(r.route({ ip: '81.2.69.160', preferredRegion: 'ru-central' }).cached).toBe(false);
      harness.set('eu-west', { kind: 'status', status: 503 });
      await harness.tick();
      const after = r.route({ ip: '81.2.69.160' });
      expect(after).toMatchObject({ cached: false, region: 'ru-central' });
    } finally {
      await harness.close();
    }
  });

  it('expires entries after the TTL and can share decisions per /24', async () => {
    const clock = new ManualClock(0);
    const r = await router({ clock, cache: { ttlMillis: 1000, key: 'prefix' } });
    expect(r.route({ ip: '81.2.69.1' }).cached).toBe(false);
    expect(r.route({ ip: '81.2.69.200' }).cached).toBe(true);
    clock.advance(1000);
    expect(r.route({ ip: '81.2.69.200' }).cached).toBe(false);
    expect(r.route({ ip: '2a02:c7f:0:1::1' }).cached).toBe(false);
    expect(r.route({ ip: '2a02:c7f:0:2::9' }).cached).toBe(true);
  });

  it('never holds more than maxEntries after 1M distinct IPs', async () => {
    const r = await router({ cache: { maxEntries: 1000 }, fallbackRegion: 'us-east' });
    let max = 0;
    for (let i = 0; i < 1_000_000; i++) {
      const n = 16_777_216 + i * 97; // 1.0.0.0 upwards, distinct
      r.route({ ip: `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}` });
      if ((i & 1023) === 0) max = Math.max(max, r.cacheSize);
    }
    expect(Math.max(max, r.cacheSize)).toBeLessThanOrEqual(1000);
    expect(r.cacheSize).toBe(1000);
  }, 60_000);
});

describe('session affinity', () => {
  it('keeps a session in its region while eligible, breaks it with an event when not, and forgets after the TTL', async () => {
    const clock = new ManualClock(0);
    const r = await router({ clock, affinity: { ttlMillis: 60_000 } });
    const broken = collectEvents(r, 'route:affinity-broken');
    expect(r.route({ ip: '81.2.69.160', sessionId: 's1' }).region).toBe('eu-west');
    // The same session from a Singapore address stays where its state is.
    expect(r.route({ ip: '203.116.1.1', sessionId: 's1' })).toMatchObject({ region: 'eu-west', reason: 'session affinity' });
    r.setDrained('eu-west', true);
    expect(r.route({ ip: '203.116.1.1', sessionId: 's1' }).region).toBe('ap-south');
    expect(broken.events).toEqual([{ sessionId: 's1', from: 'eu-west', to: 'ap-south', reason: 'drained' }]);
    r.setDrained('eu-west', false);
    expect(r.affinityOf('s1')).toBe('ap-south');
    clock.advance(60_000);
    expect(r.affinityOf('s1')).toBeUndefined();
    expect(r.route({ ip: '81.2.69.160', sessionId: 's1' }).region).toBe('eu-west');
    expect(broken.events).toHaveLength(1);
  });

  it('is bounded by maxSessions', async () => {
    const r = await router({ affinity: { maxSessions: 100 } });
    for (let i = 0; i < 1000; i++) r.route({ ip: '81.2.69.160', sessionId: `s${i}` });
    expect(r.sessionCount).toBe(100);
    expect(r.affinityOf('s999')).toBe('eu-west');
    expect(r.affinityOf('s0')).toBeUndefined();
  });
});

describe('events', () => {
  it('emits sampled route:decision events', async () => {
    const r = await router({ decisionSampleRate: 1 });
    const decisions = collectEvents(r, 'route:decision');
    r.route({ ip: '81.2.69.160', sessionId: 'x' });
    expect(decisions.events).toEqual([{ ip: '81.2.69.160', sessionId: 'x', decision: expect.objectContaining({ region: 'eu-west' }) }]);
  });
});

describe('database reload while serving', () => {
  it('swaps in a new file, refuses a corrupt one (the old keeps serving), and follows file changes', async () => {
    const path = writeTestDb();
    const r = new GeoRouter({ regions, database: await GeoDatabase.open(path) });
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
    // London's network now says Tokyo.
    writeFileSync(path, writeMmdb({ networks: [{ cidr: '81.2.69.0/24', data: { city: 'Tokyo', country_code: 'JP', latitude: 35.68, longitude: 139.69 } }] }));
    let served = 0;
    const loop = (async () => {
      for (let i = 0; i < 2000; i++) {
        r.route({ ip: '81.2.69.160' });
        served++;
        if (i % 100 === 0) await new Promise((res) => setImmediate(res));
      }
    })();
    await r.reload();
    await loop;
    expect(served).toBe(2000);
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('ap-south');
    writeFileSync(path, 'not a database');
    await expect(r.reload()).rejects.toSatisfy((e) => MeridianError.hasCode(e, 'GEO_DATABASE_ERROR') && (e as Error).message.includes(path));
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('ap-south');

    r.watchDatabase();
    const reloaded = waitForEvent(r, 'route:database-reloaded', { filter: (e) => e.ok });
    writeFileSync(path, writeMmdb({ networks: [{ cidr: '81.2.69.0/24', data: { city: 'Moscow', country_code: 'RU', latitude: 55.76, longitude: 37.62 } }] }));
    await reloaded;
    expect(r.route({ ip: '81.2.69.160' }).region).toBe('ru-central');
    r.close();
  });
});

describe('bad input', () => {
  it.each([
    ['', 'empty'],
    ['not-an-ip', 'not an IPv4 or IPv6 address'],
    ['256.1.1.1', 'not an IPv4 or IPv6 address'],
    ['1.2.3', 'not an IPv4 or IPv6 address'],
    ['fe80::1%eth0', 'zone ids'],
    ['10.0.0.0/8', 'CIDR'],
    ['2001:db8::/32', 'CIDR'],
    [' 1.2.3.4', 'whitespace'],
    [42, 'must be a string'],
    [undefined, 'must be a string'],
  ])('refuses IP %j with INVALID_ARGUMENT (%s)', async (ip, why) => {
    const error = meridianErrorOf(() => routerSync().route({ ip: ip as string }));
    expect(error.code).toBe('INVALID_ARGUMENT');
    expect(error.message).toContain(why);
  });

  it('names the path of a missing or corrupt database', async () => {
    await expect(GeoDatabase.open('/nonexistent/city.mmdb')).rejects.toThrow(/Cannot read the geo database at \/nonexistent\/city\.mmdb: ENOENT/);
    await expect(GeoDatabase.open({ ipv4: dbPath, ipv6: '/nope/v6.mmdb' })).rejects.toThrow(/\/nope\/v6\.mmdb: ENOENT/);
    await expect(GeoDatabase.open({})).rejects.toThrow(/give a path/);
    const bad = writeTestDb();
    writeFileSync(bad, Buffer.from('garbage garbage garbage'));
    await expect(GeoDatabase.open(bad)).rejects.toThrow(new RegExp(`${bad.replace(/[.]/g, '\\.')} is not a valid MaxMind DB`));
  });

  it('refuses bad options and bad request options', async () => {
    const database = await GeoDatabase.open(dbPath);
    expect(() => new GeoRouter({ regions: [], database })).toThrow(/regions: at least one region/);
    expect(() => new GeoRouter({ regions: [{ ...regions[0]!, endpoint: 'nope' }], database })).toThrow(/\[0\]\.endpoint/);
    expect(() => new GeoRouter({ regions, database, fallbackRegion: 'mars' })).toThrow(/fallbackRegion: unknown region/);
    expect(() => new GeoRouter({ regions, database, cache: { prefixV6: 50 } })).toThrow(/cache\.prefixV6/);
    expect(() => new GeoRouter({ regions, database: {} as never })).toThrow(/database: must be a GeoDatabase/);
    const r = new GeoRouter({ regions, database });
    expect(meridianErrorOf(() => r.route({ ip: '81.2.69.160', maxLatencyMillis: -1 })).code).toBe('INVALID_CONFIG');
    expect(meridianErrorOf(() => r.route({ ip: '81.2.69.160', preferredRegion: 'mars' })).code).toBe('REGION_NOT_FOUND');
  });
});

let syncRouter: GeoRouter | undefined;
function routerSync(): GeoRouter {
  syncRouter ??= new GeoRouter({ regions, database: GeoDatabase.fromBuffer(writeMmdb({ networks: geoliteNetworks() })) });
  return syncRouter;
}
