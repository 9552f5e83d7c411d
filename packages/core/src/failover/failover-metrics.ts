import type { TrafficWeights } from '../contracts/region-provider.js';
import { guardMetrics } from '../metrics/guard-metrics.js';
import { MERIDIAN_METRICS } from '../metrics/meridian-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import type { FailoverReport } from './failover-types.js';

/** @internal What a FailoverManager records. */
export interface FailoverRecorder {
  ended(report: FailoverReport): void;
  weights(weights: TrafficWeights): void;
}

/** @internal */
export function failoverRecorder(metrics: Metrics, regionIds: readonly string[]): FailoverRecorder {
  const guarded = guardMetrics(metrics);
  const failovers = guarded.counter(MERIDIAN_METRICS.failovers);
  const weight = guarded.gauge(MERIDIAN_METRICS.trafficWeight);
  // Series that exist from the start, so rate() and alerts on them work before the first failover.
  for (const kind of ['automatic', 'planned'] as const) failovers.inc({ kind, outcome: 'completed' }, 0);
  return {
    ended: (report) => failovers.inc({ kind: report.kind, outcome: report.outcome }),
    weights: (weights) => {
      for (const region of regionIds) weight.set({ region }, weights[region] ?? 0);
    },
  };
}
