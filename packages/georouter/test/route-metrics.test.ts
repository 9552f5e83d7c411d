import { defineRegions, MemoryMetrics, type Region } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { beforeAll, describe, expect, it } from 'vitest';
import { REGIONS, writeTestDb } from './fixtures.js';

let dbPath: string;
let regions: Region[];

beforeAll(() => {
  dbPath = writeTestDb();
  regions = defineRegions(REGIONS);
});

describe('meridian_route_decisions_total', () => {
  it('is exported from the router own counts when the metrics are read, every region listed', async () => {
    const metrics = new MemoryMetrics();
    const router = new GeoRouter({ regions, database: await GeoDatabase.open(dbPath), metrics });
    expect(metrics.value('meridian_route_decisions_total', { region: 'ru-central' })).toBe(0);
    for (const ip of ['81.2.69.160', '81.2.69.160', '86.40.1.1', '203.116.1.1', '3.0.0.10']) router.route({ ip });
    expect(metrics.value('meridian_route_decisions_total', { region: 'eu-west' })).toBe(3);
    expect(metrics.value('meridian_route_decisions_total', { region: 'ap-south' })).toBe(1);
    // A second read adds only what happened in between.
    router.route({ ip: '86.40.1.1' });
    expect(metrics.value('meridian_route_decisions_total', { region: 'eu-west' })).toBe(4);
    expect(metrics.value('meridian_route_decisions_total', { region: 'us-east' })).toBe(1);
    router.close();
    router.route({ ip: '86.40.1.1' });
    expect(metrics.value('meridian_route_decisions_total', { region: 'eu-west' })).toBe(4);
  });
});
