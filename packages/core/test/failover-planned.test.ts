// Planned failover, dry run, failback and drills on virtual time.
import { CrossRegionSync, FailoverManager, ManualClock, MemoryLeaseStore, MemoryReplicaStore, MeridianError, type FailoverManagerOptions, type FailoverProgress } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { collectEvents, faultyReplicaStore, seedRegions, settle, startHealthHarness, type HealthHarness } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REGIONS = seedRegions(3);
const FAIL = { kind: 'status', status: 500 } as const;

let clock: ManualClock;
let harness: HealthHarness;
let provider: LocalProvider;
let manager: FailoverManager | undefined;

beforeEach(async () => {
  clock = new ManualClock(1_700_000_000_000);
  harness = await startHealthHarness(REGIONS.map((r) => r.id), clock, { intervalMillis: 1000 });
  provider = createLocalProvider({ regions: REGIONS });
});

afterEach(async () => {
  await manager?.stop();
  manager = undefined;
  await harness.close();
  await provider.stop();
});

async function start(options: Partial<FailoverManagerOptions> = {}): Promise<FailoverManager> {
  manager = new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 100 })), monitor: harness.monitor, provider, clock, drainMillis: 5_000, ...options });
  await manager.start();
  await harness.tick();
  return manager;
}

/**
 * Moves virtual time one probe interval at a time (waiting for every probe, so
 * health never times out because the clock outran real I/O) until `promise` settles.
 */
async function drive<T>(promise: PromiseLike<T>, maxTicks = 200): Promise<T> {
  let settled = false;
  const p = Promise.resolve(promise).finally(() => (settled = true));
  p.catch(() => undefined);
  await settle();
  for (let i = 0; i < maxTicks && !settled; i++) {
    await harness.tick();
    await settle();
  }
  return p;
}

