import { MERIDIAN_METRICS, type Metrics } from '@meridian/core';
import { guardMetrics } from '@meridian/core/spi';

/** @internal What a SessionCheckpointer records after each round. */
export interface CheckpointRecorder {
  round(counts: { written: number; unchanged: number; failed: number; skipped: number; bytes: number }): void;
}

/** @internal */
export function checkpointRecorder(metrics: Metrics): CheckpointRecorder {
  const guarded = guardMetrics(metrics);
  const checkpoints = guarded.counter(MERIDIAN_METRICS.checkpoints);
  const bytes = guarded.counter(MERIDIAN_METRICS.checkpointBytes);
  const results = ['written', 'unchanged', 'failed', 'skipped'] as const;
  // Every series from the start, so a failure ratio can be computed before the first failure.
  for (const result of results) checkpoints.inc({ result }, 0);
  bytes.inc({}, 0);
  return {
    round: (counts) => {
      for (const result of results) if (counts[result] > 0) checkpoints.inc({ result }, counts[result]);
      if (counts.bytes > 0) bytes.inc({}, counts.bytes);
    },
  };
}
