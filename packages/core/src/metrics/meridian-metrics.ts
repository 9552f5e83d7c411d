import type { HealthState } from '../health/health-types.js';
import type { HistogramOptions, MetricOptions } from './metrics.js';

/** The value of `meridian_region_health` per state: 1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown. */
export const REGION_HEALTH_VALUE: Readonly<Record<HealthState, number>> = Object.freeze({ healthy: 1, degraded: 0.5, unhealthy: 0, unknown: -1 });

/** The metrics Meridian's engines record, by role. */
export interface MeridianMetricCatalogue {
  /** HealthMonitor: `meridian_region_health{region}`, {@link REGION_HEALTH_VALUE}. */
  readonly regionHealth: MetricOptions;
  /** HealthMonitor: `meridian_probe_duration_seconds{region,outcome}`. */
  readonly probeDuration: HistogramOptions;
  /** FailoverManager: `meridian_failovers_total{kind,outcome}`. */
  readonly failovers: MetricOptions;
  /** FailoverManager: `meridian_traffic_weight{region}`. */
  readonly trafficWeight: MetricOptions;
  /** GeoRouter: `meridian_route_decisions_total{region}`. */
  readonly routeDecisions: MetricOptions;
  /** SessionMigrator: `meridian_migrations_total{result}`. */
  readonly migrations: MetricOptions;
  /** SessionMigrator: `meridian_migration_duration_seconds{result}`. */
  readonly migrationDuration: HistogramOptions;
  /** CrossRegionSync: `meridian_sync_lag_seconds{region}`. */
  readonly syncLag: MetricOptions;
  /** CrossRegionSync: `meridian_sync_bytes_total{from,to}`. */
  readonly syncBytes: MetricOptions;
  /** CrossRegionSync: `meridian_conflicts_total{policy}`. */
  readonly conflicts: MetricOptions;
  /** MultiRegionDeployer: `meridian_deploys_total{outcome}`. */
  readonly deploys: MetricOptions;
}

/**
 * Every metric Meridian's engines record, in one place: names, labels, units
 * and buckets. docs/how-to/read-metrics.md describes each one.
 */
export const MERIDIAN_METRICS: MeridianMetricCatalogue = Object.freeze({
  /** HealthMonitor: gauge per region, {@link REGION_HEALTH_VALUE}. */
  regionHealth: { name: 'meridian_region_health', help: 'Health of each region: 1 healthy, 0.5 degraded, 0 unhealthy, -1 unknown.', labelNames: ['region'], unit: '1' },
  /** HealthMonitor: active probe durations; outcome `ok` or `failed`. */
  probeDuration: {
    name: 'meridian_probe_duration_seconds',
    help: 'Duration of active health probes, by region and outcome (ok, failed).',
    labelNames: ['region', 'outcome'],
    unit: 's',
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  },
  /** FailoverManager: failovers, failbacks and drills ended, by kind and outcome (completed, failed, cancelled). */
  failovers: { name: 'meridian_failovers_total', help: 'Failovers, failbacks and drills by kind and outcome (completed, failed, cancelled).', labelNames: ['kind', 'outcome'], unit: '1' },
  /** FailoverManager: weight applied to each region (0 = no traffic). */
  trafficWeight: { name: 'meridian_traffic_weight', help: 'Traffic weight the failover manager last applied to each region (0 = no traffic).', labelNames: ['region'], unit: '1' },
  /** GeoRouter: routing decisions per chosen region. */
  routeDecisions: { name: 'meridian_route_decisions_total', help: 'Routing decisions by chosen region.', labelNames: ['region'], unit: '1' },
  /** SessionMigrator: migration attempts ended, by result (completed, failed). */
  migrations: { name: 'meridian_migrations_total', help: 'Session migration attempts by result (completed, failed; failed ones were rolled back).', labelNames: ['result'], unit: '1' },
  /** SessionMigrator: duration of migration attempts, by result. */
  migrationDuration: {
    name: 'meridian_migration_duration_seconds',
    help: 'Duration of session migration attempts, by result (completed, failed).',
    labelNames: ['result'],
    unit: 's',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  },
  /** CrossRegionSync: replication lag per region (as a target), after each round. */
  syncLag: { name: 'meridian_sync_lag_seconds', help: 'How far behind each region is on replicated data (the worst incoming pair), after each sync round.', labelNames: ['region'], unit: 's' },
  /** CrossRegionSync: encoded batch bytes carried per direction. */
  syncBytes: { name: 'meridian_sync_bytes_total', help: 'Encoded replication bytes sent, per direction (after compression).', labelNames: ['from', 'to'], unit: 'By' },
  /** CrossRegionSync: distinct write conflicts detected, by policy. */
  conflicts: { name: 'meridian_conflicts_total', help: 'Distinct concurrent-write conflicts detected, by conflict policy.', labelNames: ['policy'], unit: '1' },
  /** MultiRegionDeployer: deployments ended, by outcome. */
  deploys: { name: 'meridian_deploys_total', help: 'Deployments by outcome (completed, partial, failed, rolled-back, cancelled).', labelNames: ['outcome'], unit: '1' },
});
