import type { Disposable } from '../events/disposable.js';
import { CollectCallbacks } from './collect-callbacks.js';
import { checkRecording, defineMetric, metricConflict, sameMetric, type MetricDefinition } from './metric-definition.js';
import type { Counter, Gauge, Histogram, HistogramOptions, MetricLabels, MetricOptions, Metrics } from './metrics.js';

/** One recording, as a {@link MetricsListener} receives it. */
export interface MetricRecord {
  /** The instrument (kind, name, help, unit, labels, buckets). */
  metric: MetricDefinition;
  /** Label values. */
  labels: MetricLabels;
  /** Counter: the increment; gauge: the new value; histogram: the observation. */
  value: number;
}

/** Receives every recording; forward it to OpenTelemetry, StatsD, a log... It must not throw. */
export type MetricsListener = (record: MetricRecord) => void;

/** {@link Metrics} that forward to a listener; `collect()` runs the engines' collect hooks. */
export interface ListenerMetrics extends Metrics {
  /** Runs the `onCollect` callbacks (call it before each export, e.g. from an OTel observable callback or a timer). */
  collect(): void;
}

/**
 * The OpenTelemetry-friendly hook: metrics that hand every recording to
 * `listener`, so a host can map them onto an OTel `Meter` (counter → `add`,
 * gauge → `record` on a gauge, histogram → `record`) without core depending on
 * OTel. Definitions are validated and labels checked as on the other backends.
 */
export function createListenerMetrics(listener: MetricsListener): ListenerMetrics {
  if (typeof listener !== 'function') throw new TypeError('createListenerMetrics needs a listener function');
  const definitions = new Map<string, MetricDefinition>();
  const callbacks = new CollectCallbacks();
  const define = (kind: MetricDefinition['kind'], options: HistogramOptions): MetricDefinition => {
    const definition = defineMetric(kind, options);
    const existing = definitions.get(definition.name);
    if (existing && !sameMetric(existing, definition)) throw metricConflict(existing, definition);
    if (!existing) definitions.set(definition.name, definition);
    return existing ?? definition;
  };
  const emit = (metric: MetricDefinition, labels: MetricLabels | undefined, value: number): void => {
    checkRecording(metric, labels, value);
    listener({ metric, labels: labels ?? {}, value });
  };
  return {
    counter(options: MetricOptions): Counter {
      const metric = define('counter', options);
      return { inc: (labels, value = 1) => emit(metric, labels, value) };
    },
    gauge(options: MetricOptions): Gauge {
      const metric = define('gauge', options);
      return { set: (labels, value) => emit(metric, labels, value) };
    },
    histogram(options: HistogramOptions): Histogram {
      const metric = define('histogram', options);
      return { observe: (labels, value) => emit(metric, labels, value) };
    },
    onCollect: (callback: () => void): Disposable => callbacks.add(callback),
    collect: () => callbacks.run(),
  };
}
