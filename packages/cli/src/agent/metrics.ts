import type { PrometheusMetrics } from '@meridian/metrics-prometheus';
import type { ControlPlane } from './control-plane.js';

/**
 * The agent's Prometheus metrics: what every engine records into the control
 * plane's `PrometheusMetrics` (a registry of its own, no global state), plus
 * `meridian_sessions`, read from the migrator when scraped.
 */
export function createMetrics(plane: ControlPlane): PrometheusMetrics {
  const metrics = plane.metrics;
  const sessions = metrics.gauge({ name: 'meridian_sessions', help: 'Registered sessions per region.', labelNames: ['region'] });
  metrics.onCollect(() => {
    // A kind without a session adapter has no sessions to count.
    const byRegion = plane.migrator?.statistics().byRegion ?? {};
    for (const { id } of plane.kind.regions()) sessions.set({ region: id }, byRegion[id] ?? 0);
  });
  return metrics;
}
