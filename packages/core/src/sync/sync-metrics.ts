import { guardMetrics } from '../metrics/guard-metrics.js';
import { MERIDIAN_METRICS } from '../metrics/meridian-metrics.js';
import type { Metrics } from '../metrics/metrics.js';

/** @internal What a CrossRegionSync records. */
export interface SyncRecorder {
  lag(regionId: string, lagMillis: number): void;
  bytes(from: string, to: string, bytes: number): void;
  conflict(): void;
}

/** @internal */
export function syncRecorder(metrics: Metrics, policy: string, pairs: ReadonlyArray<{ from: string; to: string }>): SyncRecorder {
  const guarded = guardMetrics(metrics);
  const lag = guarded.gauge(MERIDIAN_METRICS.syncLag);
  const bytes = guarded.counter(MERIDIAN_METRICS.syncBytes);
  const conflicts = guarded.counter(MERIDIAN_METRICS.conflicts);
  // Series from the start: a rate() over them works before the first byte or conflict.
  for (const pair of pairs) bytes.inc({ from: pair.from, to: pair.to }, 0);
  conflicts.inc({ policy }, 0);
  return {
    lag: (region, millis) => lag.set({ region }, millis / 1000),
    bytes: (from, to, n) => {
      if (n > 0) bytes.inc({ from, to }, n);
    },
    conflict: () => conflicts.inc({ policy }),
  };
}
