import { guardMetrics } from '../metrics/guard-metrics.js';
import { MERIDIAN_METRICS } from '../metrics/meridian-metrics.js';
import type { Metrics } from '../metrics/metrics.js';

/** @internal What a TrafficRouter records. */
export interface TrafficRecorder {
  attempt(region: string, outcome: 'ok' | 'error' | 'gateway'): void;
  retry(region: string, reason: string): void;
  client(outcome: 'served' | 'failed'): void;
}

/** @internal */
export function trafficRecorder(metrics: Metrics): TrafficRecorder {
  const guarded = guardMetrics(metrics);
  const attempts = guarded.counter(MERIDIAN_METRICS.upstreamRequests);
  const retries = guarded.counter(MERIDIAN_METRICS.retries);
  const clients = guarded.counter(MERIDIAN_METRICS.clientRequests);
  return {
    attempt: (region, outcome) => attempts.inc({ region, outcome }),
    retry: (region, reason) => retries.inc({ region, reason }),
    client: (outcome) => clients.inc({ outcome }),
  };
}
