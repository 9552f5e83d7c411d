import { MERIDIAN_METRICS, type Metrics } from '@meridian/core';
import { guardMetrics } from '@meridian/core/spi';

/** @internal What a SessionMigrator records. */
export interface MigrationRecorder {
  ended(result: 'completed' | 'failed', durationMillis: number): void;
}

/** @internal */
export function migrationRecorder(metrics: Metrics): MigrationRecorder {
  const guarded = guardMetrics(metrics);
  const migrations = guarded.counter(MERIDIAN_METRICS.migrations);
  const duration = guarded.histogram(MERIDIAN_METRICS.migrationDuration);
  // Both series from the start, so a failure ratio can be computed before the first failure.
  migrations.inc({ result: 'completed' }, 0);
  migrations.inc({ result: 'failed' }, 0);
  return {
    ended: (result, millis) => {
      migrations.inc({ result });
      duration.observe({ result }, millis / 1000);
    },
  };
}
