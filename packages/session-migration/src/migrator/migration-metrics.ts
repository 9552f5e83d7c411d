import { MERIDIAN_METRICS, type Metrics } from '@meridian/core';
import { guardMetrics } from '@meridian/core/spi';

/** @internal What a SessionMigrator records. */
export interface MigrationRecorder {
  ended(result: 'completed' | 'failed', durationMillis: number): void;
  swept(result: 'deleted' | 'failed', count: number): void;
}

/** @internal */
export function migrationRecorder(metrics: Metrics): MigrationRecorder {
  const guarded = guardMetrics(metrics);
  const migrations = guarded.counter(MERIDIAN_METRICS.migrations);
  const duration = guarded.histogram(MERIDIAN_METRICS.migrationDuration);
  // Both series from the start, so a failure ratio can be computed before the first failure.
  migrations.inc({ result: 'completed' }, 0);
  migrations.inc({ result: 'failed' }, 0);
  const swept = guarded.counter({
    name: 'meridian_snapshots_swept_total',
    help: 'Orphaned migration snapshots the sweep removed (deleted) or could not remove (failed).',
    labelNames: ['result'],
    unit: '1',
  });
  swept.inc({ result: 'deleted' }, 0);
  swept.inc({ result: 'failed' }, 0);
  return {
    swept: (result, count) => {
      if (count > 0) swept.inc({ result }, count);
    },
    ended: (result, millis) => {
      migrations.inc({ result });
      duration.observe({ result }, millis / 1000);
    },
  };
}
