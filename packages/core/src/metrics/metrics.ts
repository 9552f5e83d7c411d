import type { Disposable } from '../events/disposable.js';

/** Label values of one series, by label name (every name must be declared in `labelNames`). */
export type MetricLabels = Readonly<Record<string, string>>;

/** What a metric is: its name, help text, unit and label names. */
export interface MetricOptions {
  /** Prometheus-style name with the unit as suffix, e.g. `meridian_probe_duration_seconds`. */
  name: string;
  /** One line saying what is measured. */
  help: string;
  /** Label names every recording may set. Default none. */
  labelNames?: readonly string[];
  /** UCUM unit for OpenTelemetry adapters (`s`, `By`, `1`); Prometheus reads the unit from the name. */
  unit?: string;
}

/** A histogram's description: a {@link MetricOptions} plus bucket bounds. */
export interface HistogramOptions extends MetricOptions {
  /** Upper bounds of the buckets, ascending (`+Inf` is implied). Default {@link DEFAULT_BUCKETS}. */
  buckets?: readonly number[];
}

/** Prometheus' default histogram buckets (seconds-friendly: 5 ms to 10 s). */
export const DEFAULT_BUCKETS: readonly number[] = Object.freeze([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);

/** A monotonically increasing count. */
export interface Counter {
  /** Adds `value` (default 1, never negative) to the series `labels`. */
  inc(labels?: MetricLabels, value?: number): void;
}

/** A value that goes up and down. */
export interface Gauge {
  /** Sets the series `labels` to `value`. */
  set(labels: MetricLabels, value: number): void;
}

/** A distribution of observed values in buckets, with their sum and count. */
export interface Histogram {
  /** Records one observation of `value` in the series `labels`. */
  observe(labels: MetricLabels, value: number): void;
}

/**
 * What every engine records through. Engines create their instruments once
 * (same name, kind and labels give back the same instrument) and record on
 * events; `onCollect` lets an engine push values it counts itself just before
 * a scrape or export, so a hot path pays nothing. Implementations: `noopMetrics`
 * (the default), `MemoryMetrics` (tests), `createListenerMetrics` (forward to
 * OpenTelemetry or anything else) and `@meridian/metrics-prometheus`.
 */
export interface Metrics {
  /** A counter (get-or-create). INVALID_CONFIG when the name exists with another kind or labels. */
  counter(options: MetricOptions): Counter;
  /** A gauge (get-or-create). */
  gauge(options: MetricOptions): Gauge;
  /** A histogram (get-or-create). */
  histogram(options: HistogramOptions): Histogram;
  /** Runs `callback` before every read (scrape, export, snapshot); the Disposable unregisters it. */
  onCollect(callback: () => void): Disposable;
}
