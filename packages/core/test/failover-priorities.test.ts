// FailoverManager.setPriorities on virtual time: health from a real HealthMonitor
// probing scripted HTTP servers, traffic shifted through a real LocalProvider.
import { FailoverManager, ManualClock, MeridianError } from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { collectEvents, seedRegions, settle, startHealthHarness, type HealthHarness } from '@meridian/testkit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

const REGIONS = seedRegions(3);
const FAIL = { kind: 'status', status: 500 } as const;

let clock: ManualClock;
let harness: HealthHarness;
let provider: LocalProvider;
let manager: FailoverManager;

beforeEach(async () => {
  clock = new ManualClock(1_700_000_000_000);
  harness = await startHealthHarness(REGIONS.map((r) => r.id), clock, { intervalMillis: 1000, failuresBeforeUnhealthy: 3, successesBeforeHealthy: 2 });
  provider = createLocalProvider({ regions: REGIONS });
  manager = new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 100 })), monitor: harness.monitor, provider, clock, failback: { automatic: false } });
  await manager.start();
  await settle();
  await harness.tick();
});

afterEach(async () => {
  await manager.close();
  await harness.close();
  await provider.stop();
});

function refused(fn: () => unknown): MeridianError {
  try {
    fn();
  } catch (error) {
    if (MeridianError.isInstance(error)) return error;
    throw error;
  }
  throw new Error('not refused');
}

describe('FailoverManager.setPriorities', () => {
  it('the next automatic failover goes to the region now first after home, not the configured one', async () => {
    expect(manager.priorities().map((p) => p.id)).toEqual(['us-east', 'eu-west', 'ap-south']);
    expect(manager.setPriorities({ 'ap-south': 1, 'eu-west': 2 })).toEqual([
      { id: 'us-east', priority: 0 },
      { id: 'ap-south', priority: 1 },
      { id: 'eu-west', priority: 2 },
    ]);
    const completed = collectEvents(manager, 'failover:completed');
    harness.set('us-east', FAIL);
    await harness.ticks(3);
    await settle();
    expect(completed.events[0]).toMatchObject({ kind: 'automatic', to: 'ap-south' });
    expect(provider.traffic()).toEqual({ 'us-east': 0, 'eu-west': 0, 'ap-south': 100 });
  });

  it('a region moved first becomes home: failback goes there, and traffic does not move by itself', async () => {
    manager.setPriorities({ 'eu-west': 0, 'us-east': 5 });
    expect(manager.status().home).toBe('eu-west');
    expect(provider.traffic()).toEqual({ 'us-east': 100, 'eu-west': 0, 'ap-south': 0 });
    const report = await manager.failback();
    expect(report).toMatchObject({ kind: 'failback', to: 'eu-west', outcome: 'completed' });
    expect(provider.traffic()).toEqual({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 });
    // Equal priorities keep configuration order.
    expect(manager.setPriorities({ 'ap-south': 0 }).map((p) => p.id)).toEqual(['eu-west', 'ap-south', 'us-east']);
  });

  it('refuses an unknown region, a bad priority, nothing, and any change while an operation runs; nothing changes', async () => {
    expect(refused(() => manager.setPriorities({ mars: 1 })).code).toBe('REGION_NOT_FOUND');
    expect(refused(() => manager.setPriorities({ 'eu-west': -1 })).code).toBe('INVALID_ARGUMENT');
    expect(refused(() => manager.setPriorities({ 'eu-west': 1.5 })).message).toContain('non-negative integer');
    expect(refused(() => manager.setPriorities({})).code).toBe('INVALID_ARGUMENT');
    const drill = manager.drill({ to: 'eu-west', durationMillis: 60_000 });
    await settle();
    expect(refused(() => manager.setPriorities({ 'ap-south': 1, 'eu-west': 2 })).code).toBe('FAILOVER_IN_PROGRESS');
    drill.cancel('test over');
    await drill.done.catch(() => undefined);
    expect(manager.priorities().map((p) => p.id)).toEqual(['us-east', 'eu-west', 'ap-south']);
  });
});
