// FailoverManager on virtual time: health from a real HealthMonitor probing
// scripted HTTP servers, traffic shifted through a real LocalProvider.
import { FailoverManager, ManualClock, MemoryLeaseStore, type FailoverManagerOptions, type FailoverReport, type NoHealthyRegionEvent } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { collectEvents, seedRegions, settle, startHealthHarness, type HealthHarness } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REGIONS = seedRegions(3);
const FAIL = { kind: 'status', status: 500 } as const;
const OK = { kind: 'ok' } as const;

let clock: ManualClock;
let harness: HealthHarness;
let provider: LocalProvider;
const managers: FailoverManager[] = [];

beforeEach(async () => {
  clock = new ManualClock(1_700_000_000_000);
  harness = await startHealthHarness(REGIONS.map((r) => r.id), clock, { intervalMillis: 1000, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2 });
  provider = createLocalProvider({ regions: REGIONS });
});

afterEach(async () => {
  for (const m of managers.splice(0)) await m.stop();
  await harness.close();
  await provider.stop();
});

async function startManager(options: Partial<FailoverManagerOptions> = {}): Promise<FailoverManager> {
  const manager = new FailoverManager({
    regions: REGIONS.map((r) => ({ ...r, weight: 100 })),
    monitor: harness.monitor,
    provider,
    clock,
    failback: { holdDownMillis: 10_000 },
    ...options,
  });
  managers.push(manager);
  await manager.start();
  await settle();
  return manager;
}

describe('automatic failover', () => {
  it('shifts traffic to the next priority exactly when the primary turns unhealthy', async () => {
    const m = await startManager();
    await harness.tick();
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    const completed = collectEvents(m, 'failover:completed');
    harness.set('us-east', FAIL);
    await harness.ticks(2);
    expect(completed.events).toHaveLength(0);
    expect(provider.traffic()!['us-east']).toBe(100);
    await harness.tick();
    await settle();
    expect(completed.events).toHaveLength(1);
    expect(completed.events[0]).toMatchObject({ kind: 'automatic', from: ['us-east'], to: 'eu-west', reason: 'us-east is unhealthy', outcome: 'completed' });
    expect(provider.traffic()).toEqual({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 });
    expect(m.status()).toMatchObject({ active: ['eu-west'], home: 'us-east', isLeader: true });
    expect(m.status().lastFailover?.kind).toBe('automatic');
  });

  it('skips an unhealthy secondary and goes to the next healthy priority', async () => {
    await startManager();
    await harness.tick();
    harness.set('eu-west', FAIL);
    await harness.ticks(3);
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(provider.traffic()).toEqual({ 'us-east': 0, 'eu-west': 0, 'ap-south': 100 });
  });

  it('keeps the last good weights when no region is healthy (panic mode)', async () => {
    const m = await startManager();
    await harness.tick();
    const none = collectEvents(m, 'failover:no-healthy-region');
    harness.set('eu-west', FAIL);
    harness.set('ap-south', FAIL);
    await harness.ticks(3);
    harness.set('us-east', FAIL);
    await harness.ticks(4);
    await settle();
    expect(none.events).toHaveLength(1);
    expect((none.events[0] as NoHealthyRegionEvent).weights).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
  });
});

