import type { Disposable } from '../events/disposable.js';
import { CollectCallbacks } from './collect-callbacks.js';
import { checkRecording, defineMetric, metricConflict, sameMetric, seriesKey, type MetricDefinition, type MetricKind } from './metric-definition.js';
import type { Counter, Gauge, Histogram, HistogramOptions, MetricLabels, MetricOptions, Metrics } from './metrics.js';

/** A histogram bucket: observations less than or equal to `le`, cumulative. */
export interface BucketCount {
  /** Upper bound (`Infinity` for the last). */
  le: number;
  /** Observations at or under it. */
  count: number;
}

/** One series as {@link MemoryMetrics.collect} returns it. */
export interface MetricSeries {
  /** Metric name. */
  name: string;
  /** Instrument kind. */
  kind: MetricKind;
  /** Label values of the series. */
  labels: Record<string, string>;
  /** Counter total or gauge value; for histograms the sum of observations. */
  value: number;
  /** Histograms: observations recorded. */
  count?: number;
  /** Histograms: cumulative count per bucket upper bound (the last is `+Inf`). */
  buckets?: BucketCount[];
}

/** A histogram series' state. */
export interface DistributionValue {
  /** Observations recorded. */
  count: number;
  /** Sum of the observed values. */
  sum: number;
  /** Cumulative count per bucket upper bound, `+Inf` last. */
  buckets: BucketCount[];
}

interface Instrument {
  readonly definition: MetricDefinition;
  readonly series: Map<string, { labels: Record<string, string>; value: number; count: number; bucketCounts: number[] }>;
  readonly handle: Counter | Gauge | Histogram;
}

/**
 * Metrics kept in memory, for tests and for hosts that read them directly.
 * It refuses what Prometheus clients refuse (undeclared labels, a counter going
 * down, a name reused with other labels), so a test on it holds on prom-client.
 */
export class MemoryMetrics implements Metrics {
  readonly #instruments = new Map<string, Instrument>();
  readonly #callbacks = new CollectCallbacks();

  counter(options: MetricOptions): Counter {
    return this.#instrument('counter', options).handle as Counter;
  }

  gauge(options: MetricOptions): Gauge {
    return this.#instrument('gauge', options).handle as Gauge;
  }

  histogram(options: HistogramOptions): Histogram {
    return this.#instrument('histogram', options).handle as Histogram;
  }

  onCollect(callback: () => void): Disposable {
    return this.#callbacks.add(callback);
  }

  /** Runs the collect callbacks and returns every series, by name then labels. */
  collect(): MetricSeries[] {
    this.#callbacks.run();
    const out: MetricSeries[] = [];
    for (const name of [...this.#instruments.keys()].sort()) {
      const { definition, series } = this.#instruments.get(name)!;
      for (const key of [...series.keys()].sort()) {
        const s = series.get(key)!;
        const entry: MetricSeries = { name, kind: definition.kind, labels: { ...s.labels }, value: s.value };
        if (definition.kind === 'histogram') {
          entry.count = s.count;
          entry.buckets = bucketsOf(definition, s.bucketCounts, s.count);
        }
        out.push(entry);
      }
    }
    return out;
  }

  /** A counter's total or a gauge's value for exactly `labels` (after collect callbacks); undefined when never recorded. */
  value(name: string, labels: MetricLabels = {}): number | undefined {
    this.#callbacks.run();
    return this.#instruments.get(name)?.series.get(seriesKey(labels))?.value;
  }

  /** A histogram series (after collect callbacks); undefined when never observed. */
  distribution(name: string, labels: MetricLabels = {}): DistributionValue | undefined {
    this.#callbacks.run();
    const instrument = this.#instruments.get(name);
    const s = instrument?.series.get(seriesKey(labels));
    if (!instrument || !s || instrument.definition.kind !== 'histogram') return undefined;
    return { count: s.count, sum: s.value, buckets: bucketsOf(instrument.definition, s.bucketCounts, s.count) };
  }

  /** Every instrument created so far. */
  definitions(): MetricDefinition[] {
    return [...this.#instruments.values()].map((i) => i.definition);
  }

  #instrument(kind: MetricKind, options: HistogramOptions): Instrument {
    const definition = defineMetric(kind, options);
    const existing = this.#instruments.get(definition.name);
    if (existing) {
      if (!sameMetric(existing.definition, definition)) throw metricConflict(existing.definition, definition);
      return existing;
    }
    const series: Instrument['series'] = new Map();
    const seriesOf = (labels: MetricLabels | undefined) => {
      const key = seriesKey(labels);
      let s = series.get(key);
      if (!s) {
        s = { labels: { ...labels }, value: 0, count: 0, bucketCounts: new Array<number>(definition.buckets?.length ?? 0).fill(0) };
        series.set(key, s);
      }
      return s;
    };
    let handle: Counter | Gauge | Histogram;
    if (kind === 'counter') {
      handle = {
        inc: (labels, value = 1) => {
          checkRecording(definition, labels, value);
          seriesOf(labels).value += value;
        },
      };
    } else if (kind === 'gauge') {
      handle = {
        set: (labels, value) => {
          checkRecording(definition, labels, value);
          seriesOf(labels).value = value;
        },
      };
    } else {
      handle = {
        observe: (labels, value) => {
          checkRecording(definition, labels, value);
          const s = seriesOf(labels);
          s.value += value;
          s.count += 1;
          const index = definition.buckets!.findIndex((le) => value <= le);
          if (index >= 0) s.bucketCounts[index]! += 1;
        },
      };
    }
    const instrument: Instrument = { definition, series, handle };
    this.#instruments.set(definition.name, instrument);
    return instrument;
  }
}

function bucketsOf(definition: MetricDefinition, counts: number[], total: number): BucketCount[] {
  let running = 0;
  const out = definition.buckets!.map((le, i) => ({ le, count: (running += counts[i]!) }));
  out.push({ le: Number.POSITIVE_INFINITY, count: total });
  return out;
}
