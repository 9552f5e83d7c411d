import { sleep } from '../clock/sleep.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import type { DrillReport, FailoverReport } from './failover-types.js';
import { routesTo, type StepContext } from './failover-steps.js';
import type { Step } from './step-runner.js';
import { activeRegions } from './weights.js';

/** What a drill measures while its steps run. */
export interface DrillTimings {
  heldMillis: number;
  targetServed: boolean;
  abortedEarly: string | undefined;
  rolledBack: boolean;
}

/** Fresh timings for one drill. */
export function newDrillTimings(): DrillTimings {
  return { heldMillis: 0, targetServed: false, abortedEarly: undefined, rolledBack: false };
}

/**
 * The steps after a drill's failover: hold for the duration (stopping early if
 * the target turns unhealthy), check the target served, and roll back.
 */
export function drillSteps(
  ctx: StepContext,
  drill: { to: string; durationMillis: number; autoRollback: boolean; before: TrafficWeights },
  timings: DrillTimings,
): Step[] {
  const { to } = drill;
  return [
    {
      name: 'hold',
      run: async (signal) => {
        const heldFrom = ctx.clock.now();
        const early = new AbortController();
        const sub = ctx.monitor.on('region:unhealthy', (e) => {
          if (e.regionId === to) early.abort(new Error(`${to} turned unhealthy: ${e.reason}`));
        });
        try {
          await sleep(ctx.clock, drill.durationMillis, AbortSignal.any([signal, early.signal]));
        } catch (error) {
          if (!early.signal.aborted) throw error;
          timings.abortedEarly = (early.signal.reason as Error).message;
        } finally {
          sub.dispose();
          timings.heldMillis = ctx.clock.now() - heldFrom;
        }
        return timings.abortedEarly ? `stopped early: ${timings.abortedEarly}` : `held ${timings.heldMillis} ms`;
      },
    },
    {
      name: 'verify-served',
      run: async (signal) => {
        timings.targetServed = await routesTo(ctx, [to], signal);
        return timings.targetServed ? `${to} served requests` : `${to} was not seen serving`;
      },
    },
    {
      name: 'rollback',
      run: async () => {
        if (!drill.autoRollback) return { skipped: 'autoRollback is off: traffic stays on the target' };
        // Not cancellable: once the drill is over, traffic must go back.
        await ctx.apply(drill.before, 'drill-rollback');
        timings.rolledBack = true;
        const back = activeRegions(drill.before);
        const routed = await routesTo(ctx, back, new AbortController().signal);
        return routed ? `traffic back on ${back.join(', ')}` : `weights restored; routing to ${back.join(', ')} not confirmed`;
      },
    },
  ];
}

/** A drill's report: the operation's, plus its timings. */
export function drillReport(report: FailoverReport, timings: DrillTimings): DrillReport {
  const at = (name: string) => report.steps.find((s) => s.name === name);
  const rollback = at('rollback');
  const drill: DrillReport = {
    ...report,
    failoverMillis: (at('verify-routing')?.finishedAt ?? report.startedAt) - report.startedAt,
    heldMillis: timings.heldMillis,
    rollbackMillis: rollback?.status === 'completed' ? rollback.finishedAt! - rollback.startedAt : 0,
    targetServed: timings.targetServed,
    rolledBack: timings.rolledBack,
  };
  if (timings.abortedEarly) drill.abortedEarly = timings.abortedEarly;
  return drill;
}