describe('automatic failback', () => {
  it('fails back only after the hold-down, counted from when the primary is healthy again', async () => {
    const m = await startManager();
    await harness.tick();
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(m.status().active).toEqual(['eu-west']);
    const scheduled = collectEvents(m, 'failback:scheduled');
    harness.set('us-east', OK);
    await harness.ticks(2); // successesBeforeHealthy = 2
    expect(scheduled.events).toHaveLength(1);
    const healthyAt = clock.now();
    expect(scheduled.events[0]).toMatchObject({ regionId: 'us-east', at: healthyAt + 10_000 });
    await harness.ticks(9); // 9 s later: still held down
    expect(provider.traffic()!['eu-west']).toBe(100);
    await harness.tick(); // 10 s: hold-down over
    await settle();
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    expect(m.status().lastFailover).toMatchObject({ kind: 'failback', to: 'us-east', outcome: 'completed' });
  });

  it('a primary flapping during hold-down never regains traffic', async () => {
    const m = await startManager();
    await harness.tick();
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    const cancelled = collectEvents(m, 'failback:cancelled');
    const completed = collectEvents(m, 'failover:completed');
    for (let cycle = 0; cycle < 4; cycle++) {
      harness.set('us-east', OK);
      await harness.ticks(6); // healthy for 4-5 s: under the 10 s hold-down
      harness.set('us-east', FAIL);
      await harness.ticks(3);
    }
    await harness.ticks(20);
    expect(cancelled.events).toHaveLength(4);
    expect(completed.events).toHaveLength(0);
    expect(provider.traffic()!['eu-west']).toBe(100);
  });

  it('a failback that must wait again shows when it will next be tried in status().pendingFailbacks', async () => {
    let lagMillis = 60_000; // over failback.maxLagMillis (5 s): the failback has to wait
    const syncer = { status: () => ({ regions: REGIONS.map((r) => ({ regionId: r.id, lagMillis })), conflicts: 0 }), waitForLag: async () => undefined };
    const m = await startManager({ syncer });
    await harness.tick();
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    harness.set('us-east', OK);
    await harness.ticks(2);
    const healthyAt = clock.now();
    expect(m.status().pendingFailbacks).toEqual([{ regionId: 'us-east', at: healthyAt + 10_000 }]);
    await harness.ticks(10); // hold-down over, lag too high: look again in min(holdDown, 5 s)
    await settle();
    expect(provider.traffic()!['eu-west']).toBe(100);
    expect(m.status().pendingFailbacks).toEqual([{ regionId: 'us-east', at: healthyAt + 15_000 }]);
    lagMillis = 100;
    await harness.ticks(5);
    await settle();
    expect(m.status().pendingFailbacks).toEqual([]);
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
  });

  it('can be turned off', async () => {
    const m = await startManager({ failback: { automatic: false } });
    await harness.tick();
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    harness.set('us-east', OK);
    await harness.ticks(30);
    expect(m.status().pendingFailbacks).toEqual([]);
    expect(provider.traffic()!['eu-west']).toBe(100);
  });
});

describe('active-active', () => {
  it('spreads by weight, zeroes an unhealthy region, re-normalises, and restores it after hold-down', async () => {
    const m = await startManager({
      mode: 'active-active',
      regions: [
        { id: 'us-east', priority: 0, weight: 50 },
        { id: 'eu-west', priority: 1, weight: 30 },
        { id: 'ap-south', priority: 2, weight: 20 },
      ],
    });
    await harness.tick();
    expect(provider.traffic()).toEqual({ 'us-east': 50, 'eu-west': 30, 'ap-south': 20 });
    harness.set('eu-west', FAIL);
    await harness.ticks(3);
    await settle();
    const w = provider.traffic()!;
    expect(w['eu-west']).toBe(0);
    expect(w['us-east']).toBeCloseTo(71.43, 2);
    expect(w['ap-south']).toBeCloseTo(28.57, 2);
    harness.set('eu-west', OK);
    await harness.ticks(12);
    await settle();
    expect(provider.traffic()).toEqual({ 'us-east': 50, 'eu-west': 30, 'ap-south': 20 });
    expect(m.status().history.map((r: FailoverReport) => r.kind)).toEqual(['automatic', 'failback']);
  });

  it('reports the regions that receive traffic as a list, like from', async () => {
    const m = await startManager({ mode: 'active-active' });
    await harness.tick();
    const started = collectEvents(m, 'failover:started');
    const completed = collectEvents(m, 'failover:completed');
    harness.set('eu-west', FAIL);
    await harness.ticks(3);
    await settle();
    expect(started.events[0]).toMatchObject({ kind: 'automatic', from: ['us-east', 'eu-west', 'ap-south'], toRegions: ['us-east', 'ap-south'] });
    expect(completed.events[0]).toMatchObject({ kind: 'automatic', from: ['us-east', 'eu-west', 'ap-south'], to: 'us-east,ap-south', toRegions: ['us-east', 'ap-south'] });
    harness.set('eu-west', OK);
    await harness.ticks(12);
    await settle();
    // The automatic failback names the recovered region in `to`; toRegions lists every region with traffic.
    expect(m.status().lastFailover).toMatchObject({ kind: 'failback', to: 'eu-west', toRegions: ['us-east', 'eu-west', 'ap-south'] });
  });
});

