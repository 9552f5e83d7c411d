import type { TrafficWeights } from '../contracts/region-provider.js';
import type { Syncer } from '../contracts/syncer.js';
import type { HealthState } from '../health/health-types.js';
import type { FailoverRegion, TrafficShifter } from './failover-options.js';
import { SERVING } from './failover-steps.js';
import { activeRegions, singleRegionWeights } from './weights.js';

/** A check of a dry run. */
export interface PlanCheck {
  /** What was checked. */
  name: string;
  /** Whether it passes now. */
  ok: boolean;
  /** Why. */
  detail: string;
}

/** Result of {@link FailoverManager.plan}: what a failover would do, changing nothing. */
export interface FailoverPlan {
  /** Target region. */
  to: string;
  /** Regions with traffic now. */
  from: string[];
  /** Steps in order. */
  steps: string[];
  /** Weights now. */
  weightsBefore: TrafficWeights;
  /** Weights after. */
  weightsAfter: TrafficWeights;
  /** Checks, failing ones included. */
  checks: PlanCheck[];
  /** True when every check passes. */
  wouldSucceed: boolean;
}

/** What a dry run looks at. */
export interface PlanInput {
  to: string;
  force: boolean;
  regions: readonly FailoverRegion[];
  weights: TrafficWeights;
  state: HealthState;
  holder: string;
  isLeader: boolean;
  /** The running operation, described (`planned planned-…-1`). */
  running: string | undefined;
  syncer: Syncer | undefined;
  maxSyncLagMillis: number;
  shifter: TrafficShifter;
}

/** The steps, weights and checks of a planned failover to `input.to`. */
export function planFailover(input: PlanInput): FailoverPlan {
  const { to, state, isLeader, running, syncer } = input;
  const checks: PlanCheck[] = [
    { name: 'target-known', ok: true, detail: `${to} is a configured region` },
    {
      name: 'target-healthy',
      ok: SERVING.has(state) || input.force,
      detail: SERVING.has(state) ? `${to} is ${state}` : `${to} is ${state}${input.force ? ' (forced)' : ''}`,
    },
    { name: 'lease-held', ok: isLeader, detail: isLeader ? `held by this manager (${input.holder})` : 'this manager does not hold the failover lease' },
    { name: 'no-operation-running', ok: running === undefined, detail: running ? `${running} is running` : 'idle' },
  ];
  if (syncer) {
    const lag = syncer.status().regions.find((r) => r.regionId === to)?.lagMillis;
    checks.push({
      name: 'sync-lag',
      ok: lag !== undefined && lag <= input.maxSyncLagMillis,
      detail: lag === undefined ? `no replication status for ${to}` : `lag ${lag} ms (bound ${input.maxSyncLagMillis} ms)`,
    });
  }
  checks.push({
    name: 'routing-verifiable',
    ok: true,
    detail: input.shifter.resolveRoute ? 'the provider reports which region answers' : 'the provider cannot report routing; health is checked instead',
  });
  return {
    to,
    from: activeRegions(input.weights),
    steps: ['verify-target', 'sync', 'shift-traffic', 'verify-routing', 'drain'],
    weightsBefore: { ...input.weights },
    weightsAfter: singleRegionWeights(input.regions, to),
    checks,
    wouldSucceed: checks.every((c) => c.ok),
  };
}