describe('planned failover', () => {
  it('runs verify → sync → shift → verify routing → drain, reporting each step', async () => {
    const m = await start({ failback: { holdDownMillis: 10_000 } });
    const op = m.failover({ to: 'eu-west', drain: true, reason: 'maintenance' });
    const progress: FailoverProgress[] = [];
    op.onProgress((p) => progress.push(p));
    const report = await drive(op);
    expect(report).toMatchObject({ kind: 'planned', from: ['us-east'], to: 'eu-west', reason: 'maintenance', outcome: 'completed' });
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['verify-target', 'completed'],
      ['sync', 'skipped'],
      ['shift-traffic', 'completed'],
      ['verify-routing', 'completed'],
      ['drain', 'completed'],
    ]);
    expect(report.steps.at(-1)!.finishedAt! - report.steps.at(-1)!.startedAt).toBe(5_000);
    expect(progress.filter((p) => p.step.status === 'completed').map((p) => p.step.name)).toEqual(['verify-target', 'shift-traffic', 'verify-routing', 'drain']);
    expect(provider.traffic()).toEqual({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 });
    // A planned failover sticks: the healthy home does not pull traffic back by itself.
    await harness.ticks(30);
    expect(provider.traffic()!['eu-west']).toBe(100);
  });

  it('refuses an unknown region, an unhealthy target (unless forced) and a second failover while one runs', async () => {
    const m = await start();
    expect(() => m.failover({ to: 'mars' })).toThrow(expect.objectContaining({ code: 'REGION_NOT_FOUND' }));
    harness.set('ap-south', FAIL);
    await harness.ticks(3);
    expect(() => m.failover({ to: 'ap-south' })).toThrow(expect.objectContaining({ code: 'REGION_UNAVAILABLE', message: expect.stringContaining('force: true') }));
    const first = m.failover({ to: 'eu-west', drain: true });
    expect(() => m.failover({ to: 'us-east' })).toThrow(expect.objectContaining({ code: 'FAILOVER_IN_PROGRESS' }));
    await drive(first);
  });

  it('a failing step rolls back the steps done and says which failed', async () => {
    const m = await start();
    harness.set('ap-south', FAIL);
    await harness.ticks(3);
    const failed = collectEvents(m, 'failover:failed');
    const error = await drive(m.failover({ to: 'ap-south', force: true })).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'FAILOVER_FAILED')).toBe(true);
    const report = (error as MeridianError).details.report as { failedStep: string; steps: Array<{ name: string; status: string }> };
    expect(report.failedStep).toBe('verify-routing');
    expect(report.steps.map((s) => [s.name, s.status])).toEqual([
      ['verify-target', 'completed'],
      ['sync', 'skipped'],
      ['shift-traffic', 'rolled-back'],
      ['verify-routing', 'failed'],
    ]);
    expect(failed.events).toHaveLength(1);
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
  });

  it('cancel during drain rolls traffic back', async () => {
    const m = await start();
    const op = m.failover({ to: 'eu-west', drain: true });
    await settle();
    await harness.tick();
    expect(provider.traffic()!['eu-west']).toBe(100);
    op.cancel('operator changed their mind');
    const error = await drive(op).catch((e: unknown) => e);
    expect((error as MeridianError).message).toContain('was cancelled');
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    expect(m.status().lastFailover?.outcome).toBe('cancelled');
  });

  it('waits for replication lag of a real CrossRegionSync, and gives up after syncTimeoutMillis', async () => {
    const stores = REGIONS.map(() => new MemoryReplicaStore());
    const links = stores.map((st, i) => faultyReplicaStore(st, REGIONS[i]!.id));
    const syncer = new CrossRegionSync({ regions: REGIONS.map((r, i) => ({ id: r.id, store: links[i]! })), clock, retry: { initialDelayMillis: 100, maxDelayMillis: 500, jitterFraction: 0 } });
    await syncer.write('us-east', 'order:1', { total: 10 });
    await drive(syncer.syncNow());
    links[1]!.partition(); // eu-west cannot be reached: its lag only grows
    await syncer.write('us-east', 'order:2', { total: 20 });
    await drive(syncer.syncNow());
    await harness.ticks(3);
    const m = await start({ syncer, syncTimeoutMillis: 3_000, maxSyncLagMillis: 1_000 });
    expect(m.plan({ to: 'eu-west' }).checks.find((c) => c.name === 'sync-lag')).toMatchObject({ ok: false });
    const error = await drive(m.failover({ to: 'eu-west' })).catch((e: unknown) => e);
    expect((error as MeridianError).message).toMatch(/failed at step "sync".*stayed above 1000 ms for 3000 ms/);
    expect(provider.traffic()!['us-east']).toBe(100);
    links[1]!.heal();
    const report = await drive(m.failover({ to: 'eu-west' }));
    expect(report.steps.find((s) => s.name === 'sync')).toMatchObject({ status: 'completed' });
    expect((await stores[1]!.getMany(['order:2']))[0]!.value).toEqual({ total: 20 }); // the data moved before the traffic did
    await syncer.shutdown();
  });
});

describe('dry run', () => {
  it('reports steps, weights and failing checks, and changes nothing', async () => {
    const m = await start();
    harness.set('ap-south', FAIL);
    await harness.ticks(3);
    const plan = m.plan({ to: 'ap-south' });
    expect(plan).toMatchObject({
      to: 'ap-south',
      from: ['us-east'],
      steps: ['verify-target', 'sync', 'shift-traffic', 'verify-routing', 'drain'],
      weightsBefore: { 'us-east': 100, 'eu-west': 0, 'ap-south': 0 },
      weightsAfter: { 'us-east': 0, 'eu-west': 0, 'ap-south': 100 },
      wouldSucceed: false,
    });
    expect(plan.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['target-healthy']);
    expect(m.plan({ to: 'eu-west' }).wouldSucceed).toBe(true);
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    expect(m.status().history).toEqual([]);
  });
});

describe('failback', () => {
  it('waits for the home region to be healthy, then moves traffic back', async () => {
    const m = await start({ failback: { automatic: false } });
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(provider.traffic()!['eu-west']).toBe(100);
    expect(() => m.failback()).toThrow(expect.objectContaining({ code: 'REGION_UNAVAILABLE' }));
    expect(() => m.failback({ verifySync: true })).toThrow(/needs a syncer/);
    const op = m.failback({ waitForHealth: true });
    await harness.ticks(2);
    harness.set('us-east', { kind: 'ok' });
    await harness.ticks(2);
    const report = await drive(op);
    expect(report).toMatchObject({ kind: 'failback', to: 'us-east', outcome: 'completed' });
    expect(report.steps[0]).toMatchObject({ name: 'wait-for-health', status: 'completed', detail: 'us-east became healthy' });
    expect(provider.traffic()!['us-east']).toBe(100);
  });
});