describe('leases: only the holder acts', () => {
  it('two managers on one store: exactly one fails over, the other takes over when it stops', async () => {
    const store = new MemoryLeaseStore({ clock });
    const a = await startManager({ leaseStore: store, holderId: 'a' });
    const b = await startManager({ leaseStore: store, holderId: 'b' });
    expect([a.isLeader, b.isLeader]).toEqual([true, false]);
    const aDone = collectEvents(a, 'failover:completed');
    const bDone = collectEvents(b, 'failover:completed');
    const bTraffic = collectEvents(b, 'traffic:changed');
    await harness.tick();
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(aDone.events).toHaveLength(1);
    expect(bDone.events).toHaveLength(0);
    expect(bTraffic.events).toHaveLength(0);
    expect(() => b.failover({ to: 'ap-south' })).toThrow(expect.objectContaining({ code: 'LEASE_HELD' }));

    await a.stop();
    await harness.ticks(5); // b's renew timer (5 s) tries again and wins
    await settle();
    expect(b.isLeader).toBe(true);
    expect(b.status().holder).toBe('b');
    // The new leader starts from health: us-east is still failing, so not back there.
    expect(provider.traffic()!['us-east']).toBe(0);
  });

  it('a leader whose store is unreachable past the TTL stops acting; the other takes over and the stale one is fenced', async () => {
    const store = new MemoryLeaseStore({ clock });
    // a's view of the store: a real store behind a link that can go down.
    let aStoreDown = false;
    const down = (): never => {
      throw new Error('ECONNREFUSED lease store');
    };
    const flaky = {
      acquire: async (...args: Parameters<MemoryLeaseStore['acquire']>) => (aStoreDown ? down() : store.acquire(...args)),
      current: async (name: string) => (aStoreDown ? down() : store.current(name)),
      release: async (...args: Parameters<MemoryLeaseStore['release']>) => (aStoreDown ? down() : store.release(...args)),
      renew: async (...args: Parameters<MemoryLeaseStore['renew']>) => (aStoreDown ? down() : store.renew(...args)),
    };
    const a = await startManager({ leaseStore: flaky, holderId: 'a', leaseTtlMillis: 6_000, leaseRenewMillis: 2_000 });
    const b = await startManager({ leaseStore: store, holderId: 'b', leaseTtlMillis: 6_000, leaseRenewMillis: 2_000 });
    await harness.tick();
    const lost = collectEvents(a, 'lease:lost');
    const aTraffic = collectEvents(a, 'traffic:changed');
    aStoreDown = true;
    await harness.ticks(7);
    await settle();
    expect(lost.events).toHaveLength(1);
    expect(a.isLeader).toBe(false);
    expect(b.isLeader).toBe(true);
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(aTraffic.events).toHaveLength(0);
    expect(provider.traffic()!['eu-west']).toBe(100);
    // Had a believed it still led, its token would be refused by the provider.
    await expect(provider.setTraffic({ 'us-east': 100 }, { fencingToken: 1 })).rejects.toThrow(/fencing token 1 is older/);
  });
});

describe('30% probe loss', () => {
  it('a lossy but alive primary causes zero failovers with default health and failover settings', async () => {
    // Real region processes; 30% of requests to the primary answer 500 (seeded).
    await harness.close();
    const local = createLocalProvider({ regions: REGIONS, seed: 7 });
    try {
      await local.deploy({ name: 'loss', regions: [] });
      await local.failRate('us-east', 0.3);
      let failed = 0;
      for (let i = 0; i < 200; i++) {
        const res = await fetch(`${local.regions()[0]!.endpoint}/health`);
        if (res.status === 500) failed++;
        await res.arrayBuffer();
      }
      expect(failed / 200).toBeGreaterThan(0.2);
      expect(failed / 200).toBeLessThan(0.4);

      // Defaults everywhere, but jitter off so virtual time moves in lock-step.
      const { HealthMonitor } = await import('@meridian/core');
      const monitor = new HealthMonitor({ regions: local.regions(), clock, jitterFraction: 0 });
      const manager = new FailoverManager({ regions: local.regions(), monitor, provider: local, clock });
      managers.push(manager);
      const started = collectEvents(manager, 'failover:started');
      let probes = 0;
      let failedProbes = 0;
      monitor.on('health:probe', (p) => {
        probes++;
        if (!p.ok) failedProbes++;
      });
      monitor.start();
      await manager.start();
      for (let round = 0; round < 200; round++) {
        const target = probes + REGIONS.length;
        clock.advance(round === 0 ? 0 : 30_000);
        while (probes < target) await new Promise((r) => setTimeout(r, 1));
      }
      await settle();
      await monitor.stop();
      expect(probes).toBe(600);
      expect(started.events).toHaveLength(0);
      expect(local.traffic()!['us-east']).toBe(100);
      expect(failedProbes).toBeLessThan(20);
    } finally {
      await local.stop();
      harness = await startHealthHarness(['x'], clock);
    }
  });
});
