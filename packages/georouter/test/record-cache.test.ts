// The routing lookup (tree walk from the parsed address, only the location
// fields decoded, one Place kept per MMDB record) must decide exactly as the
// plain path did: maxmind's reader.get() and readLocation() on every route.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineRegions, type HealthState, type Region } from '@meridian/core';
import { GeoDatabase, GeoRouter, type GeoRouteRequest, type HealthSource } from '@meridian/georouter';
import { dbipNetworks, GEO_CITIES, geoliteNetworks, ipInV4, NO_COORDINATES, writeMmdb, type MmdbNetwork } from '@meridian/testkit';
import { describe, expect, it } from 'vitest';
import { Place } from '../src/geo/place.js';
import { parseIp } from '../src/ip/parse-ip.js';
import { REGIONS } from './fixtures.js';

const regions: Region[] = defineRegions(REGIONS);

/** Records that exercise the decoder: extra fields of every kind to skip, long strings, partial locations. */
const ODD_RECORDS: MmdbNetwork[] = [
  {
    cidr: '145.0.0.0/12',
    data: {
      postcode: '1012',
      tags: ['a', 1, { nested: [true, false] }, 2.5],
      big: { $type: 'uint64', value: 123_456_789 } as never,
      small: { $type: 'uint16', value: 7 } as never,
      flag: true,
      city: 'Amsterdam',
      country_code: 'nl',
      latitude: 52.37,
      longitude: 4.89,
      state1: 'North Holland',
      timezone: 'Europe/Amsterdam',
    },
  },
  { cidr: '145.16.0.0/12', data: { city: 'L'.repeat(40), country_code: 'NL', latitude: 52.1, longitude: 5.1, note: 'n'.repeat(300) } },
  { cidr: '145.32.0.0/12', data: { latitude: 10.5, country_code: 'NL', city: 'Half' } },
  { cidr: '145.48.0.0/12', data: { location: { latitude: 48.2, longitude: 16.37, accuracy_radius: 20 }, registered_country: { iso_code: 'at' }, city: { names: { de: 'Wien' } } } },
  { cidr: '145.64.0.0/12', data: { country: { iso_code: '', names: { en: 'Nowhere' } }, registered_country: { iso_code: 'PT' }, city: '' } },
  { cidr: '145.80.0.0/12', data: { latitude: 'north', longitude: 3, country_code: 'BE', city: 'Ghent' } },
  { cidr: '145.1.0.0/16', data: { city: 'Inside', country_code: 'NL', latitude: 51.9, longitude: 4.5 } },
];

function database(networks: MmdbNetwork[], ipVersion: 4 | 6, recordSize: 24 | 28 | 32): Buffer {
  return writeMmdb({ ipVersion, recordSize, networks: ipVersion === 4 ? networks.filter((n) => !n.cidr.includes(':')) : networks });
}

/** Deterministic addresses: the edges and middles of every network, and random ones across both spaces. */
function addresses(networks: MmdbNetwork[]): string[] {
  let seed = 0x2545f491;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const out: string[] = [];
  for (const { cidr } of networks) {
    const [base, bits] = cidr.split('/');
    if (cidr.includes(':')) {
      const prefix = base!.replace(/::$/, '');
      out.push(`${prefix}::1`, `${prefix}::ffff:1`, `${prefix}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`);
    } else {
      const size = 2 ** (32 - Number(bits));
      out.push(ipInV4(cidr, 0), ipInV4(cidr, size >>> 1), ipInV4(cidr, size - 1), `::ffff:${ipInV4(cidr, next() % size)}`);
    }
  }
  for (let i = 0; i < 1500; i++) {
    const n = next();
    out.push(`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`);
    out.push(`${(0x2000 + (next() & 0x1fff)).toString(16)}:${(next() & 0xffff).toString(16)}::${(next() & 0xffff).toString(16)}`);
  }
  return out;
}

