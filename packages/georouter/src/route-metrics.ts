import { MERIDIAN_METRICS, type Disposable, type Metrics } from '@meridian/core';
import { guardMetrics } from '@meridian/core/spi';

/**
 * Exports the router's own per-region decision counts as
 * `meridian_route_decisions_total` when the metrics are read, so `route()`
 * pays nothing for metrics: it already counts for `stats()`.
 */
export function exportRouteDecisions(metrics: Metrics, regionIds: readonly string[], routed: ReadonlyMap<string, number>): Disposable {
  const guarded = guardMetrics(metrics);
  const decisions = guarded.counter(MERIDIAN_METRICS.routeDecisions);
  const exported = new Map<string, number>();
  for (const region of regionIds) decisions.inc({ region }, 0);
  return metrics.onCollect(() => {
    for (const [region, count] of routed) {
      const delta = count - (exported.get(region) ?? 0);
      if (delta <= 0) continue;
      exported.set(region, count);
      decisions.inc({ region }, delta);
    }
  });
}