describe('drills', () => {
  it('fails over for the duration, checks the target, and rolls back on its own', async () => {
    const m = await start();
    const completed = collectEvents(m, 'drill:completed');
    const op = m.drill({ to: 'ap-south', durationMillis: 10_000 });
    await settle();
    expect(provider.traffic()!['ap-south']).toBe(100);
    const report = await drive(op);
    expect(report).toMatchObject({ kind: 'drill', to: 'ap-south', outcome: 'completed', rolledBack: true, targetServed: true, heldMillis: 10_000 });
    expect(report.abortedEarly).toBeUndefined();
    expect(report.steps.map((s) => s.name)).toEqual(['verify-target', 'shift-traffic', 'verify-routing', 'hold', 'verify-served', 'rollback']);
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    expect(completed.events).toHaveLength(1);
  });

  it('stops early and rolls back when the target turns unhealthy', async () => {
    const m = await start();
    const op = m.drill({ to: 'eu-west', durationMillis: 60_000 });
    await settle();
    harness.set('eu-west', FAIL);
    await harness.ticks(3);
    const report = await drive(op);
    expect(report.abortedEarly).toMatch(/eu-west turned unhealthy/);
    expect(report.heldMillis).toBeLessThan(60_000);
    expect(report.rolledBack).toBe(true);
    expect(provider.traffic()!['us-east']).toBe(100);
  });

  it('refuses a bad duration and an unhealthy target', async () => {
    const m = await start();
    expect(() => m.drill({ to: 'eu-west', durationMillis: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    harness.set('eu-west', FAIL);
    await harness.ticks(3);
    expect(() => m.drill({ to: 'eu-west', durationMillis: 1000 })).toThrow(expect.objectContaining({ code: 'REGION_UNAVAILABLE' }));
  });
});

describe('options', () => {
  it('refuses bad options naming the path', () => {
    expect(() => new FailoverManager({ regions: [], monitor: harness.monitor, provider })).toThrow(/regions: at least one region/);
    expect(() => new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 1 })), monitor: harness.monitor, provider, mode: 'active-everything' as never })).toThrow(/mode/);
    expect(() => new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 1 })), monitor: {} as never, provider })).toThrow(/monitor: must be a HealthMonitor/);
    expect(() => new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 1 })), monitor: harness.monitor, provider, leaseTtlMillis: 1000, leaseRenewMillis: 1000 })).toThrow(/leaseRenewMillis/);
  });
});

describe('lifecycle', () => {
  const options = (leaseStore: MemoryLeaseStore, holderId: string): FailoverManagerOptions => ({
    regions: REGIONS.map((r) => ({ ...r, weight: 100 })),
    monitor: harness.monitor,
    provider,
    clock,
    leaseStore,
    holderId,
  });

  it('[Symbol.asyncDispose]() closes it: the lease is released and it no longer acts; close() again is a no-op', async () => {
    const store = new MemoryLeaseStore({ clock });
    const m = new FailoverManager(options(store, 'first'));
    await m.start();
    expect(m.isLeader).toBe(true);
    await m[Symbol.asyncDispose]();
    expect(m.isLeader).toBe(false);
    expect(() => m.failover({ to: 'eu-west' })).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
    await m.close();
    await m.stop(); // the deprecated alias, still idempotent
    const next = new FailoverManager(options(store, 'second'));
    await next.start();
    expect(next.isLeader).toBe(true); // released at once, not after the TTL
    await next.close();
  });

  it('`await using` closes it at the end of the block', async () => {
    const store = new MemoryLeaseStore({ clock });
    let outer: FailoverManager | undefined;
    {
      await using m = new FailoverManager(options(store, 'scoped'));
      outer = m;
      await m.start();
      expect(m.isLeader).toBe(true);
    }
    expect(outer.isLeader).toBe(false);
    expect(() => outer!.failback()).toThrow(expect.objectContaining({ code: 'SHUT_DOWN' }));
  });
});
