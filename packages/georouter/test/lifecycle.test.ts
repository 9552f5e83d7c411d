// One lifecycle: GeoRouter.close() returns a promise, is idempotent, ends it
// under `await using`, and leaves the host's own listeners subscribed.
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

describe('GeoRouter lifecycle', () => {
  it('close() is awaitable and idempotent; listeners still hear decisions made after it', async () => {
    const router = new GeoRouter({ regions, database: await GeoDatabase.open(dbPath), decisionSampleRate: 1 });
    const decided: string[] = [];
    router.on('route:decision', (d) => decided.push(d.decision.region));
    await Promise.all([router.close(), router.close()]);
    router.route({ ip: '81.2.69.160' });
    expect(decided).toEqual(['eu-west']);
  });

  it('ends with await using: it stops exporting metrics', async () => {
    const metrics = new MemoryMetrics();
    let kept: GeoRouter;
    {
      await using router = new GeoRouter({ regions, database: await GeoDatabase.open(dbPath), metrics });
      router.route({ ip: '81.2.69.160' });
      expect(metrics.value('meridian_route_decisions_total', { region: 'eu-west' })).toBe(1);
      kept = router;
    }
    kept.route({ ip: '81.2.69.160' });
    expect(metrics.value('meridian_route_decisions_total', { region: 'eu-west' })).toBe(1);
  });
});
