import { hasMethods } from '../config/has-methods.js';
import type { Metrics } from './metrics.js';

/** Methods an injected {@link Metrics} must have; for option schemas. */
export const METRICS_METHODS: readonly string[] = Object.freeze(['counter', 'gauge', 'histogram', 'onCollect']);

/** True when `value` looks like a {@link Metrics} (duck-typed, as every injected component). */
export function isMetrics(value: unknown): value is Metrics {
  return hasMethods(value, METRICS_METHODS);
}
