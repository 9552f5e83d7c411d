// MultiRegionDeployer against a slowed fake provider (timing, cancel, resume,
// rollback) and against the real local provider (processes that answer).
import {
  ManualClock,
  MeridianError,
  MultiRegionDeployer,
  sleep,
  type DeployOptions,
  type DeployResult,
  type DeploySpec,
  type DeployState,
  type RegionProvider,
  type RegionStatus,
  type TrafficWeights,
} from '@meridian/core';
import { createLocalProvider } from '@meridian/providers-local';
import { collectEvents, findLeakedProcesses, seedRegions } from '@meridian/testkit';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';

/**
 * A provider whose regions take `delayMillis` to create, can be told to fail
 * or to never finish, honours AbortSignal, and keeps a ledger of what exists,
 * so a test can check nothing is left half-made and unreported.
 */
class SlowProvider implements RegionProvider {
  readonly name = 'slow-fake';
  readonly live = new Set<string>();
  readonly deployCalls: string[] = [];
  readonly destroyed: string[] = [];
  readonly specs: DeploySpec[] = [];
  weights: TrafficWeights | undefined;
  fencingTokens: Array<number | undefined> = [];
  constructor(
    readonly clock: ManualClock,
    readonly delayMillis: Record<string, number>,
    readonly failing = new Set<string>(),
  ) {}

  async deploy(spec: DeploySpec, options: DeployOptions = {}): Promise<DeployResult> {
    const regionId = spec.regions[0]!;
    this.deployCalls.push(regionId);
    this.specs.push(spec);
    options.onProgress?.({ regionId, step: 'create', status: 'started' });
    this.live.add(regionId); // created at once, finished after the delay: what a cancel must clean up
    await sleep(this.clock, this.delayMillis[regionId] ?? 10, options.signal);
    if (this.failing.has(regionId)) {
      options.onProgress?.({ regionId, step: 'create', status: 'failed', message: 'quota exceeded' });
      return { regions: [{ regionId, endpoint: '', state: 'failed', error: 'quota exceeded' }] };
    }
    options.onProgress?.({ regionId, step: 'create', status: 'completed' });
    return { regions: [{ regionId, endpoint: `https://${regionId}.example.test`, state: 'running' }] };
  }

  async destroy(regionIds: string[] = [...this.live]): Promise<void> {
    for (const id of regionIds) {
      this.live.delete(id);
      this.destroyed.push(id);
    }
  }

  async status(regionId: string): Promise<RegionStatus> {
    return { regionId, state: this.live.has(regionId) ? 'running' : 'not-deployed' };
  }

  async setTraffic(weights: TrafficWeights, options: { fencingToken?: number } = {}): Promise<void> {
    this.weights = weights;
    this.fencingTokens.push(options.fencingToken);
  }
}

const SIX = ['us-east', 'us-west', 'eu-west', 'eu-north', 'ap-south', 'ap-east'];

/** Settles `promise` while moving virtual time 10 ms at a time (bounded). */
async function drive<T>(clock: ManualClock, promise: PromiseLike<T>, maxSteps = 20_000): Promise<T> {
  let settled = false;
  const p = Promise.resolve(promise).finally(() => (settled = true));
  p.catch(() => undefined);
  for (let i = 0; i < maxSteps && !settled; i++) await clock.advanceAsync(10);
  return p;
}
const spec = (regions: string[], extra: Partial<DeploySpec> = {}): DeploySpec => ({ name: 'checkout', regions, ...extra });

