// Public API of @meridian/metrics-prometheus. Explicit exports only.
export { createPrometheusMetrics } from './prometheus-metrics.js';
export type { PrometheusMetrics } from './prometheus-metrics.js';
export type { PrometheusMetricsOptions } from './prometheus-options.js';
