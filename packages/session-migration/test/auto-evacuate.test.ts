import { randomBytes } from 'node:crypto';
import { defineRegions, HealthMonitor } from '@meridian/core';
import { GeoDatabase, GeoRouter } from '@meridian/georouter';
import { createLocalProvider, createLocalSessionAdapter, type LocalProvider } from '@meridian/providers-local';
import { autoEvacuate, MemorySnapshotStore, SessionMigrator, SnapshotCodec } from '@meridian/session-migration';
import { dbipNetworks, findLeakedProcesses, seedRegions, writeMmdb } from '@meridian/testkit';
import { request } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

let provider: LocalProvider;
let pids: number[] = [];

beforeEach(async () => {
  provider = createLocalProvider({ regions: seedRegions(4) });
  await provider.deploy({ name: 'auto', regions: [] });
  pids = provider.pids();
});

afterEach(async () => {
  await provider.stop();
  expect(await findLeakedProcesses(pids)).toEqual([]);
});

const endpoint = (region: string) => provider.regions().find((r) => r.id === region)!.endpoint;

async function put(id: string, region: string): Promise<void> {
  const res = await request(`${endpoint(region)}/sessions/${id}`, { method: 'PUT', body: JSON.stringify({ owner: id }) });
  await res.body.dump();
}

async function activeIn(id: string): Promise<string[]> {
  const out: string[] = [];
  for (const r of provider.regions()) {
    const res = await request(`${r.endpoint}/sessions/${id}`);
    if (res.statusCode === 200 && ((await res.body.json()) as { status: string }).status === 'active') out.push(r.id);
    else await res.body.dump().catch(() => undefined);
  }
  return out;
}

function newMigrator(router?: GeoRouter): SessionMigrator {
  return new SessionMigrator({
    adapter: createLocalSessionAdapter(provider),
    codec: new SnapshotCodec({ keys: [{ id: 'k', key: randomBytes(32) }] }),
    store: new MemorySnapshotStore(),
    ...(router ? { router } : {}),
  });
}

describe('evacuate with data residency', () => {
  it('sends each session only where its client country may live, and leaves it in place when nowhere may', async () => {
    const regions = defineRegions(provider.regions().map((r) => ({ ...r, ...(r.id === 'eu-west' ? { residency: ['DE', 'GB'] } : {}) })));
    const router = new GeoRouter({ regions, database: GeoDatabase.fromBuffer(writeMmdb({ networks: dbipNetworks() })) });
    const migrator = newMigrator(router);
    await put('berliner', 'ru-central');
    await put('muscovite', 'ru-central');
    migrator.register({ id: 'berliner', region: 'ru-central', metadata: { clientIp: '85.214.1.1' } });
    migrator.register({ id: 'muscovite', region: 'ru-central', metadata: { clientIp: '95.24.1.1' } });
    const result = await migrator.evacuate('ru-central', { residency: true });
    expect(result.migrated.map((m) => [m.sessionId, m.to])).toEqual([['berliner', 'eu-west']]);
    expect(result.failed).toEqual([{ sessionId: 'muscovite', error: expect.stringContaining('residency does not admit RU') }]);
    expect(await activeIn('berliner')).toEqual(['eu-west']);
    expect(await activeIn('muscovite')).toEqual(['ru-central']);
  });
});

describe('autoEvacuate', () => {
  it('empties a region the monitor declares degraded (a brownout: slow, still answering) by live migration', async () => {
    const migrator = newMigrator();
    for (let i = 0; i < 10; i++) {
      await put(`a${i}`, 'ap-south');
      migrator.register({ id: `a${i}`, region: 'ap-south' });
    }
    const monitor = new HealthMonitor({ regions: provider.regions(), intervalMillis: 300, timeoutMillis: 280, degradedLatencyMillis: 100 });
    const outcome = new Promise<{ migrated: number; failed: number; regionId?: string }>((resolve) => {
      autoEvacuate({ migrator, monitor, to: 'eu-west', onOutcome: resolve });
    });
    monitor.start();
    await provider.slow('ap-south', 150);
    try {
      expect(await outcome).toMatchObject({ trigger: 'region:degraded', action: 'evacuate', regionId: 'ap-south', migrated: 10, failed: 0, lost: 0 });
    } finally {
      await monitor.stop();
    }
    for (let i = 0; i < 10; i++) expect(await activeIn(`a${i}`)).toEqual(['eu-west']);
  });

  it('moves a session when the router breaks its affinity', async () => {
    const router = new GeoRouter({ regions: defineRegions(provider.regions()), database: GeoDatabase.fromBuffer(writeMmdb({ networks: dbipNetworks() })) });
    const migrator = newMigrator(router);
    expect(router.route({ ip: '81.2.69.160', sessionId: 'london-user' }).region).toBe('eu-west');
    await put('london-user', 'eu-west');
    migrator.register({ id: 'london-user', region: 'eu-west', metadata: { clientIp: '81.2.69.160' } });
    const done = new Promise<{ migrated: number }>((resolve) => autoEvacuate({ migrator, router, onOutcome: resolve }));
    router.setDrained('eu-west', true);
    expect(router.route({ ip: '81.2.69.160', sessionId: 'london-user' }).region).toBe('ru-central');
    expect(await done).toMatchObject({ migrated: 1 });
    expect(await activeIn('london-user')).toEqual(['ru-central']);
  });
});

describe('evacuate drains for its duration', () => {
  it('undrains the region when the evacuation ends: a later route lands there again (keepDrained keeps it out)', async () => {
    const router = new GeoRouter({ regions: defineRegions(provider.regions()), database: GeoDatabase.fromBuffer(writeMmdb({ networks: dbipNetworks() })) });
    const migrator = newMigrator(router);
    await put('londoner', 'eu-west');
    migrator.register({ id: 'londoner', region: 'eu-west', metadata: { clientIp: '81.2.69.160' } });
    const during: string[] = [];
    migrator.on('session:migrating', () => during.push(router.route({ ip: '81.2.69.160' }).region));
    const result = await migrator.evacuate('eu-west');
    expect(result.migrated.map((m) => m.to)).toEqual(['ru-central']);
    expect(during).toEqual(['ru-central']);
    expect(router.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
    expect(await activeIn('londoner')).toEqual(['ru-central']);

    await migrator.evacuate('ru-central', { keepDrained: true });
    expect(router.route({ ip: '81.2.69.160' }).region).toBe('eu-west');
    expect(await activeIn('londoner')).toEqual(['eu-west']);
    expect(router.route({ ip: '95.24.1.1' }).region).not.toBe('ru-central');
  });
});