describe('MultiRegionDeployer', () => {
  it('deploys regions in parallel, reports per-region progress and the speedup over a serial deploy', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, Object.fromEntries(SIX.map((id) => [id, 150])));
    const deployer = new MultiRegionDeployer({ provider, concurrency: 6, clock });
    const completed = collectEvents(deployer, 'deploy:region-completed').events;
    const progress = collectEvents(deployer, 'deploy:progress').events;
    const report = await drive(
      clock,
      deployer.deploy({
        spec: spec(SIX, { env: { LOG_LEVEL: 'info' }, overrides: { 'eu-west': { timezone: 'Europe/Dublin', locale: 'en-IE', size: 'large', replicas: 3 } } }),
      }),
    );
    expect(report.outcome).toBe('completed');
    expect(completed.map((e) => e.regionId).sort()).toEqual([...SIX].sort());
    expect(progress.filter((p) => p.step.status === 'completed')).toHaveLength(6);
    expect(progress.at(-1)).toMatchObject({ completed: 5, total: 6 }); // counted before the last region settles
    // Virtual time: six 150 ms regions side by side take 150 ms instead of 900.
    expect(report).toMatchObject({ serialMillis: 900, durationMillis: 150, speedup: 6 });
    expect(report.weights).toEqual(Object.fromEntries(SIX.map((id) => [id, 100])));
    const eu = report.regions.find((r) => r.regionId === 'eu-west')!;
    expect(eu.config).toEqual({ regionId: 'eu-west', env: { LOG_LEVEL: 'info', REGION: 'eu-west', TZ: 'Europe/Dublin', LOCALE: 'en-IE' }, replicas: 3, size: 'large', timezone: 'Europe/Dublin', locale: 'en-IE' });
    // The provider saw each region's own configuration.
    expect(provider.specs.find((s) => s.regions[0] === 'eu-west')!.overrides!['eu-west']).toMatchObject({ size: 'large', replicas: 3, timezone: 'Europe/Dublin' });
    expect(provider.specs.find((s) => s.regions[0] === 'us-east')!.env).toEqual({ LOG_LEVEL: 'info', REGION: 'us-east' });
  });

  it('respects concurrency: 6 regions 2 at a time take three waves', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, Object.fromEntries(SIX.map((id) => [id, 100])));
    const report = await drive(clock, new MultiRegionDeployer({ provider, concurrency: 2, clock }).deploy({ spec: spec(SIX) }));
    expect(report).toMatchObject({ serialMillis: 600, durationMillis: 300, speedup: 2 });
  });

  it('cancellation reaches every provider call; every region ends with a status and nothing half-made is left', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, { 'us-east': 20, 'eu-west': 5_000, 'ap-south': 5_000, 'us-west': 5_000 });
    const deployer = new MultiRegionDeployer({ provider, concurrency: 2, clock });
    const op = deployer.deploy({ spec: spec(['us-east', 'eu-west', 'ap-south', 'us-west']) });
    await drive(clock, new Promise<void>((resolve) => deployer.once('deploy:region-completed', () => resolve())));
    op.cancel('operator pressed Ctrl-C');
    const error = await drive(clock, op).catch((e: unknown) => e);
    expect(MeridianError.hasCode(error, 'ABORTED')).toBe(true);
    const report = (error as MeridianError).details['report'] as { regions: Array<{ regionId: string; status: string }> };
    expect(Object.fromEntries(report.regions.map((r) => [r.regionId, r.status]))).toEqual({ 'us-east': 'completed', 'eu-west': 'cancelled', 'ap-south': 'cancelled', 'us-west': 'cancelled' });
    expect(provider.deployCalls.sort()).toEqual(['ap-south', 'eu-west', 'us-east']); // two at a time: us-west never started
    expect([...provider.live]).toEqual(['us-east']); // the half-created ones were cleaned up
    expect(provider.weights).toBeUndefined(); // a cancelled deployment does not move traffic
  });

  it('resumes from a serialized state after a crash without redoing finished regions', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, { 'us-east': 10, 'eu-west': 10, 'ap-south': 60_000 });
    const first = new MultiRegionDeployer({ provider, clock });
    const op = first.deploy({ spec: spec(['us-east', 'eu-west', 'ap-south']), strategy: 'active-passive', primary: 'eu-west' });
    const done = new Set<string>();
    await drive(
      clock,
      new Promise<void>((resolve) =>
        first.on('deploy:region-completed', (e) => {
          done.add(e.regionId);
          if (done.size === 2) resolve();
        }),
      ),
    );
    const saved = JSON.stringify(op.state()); // what a host persists
    op.cancel('process crashed'); // stands in for the crash: this run is gone
    await drive(clock, op).catch(() => undefined);

    provider.delayMillis['ap-south'] = 10;
    const calls = provider.deployCalls.length;
    const report = await drive(clock, new MultiRegionDeployer({ provider, clock }).resume(JSON.parse(saved) as DeployState));
    expect(report.outcome).toBe('completed');
    expect(report.resumed.sort()).toEqual(['eu-west', 'us-east']);
    expect(provider.deployCalls.slice(calls)).toEqual(['ap-south']);
    expect(report.weights).toEqual({ 'us-east': 0, 'eu-west': 100, 'ap-south': 0 });

    // Resuming a finished deployment deploys nothing and reports no gain.
    const again = await drive(clock, new MultiRegionDeployer({ provider, clock }).resume(JSON.parse(JSON.stringify({ ...op.state(), regions: report.regions })) as DeployState));
    expect(again).toMatchObject({ outcome: 'completed', speedup: 1, serialMillis: 0 });
    expect(provider.deployCalls.slice(calls)).toEqual(['ap-south']);
  });

  it('passes the caller\'s fencing token to setTraffic', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, {});
    await drive(clock, new MultiRegionDeployer({ provider, clock }).deploy({ spec: spec(['us-east']), fencingToken: 7 }));
    expect(provider.fencingTokens).toEqual([7]);
  });

  it('rollback removes what was created when a region fails; continue keeps the rest (partial)', async () => {
    const clock = new ManualClock(0);
    const provider = new SlowProvider(clock, { 'us-east': 10, 'eu-west': 10, 'ap-south': 50 }, new Set(['ap-south']));
    const deployer = new MultiRegionDeployer({ provider, clock });
    const failed = collectEvents(deployer, 'deploy:region-failed').events;
    const rolled = await drive(clock, deployer.deploy({ spec: spec(['us-east', 'eu-west', 'ap-south']), onFailure: 'rollback' }));
    expect(rolled.outcome).toBe('rolled-back');
    expect(rolled.regions.map((r) => r.status)).toEqual(['rolled-back', 'rolled-back', 'rolled-back']);
    expect(rolled.regions[2]!.error).toBe('quota exceeded');
    expect([...provider.live]).toEqual([]);
    expect(failed).toEqual([{ id: rolled.id, regionId: 'ap-south', error: 'quota exceeded' }]);

    const kept = await drive(clock, deployer.deploy({ spec: spec(['us-east', 'eu-west', 'ap-south']) }));
    expect(kept.outcome).toBe('partial');
    expect(kept.weights).toEqual({ 'us-east': 100, 'eu-west': 100, 'ap-south': 0 });
    expect([...provider.live].sort()).toEqual(['ap-south', 'eu-west', 'us-east']); // the failed one is the provider's to report
  });

  it('names what is wrong in a request and deploys nothing', () => {
    const provider = new SlowProvider(new ManualClock(0), {});
    const deployer = new MultiRegionDeployer({ provider });
    const bad = (request: Parameters<typeof deployer.deploy>[0]): MeridianError => {
      try {
        deployer.deploy(request);
      } catch (error) {
        return error as MeridianError;
      }
      throw new Error('expected an error');
    };
    expect(bad({ spec: spec(['us-east'], { overrides: { 'mars-1': { replicas: 2 } } }) }).message).toContain('overrides.mars-1: not one of the spec\'s regions');
    expect(bad({ spec: spec(['us-east'], { overrides: { 'us-east': { timezone: 'Mars/Olympus' } } }) }).message).toContain('overrides.us-east.timezone: must be an IANA time zone');
    expect(bad({ spec: spec(['us-east', 'us-east']) }).message).toContain('region ids must be unique');
    expect(bad({ spec: spec(['us-east']), strategy: 'round-robin' as never }).code).toBe('INVALID_CONFIG');
    expect(bad({ spec: spec(['us-east']), primary: 'eu-west' }).message).toContain('primary: not one of spec.regions');
    expect(() => deployer.resume({ version: 2 } as never)).toThrow(/not a resumable deployment state/);
    expect(provider.deployCalls).toEqual([]);
  });
});

describe('MultiRegionDeployer on the local provider', () => {
  it('starts real region processes in parallel, with REGION in their environment, and sets active-passive weights', async () => {
    const regions = seedRegions(3);
    const provider = createLocalProvider({ regions });
    try {
      const deployer = new MultiRegionDeployer({ provider });
      const report = await deployer.deploy({ spec: { name: 'web', regions: regions.map((r) => r.id) }, strategy: 'active-passive' });
      expect(report.outcome).toBe('completed');
      for (const region of report.regions) {
        const res = await request(`${region.endpoint}/health`);
        expect(await res.body.json()).toMatchObject({ status: 'ok', region: region.regionId });
      }
      expect(provider.traffic()).toEqual({ [regions[0]!.id]: 100, [regions[1]!.id]: 0, [regions[2]!.id]: 0 });
    } finally {
      const pids = provider.pids();
      await provider.stop();
      expect(await findLeakedProcesses(pids)).toEqual([]);
    }
  });
});
