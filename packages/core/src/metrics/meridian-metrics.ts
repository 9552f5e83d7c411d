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
  /** HealthMonitor: `meridian_region_ejections_total{region,rule}`. */
  readonly ejections: MetricOptions;
  /** TrafficRouter: `meridian_upstream_requests_total{region,outcome}`. */
  readonly upstreamRequests: MetricOptions;
  /** TrafficRouter: `meridian_request_retries_total{region,reason}`. */
  readonly retries: MetricOptions;
  /** TrafficRouter: `meridian_client_requests_total{outcome}`. */
  readonly clientRequests: MetricOptions;
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
  /** SessionCheckpointer: `meridian_checkpoints_total{result}`. */
  readonly checkpoints: MetricOptions;
  /** SessionCheckpointer: `meridian_checkpoint_bytes_total`. */
  readonly checkpointBytes: MetricOptions;
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
  /** HealthMonitor: passive ejections by region and rule. */
  ejections: { name: 'meridian_region_ejections_total', help: 'Regions ejected by passive outlier detection, by region and rule (consecutive-gateway-failures, consecutive-failures, success-rate).', labelNames: ['region', 'rule'], unit: '1' },
  /** TrafficRouter: every attempt sent to a region, by outcome (ok, error = 5xx, gateway = no response). */
  upstreamRequests: { name: 'meridian_upstream_requests_total', help: 'Request attempts sent to each region by the data plane, by outcome (ok, error: a 5xx, gateway: no response).', labelNames: ['region', 'outcome'], unit: '1' },
  /** TrafficRouter: retries, by the region that failed and why (connect, reset, timeout, protocol, status). */
  retries: { name: 'meridian_request_retries_total', help: 'Requests retried on another region, by the region that failed and the reason (connect, reset, timeout, protocol, status).', labelNames: ['region', 'reason'], unit: '1' },
  /** TrafficRouter: what clients saw, by outcome (served, failed). */
  clientRequests: { name: 'meridian_client_requests_total', help: 'Requests as their clients saw them, by outcome (served: below 500; failed: a 5xx or no response).', labelNames: ['outcome'], unit: '1' },
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
  /** SessionCheckpointer: sessions per round, by result (written, unchanged, failed, skipped). */
  checkpoints: {
    name: 'meridian_checkpoints_total',
    help: 'Session checkpoints by result (written; unchanged: not written, the session did not change; failed; skipped: the store was down).',
    labelNames: ['result'],
    unit: '1',
  },
  /** SessionCheckpointer: encoded checkpoint bytes written to the snapshot store. */
  checkpointBytes: { name: 'meridian_checkpoint_bytes_total', help: 'Encoded (compressed, encrypted) checkpoint bytes written to the snapshot store.', labelNames: [], unit: 'By' },
  /** CrossRegionSync: replication lag per region (as a target), after each round. */
  syncLag: { name: 'meridian_sync_lag_seconds', help: 'How far behind each region is on replicated data (the worst incoming pair), after each sync round.', labelNames: ['region'], unit: 's' },
  /** CrossRegionSync: encoded batch bytes carried per direction. */
  syncBytes: { name: 'meridian_sync_bytes_total', help: 'Encoded replication bytes sent, per direction (after compression).', labelNames: ['from', 'to'], unit: 'By' },
  /** CrossRegionSync: distinct write conflicts detected, by policy. */
  conflicts: { name: 'meridian_conflicts_total', help: 'Distinct concurrent-write conflicts detected, by conflict policy.', labelNames: ['policy'], unit: '1' },
  /** MultiRegionDeployer: deployments ended, by outcome. */
  deploys: { name: 'meridian_deploys_total', help: 'Deployments by outcome (completed, partial, failed, rolled-back, cancelled).', labelNames: ['outcome'], unit: '1' },
});
