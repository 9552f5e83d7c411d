import { guardMetrics } from '../metrics/guard-metrics.js';
import { MERIDIAN_METRICS, REGION_HEALTH_VALUE } from '../metrics/meridian-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import type { HealthState, ProbeEvent } from './health-types.js';

/** @internal What a HealthMonitor records. */
export interface HealthRecorder {
  state(regionId: string, state: HealthState): void;
  probe(probe: ProbeEvent): void;
  ejection(regionId: string, rule: string): void;
}

/** @internal */
export function healthRecorder(metrics: Metrics): HealthRecorder {
  const guarded = guardMetrics(metrics);
  const health = guarded.gauge(MERIDIAN_METRICS.regionHealth);
  const duration = guarded.histogram(MERIDIAN_METRICS.probeDuration);
  const ejections = guarded.counter(MERIDIAN_METRICS.ejections);
  return {
    state: (region, state) => health.set({ region }, REGION_HEALTH_VALUE[state]),
    probe: (p) => duration.observe({ region: p.regionId, outcome: p.ok ? 'ok' : 'failed' }, p.latencyMillis / 1000),
    ejection: (region, rule) => ejections.inc({ region, rule }),
  };
}
