import type { TrafficWeights } from '../contracts/region-provider.js';
import { MeridianError } from '../errors/meridian-error.js';
import { SERVING, shiftStep, syncStep, verifyRoutingStep, waitForServing, type StepContext } from './failover-steps.js';
import type { Step } from './step-runner.js';
import { activeRegions } from './weights.js';

/** How a failback checks before it shifts. */
export interface FailbackChecks {
  /** Wait for `home` to turn healthy instead of failing the step. */
  waitForHealth: boolean;
  /** Wait for `home`'s replication lag to be under `maxLagMillis`. */
  verifySync: boolean;
  /** The lag bound of `verifySync`. */
  maxLagMillis: number;
}

/** Failback: home must serve (or turn healthy) → sync (optional) → shift to `next` → verify routing. */
export function failbackSteps(ctx: StepContext, home: string, next: TrafficWeights, before: TrafficWeights, checks: FailbackChecks): Step[] {
  return [
    {
      name: 'wait-for-health',
      run: async (signal) => {
        if (SERVING.has(ctx.state(home))) return `${home} is ${ctx.state(home)}`;
        if (!checks.waitForHealth) throw new MeridianError('REGION_UNAVAILABLE', `${home} is ${ctx.state(home)}`);
        await waitForServing(ctx, home, signal);
        return `${home} became ${ctx.state(home)}`;
      },
    },
    checks.verifySync ? syncStep(ctx, home, checks.maxLagMillis) : { name: 'sync', run: async () => ({ skipped: 'verifySync not requested' }) },
    shiftStep(ctx, next, before, 'failback'),
    verifyRoutingStep(ctx, activeRegions(next)),
  ];
}
