// What each core engine records through the Metrics interface, on virtual time,
// read back from MemoryMetrics (which refuses what prom-client refuses).
import {
  FailoverManager,
  ManualClock,
  MemoryMetrics,
  MultiRegionDeployer,
  REGION_HEALTH_VALUE,
  type DeployResult,
  type DeploySpec,
  type RegionProvider,
  type TrafficWeights,
} from '@meridian/core';
import { createLocalProvider, type LocalProvider } from '@meridian/providers-local';
import { meridianErrorOf, seedRegions, settle, startHealthHarness, type HealthHarness } from '@meridian/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { syncFixture, type SyncFixture } from './sync-fixture.js';

const REGIONS = seedRegions(3);

describe('HealthMonitor and FailoverManager metrics', () => {
  let harness: HealthHarness | undefined;
  let provider: LocalProvider | undefined;
  let manager: FailoverManager | undefined;
  afterEach(async () => {
    await manager?.stop();
    await harness?.close();
    await provider?.stop();
  });

  it('health per region (1, 0 after a kill), probe durations by outcome, the failover and the new weights', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const metrics = new MemoryMetrics();
    harness = await startHealthHarness(REGIONS.map((r) => r.id), clock, { intervalMillis: 1000, failuresBeforeUnhealthy: 3, metrics });
    expect(metrics.value('meridian_region_health', { region: 'us-east' })).toBe(REGION_HEALTH_VALUE.unknown);
    provider = createLocalProvider({ regions: REGIONS });
    manager = new FailoverManager({ regions: REGIONS.map((r) => ({ ...r, weight: 100 })), monitor: harness.monitor, provider, clock, metrics });
    await manager.start();
    await harness.ticks(2);
    await settle();
    expect(metrics.value('meridian_region_health', { region: 'us-east' })).toBe(1);
    expect(metrics.value('meridian_failovers_total', { kind: 'automatic', outcome: 'completed' })).toBe(0);
    expect(metrics.value('meridian_traffic_weight', { region: 'us-east' })).toBe(100);
    expect(metrics.value('meridian_traffic_weight', { region: 'eu-west' })).toBe(0);
    // Virtual time: every probe took 0 s, so it lands in the first bucket.
    expect(metrics.distribution('meridian_probe_duration_seconds', { region: 'us-east', outcome: 'ok' })).toMatchObject({ count: 2, sum: 0 });

    harness.set('us-east', { kind: 'status', status: 500 });
    await harness.ticks(3);
    await settle();
    expect(metrics.value('meridian_region_health', { region: 'us-east' })).toBe(0);
    expect(metrics.distribution('meridian_probe_duration_seconds', { region: 'us-east', outcome: 'failed' })?.count).toBe(3);
    expect(metrics.value('meridian_failovers_total', { kind: 'automatic', outcome: 'completed' })).toBe(1);
    expect(metrics.value('meridian_traffic_weight', { region: 'us-east' })).toBe(0);
    expect(metrics.value('meridian_traffic_weight', { region: 'eu-west' })).toBe(100);

    harness.monitor.remove('ap-south');
    expect(metrics.value('meridian_region_health', { region: 'ap-south' })).toBe(-1);
  });

  it('a metrics option that is not a Metrics is INVALID_CONFIG naming the path', async () => {
    const clock = new ManualClock(0);
    harness = await startHealthHarness(['us-east'], clock);
    const error = meridianErrorOf(() => new FailoverManager({ regions: [{ id: 'us-east', priority: 0, weight: 1 }], monitor: harness!.monitor, provider: { setTraffic: async () => undefined }, metrics: {} as never }));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(/metrics: must be a Metrics/);
  });
});

describe('CrossRegionSync metrics', () => {
  let fx: SyncFixture | undefined;
  afterEach(async () => {
    await fx?.sync.shutdown();
  });

  it('bytes per direction, lag per region after each round, conflicts by policy', async () => {
    const metrics = new MemoryMetrics();
    fx = syncFixture(2, { metrics });
    expect(metrics.value('meridian_sync_bytes_total', { from: 'us-east', to: 'eu-west' })).toBe(0);
    expect(metrics.value('meridian_conflicts_total', { policy: 'latest-wins' })).toBe(0);
    await fx.writers[0]!.put('cart:1', { items: 3 });
    await fx.clock.advanceAsync(10);
    await fx.writers[1]!.put('cart:1', { items: 4 });
    await fx.converge();
    const bytes = metrics.value('meridian_sync_bytes_total', { from: 'us-east', to: 'eu-west' })!;
    expect(bytes).toBeGreaterThan(0);
    const pairs = fx.sync.status().pairs;
    expect(bytes).toBe(pairs.find((p) => p.from === 'us-east' && p.to === 'eu-west')!.bytesSent);
    expect(metrics.value('meridian_sync_lag_seconds', { region: 'eu-west' })).toBe(0);
    expect(metrics.value('meridian_conflicts_total', { policy: 'latest-wins' })).toBe(fx.sync.status().conflicts);
    expect(fx.sync.status().conflicts).toBeGreaterThan(0);
  });

  it('lag in seconds while a region is cut off', async () => {
    const metrics = new MemoryMetrics();
    fx = syncFixture(2, { metrics });
    await fx.drive(fx.sync.syncNow());
    fx.links[1]!.partition();
    await fx.writers[0]!.put('k', 1);
    for (let i = 0; i < 10; i++) {
      await fx.drive(fx.sync.syncNow());
      await fx.clock.advanceAsync(500);
    }
    const lag = fx.sync.status().regions.find((r) => r.regionId === 'eu-west')!.lagMillis;
    expect(lag).toBeGreaterThan(1000);
    expect(metrics.value('meridian_sync_lag_seconds', { region: 'eu-west' })).toBeGreaterThan(1);
  });
});

describe('MultiRegionDeployer metrics', () => {
  it('counts deployments by outcome', async () => {
    const failing = new Set(['ap-south']);
    const provider: RegionProvider = {
      name: 'fake',
      async deploy(spec: DeploySpec): Promise<DeployResult> {
        const regionId = spec.regions[0]!;
        return { regions: [failing.has(regionId) ? { regionId, endpoint: '', state: 'failed', error: 'quota exceeded' } : { regionId, endpoint: `https://${regionId}.test`, state: 'running' }] };
      },
      async destroy() {},
      async status() {
        return [];
      },
      async setTraffic(_weights: TrafficWeights) {},
    } as unknown as RegionProvider;
    const metrics = new MemoryMetrics();
    const deployer = new MultiRegionDeployer({ provider, metrics });
    await deployer.deploy({ spec: { name: 'shop', regions: ['us-east', 'eu-west'] } }).done;
    await deployer.deploy({ spec: { name: 'shop', regions: ['us-east', 'ap-south'] } }).done;
    expect(metrics.value('meridian_deploys_total', { outcome: 'completed' })).toBe(1);
    expect(metrics.value('meridian_deploys_total', { outcome: 'partial' })).toBe(1);
  });
});
