import type { Counter, Gauge, Histogram, Metrics } from './metrics.js';

const counter: Counter = Object.freeze({ inc: () => undefined });
const gauge: Gauge = Object.freeze({ set: () => undefined });
const histogram: Histogram = Object.freeze({ observe: () => undefined });
const disposed = Object.freeze({ dispose: () => undefined });

/** Metrics that record nothing: the default of every engine, so unused metrics cost nothing. */
export const noopMetrics: Metrics = Object.freeze({
  counter: () => counter,
  gauge: () => gauge,
  histogram: () => histogram,
  onCollect: () => disposed,
});