/** The plain path as a database: maxmind's whole record, then readLocation (what route() did before). */
function plainLookup(db: GeoDatabase): GeoDatabase {
  const lookup: Pick<GeoDatabase, 'uncovered' | 'place' | 'reload' | 'watch' | 'close'> = {
    uncovered: (version) => db.uncovered(version),
    place: (ip) => new Place(db.locate(ip.address, ip.version)),
    reload: () => db.reload(),
    watch: (onReload) => db.watch(onReload),
    close: () => db.close(),
  };
  return lookup as GeoDatabase;
}

/** A health source whose states and latencies the test sets, announcing them as a HealthMonitor does. */
function scriptedHealth(): HealthSource & { set(regionId: string, state: HealthState, latencyMillis?: number): void } {
  const health = new Map(regions.map((r) => [r.id, { regionId: r.id, state: 'healthy' as HealthState, latencyMillis: undefined as number | undefined }]));
  const listeners = new Map<string, Set<(event: unknown) => void>>();
  return {
    on: ((name: string, listener: (event: unknown) => void) => {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set.add(listener));
      return { dispose: () => set.delete(listener) };
    }) as HealthSource['on'],
    get: ((regionId: string) => health.get(regionId)) as unknown as HealthSource['get'],
    set(regionId, state, latencyMillis) {
      const h = health.get(regionId)!;
      const changed = h.state !== state;
      h.state = state;
      h.latencyMillis = latencyMillis;
      if (changed) for (const l of listeners.get(`region:${state}`) ?? []) l({ regionId, state });
      for (const l of listeners.get('health:probe') ?? []) l({ regionId });
    },
  };
}

const REQUESTS: GeoRouteRequest[] = [
  { ip: '' },
  { ip: '', residency: true },
  { ip: '', preferredRegion: 'ru-central' },
  { ip: '', allowedRegions: ['us-east', 'ap-south'] },
  { ip: '', maxLatencyMillis: 50 },
  { ip: '', requireHealthy: false },
];

/** Every router's answer (decision or error) to every address and request kind. */
function outcomes(router: GeoRouter, ips: string[]): unknown[] {
  return ips.flatMap((ip) =>
    REQUESTS.map((request) => {
      try {
        return router.route({ ...request, ip });
      } catch (error) {
        return { error: (error as Error).message };
      }
    }),
  );
}

describe('the routing lookup', () => {
  const shapes: Array<[string, MmdbNetwork[]]> = [
    ['DB-IP shaped', [...dbipNetworks(), NO_COORDINATES, ...ODD_RECORDS]],
    ['GeoLite2 shaped', [...geoliteNetworks(), NO_COORDINATES, ...ODD_RECORDS]],
  ];
  for (const [shape, networks] of shapes) {
    for (const ipVersion of [4, 6] as const) {
      for (const recordSize of [24, 28, 32] as const) {
        it(`finds the same location as reader.get() + readLocation: ${shape}, IPv${ipVersion} tree, ${recordSize}-bit records`, () => {
          const bytes = database(networks, ipVersion, recordSize);
          const cached = GeoDatabase.fromBuffer(bytes);
          const uncached = GeoDatabase.fromBuffer(bytes, { cachedRecords: 0 });
          let located = 0;
          for (const address of addresses(networks)) {
            const ip = parseIp(address);
            if (cached.uncovered(ip.version)) continue;
            const expected = new Place(cached.locate(ip.address, ip.version));
            expect(cached.place(ip), address).toEqual(expected);
            expect(uncached.place(ip), address).toEqual(expected);
            if (expected.located) located++;
          }
          expect(located).toBeGreaterThan(50);
          expect(uncached.cachedRecords).toBe(0);
          expect(cached.cachedRecords).toBeGreaterThan(10);
        });
      }
    }
  }

  it('keeps at most cachedRecords records, and answers the same after evictions', () => {
    const networks = [...dbipNetworks(), NO_COORDINATES, ...ODD_RECORDS];
    const small = GeoDatabase.fromBuffer(database(networks, 6, 28), { cachedRecords: 3 });
    for (const address of addresses(networks)) {
      const ip = parseIp(address);
      expect(small.place(ip), address).toEqual(new Place(small.locate(ip.address, ip.version)));
      expect(small.cachedRecords).toBeLessThanOrEqual(3);
    }
    expect(() => GeoDatabase.fromBuffer(database(networks, 6, 28), { cachedRecords: -1 })).toThrow(/cachedRecords/);
  });
});

describe('decisions with and without the record cache', () => {
  const networks = [...dbipNetworks(), NO_COORDINATES, ...ODD_RECORDS];
  const ips = addresses(networks).filter((_, i) => i % 3 === 0);

  it('are the same through health, latency and drain changes', () => {
    const bytes = database(networks, 6, 28);
    const health = scriptedHealth();
    const make = (db: GeoDatabase, maxEntries = 0): GeoRouter => new GeoRouter({ regions, database: db, monitor: health, cache: { maxEntries }, fallbackRegion: 'us-east' });
    const withCache = make(GeoDatabase.fromBuffer(bytes));
    const tinyCache = make(GeoDatabase.fromBuffer(bytes, { cachedRecords: 2 }));
    const withoutCache = make(GeoDatabase.fromBuffer(bytes, { cachedRecords: 0 }));
    const plain = make(plainLookup(GeoDatabase.fromBuffer(bytes, { cachedRecords: 0 })));
    const steps: Array<[string, () => void]> = [
      ['all healthy', () => undefined],
      ['eu-west unhealthy', () => health.set('eu-west', 'unhealthy')],
      ['us-east degraded and slow', () => health.set('us-east', 'degraded', 120)],
      ['ap-south fast', () => health.set('ap-south', 'healthy', 5)],
      ['ru-central drained', () => [withCache, tinyCache, withoutCache, plain].forEach((r) => r.setDrained('ru-central', true))],
      ['all back', () => {
        health.set('eu-west', 'healthy', 30);
        health.set('us-east', 'healthy', 30);
        [withCache, tinyCache, withoutCache, plain].forEach((r) => r.setDrained('ru-central', false));
      }],
    ];
    let previous: unknown[] | undefined;
    for (const [step, apply] of steps) {
      apply();
      const expected = outcomes(plain, ips);
      expect(outcomes(withCache, ips), step).toEqual(expected);
      expect(outcomes(tinyCache, ips), step).toEqual(expected);
      expect(outcomes(withoutCache, ips), step).toEqual(expected);
      // Each step changes some decisions: the comparison is not of one frozen answer.
      if (previous) expect(expected, step).not.toEqual(previous);
      previous = expected;
    }
  });

  it('follow a reload to a file whose records sit at the same offsets with other contents', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'meridian-records-')), 'city.mmdb');
    writeFileSync(path, database(networks, 6, 28));
    const db = await GeoDatabase.open(path);
    const router = new GeoRouter({ regions, database: db, cache: { maxEntries: 0 }, fallbackRegion: 'us-east' });
    expect(outcomes(router, ips)).toEqual(outcomes(new GeoRouter({ regions, database: plainLookup(db), cache: { maxEntries: 0 }, fallbackRegion: 'us-east' }), ips));
    expect(db.cachedRecords).toBeGreaterThan(10);
    // Same sizes, so the same layout: a cache keyed by offset that outlived the file would answer from the old cities.
    const moved = dbipNetworks(GEO_CITIES.map((c) => ({ ...c, lat: -c.lat, lon: c.lon > 0 ? c.lon - 179 : c.lon + 179, countryCode: c.countryCode === 'US' ? 'MX' : 'US' })));
    const movedBytes = database([...moved, NO_COORDINATES, ...ODD_RECORDS], 6, 28);
    expect(movedBytes.length).toBe(database(networks, 6, 28).length);
    writeFileSync(path, movedBytes);
    await db.reload();
    const expected = outcomes(new GeoRouter({ regions, database: plainLookup(GeoDatabase.fromBuffer(movedBytes)), cache: { maxEntries: 0 }, fallbackRegion: 'us-east' }), ips);
    expect(outcomes(router, ips)).toEqual(expected);
    expect(outcomes(router, ips)).not.toEqual(outcomes(new GeoRouter({ regions, database: GeoDatabase.fromBuffer(database(networks, 6, 28)), cache: { maxEntries: 0 }, fallbackRegion: 'us-east' }), ips));
  });
});
