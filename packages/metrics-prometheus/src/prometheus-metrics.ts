import {
  type Counter,
  type Disposable,
  type Gauge,
  type Histogram,
  type HistogramOptions,
  type MetricDefinition,
  type MetricKind,
  type MetricOptions,
  type Metrics,
} from '@meridian/core';
import { checkRecording, CollectCallbacks, defineMetric, invalidConfig, metricConflict, parseOptions, sameMetric } from '@meridian/core/spi';
import { Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';
import { prometheusOptionsSchema, type PrometheusMetricsOptions } from './prometheus-options.js';

/** Meridian metrics in a prom-client registry. */
export interface PrometheusMetrics extends Metrics {
  /** The registry holding every metric (serve `registry.metrics()` on `/metrics`). */
  readonly registry: Registry;
  /** The registry's content type, for the `content-type` header of `/metrics`. */
  readonly contentType: string;
  /** The Prometheus text exposition of the registry (collect hooks run first). */
  metrics(): Promise<string>;
}

interface Registered {
  readonly definition: MetricDefinition;
  readonly handle: Counter | Gauge | Histogram;
}

/**
 * Metrics on prom-client: each instrument an engine asks for becomes a
 * prom-client Counter, Gauge or Histogram in `registry`, named `prefix + name`.
 * The engines' `onCollect` hooks run once per scrape, before any value is read.
 * Share one instance between every engine of a registry.
 */
export function createPrometheusMetrics(options: PrometheusMetricsOptions = {}): PrometheusMetrics {
  const o = parseOptions(prometheusOptionsSchema, options, 'createPrometheusMetrics options');
  const registry = o.registry ?? new Registry();
  const callbacks = new CollectCallbacks();
  const registered = new Map<string, Registered>();
  // prom-client reads every metric in one synchronous pass (each `collect` runs before its
  // first await): run the hooks at the first metric of a pass, once.
  let collectedThisPass = false;
  const collect = (): void => {
    if (collectedThisPass) return;
    collectedThisPass = true;
    queueMicrotask(() => {
      collectedThisPass = false;
    });
    callbacks.run();
  };

  const instrument = (kind: MetricKind, options: HistogramOptions): Registered => {
    const definition = defineMetric(kind, options);
    const existing = registered.get(definition.name);
    if (existing) {
      if (!sameMetric(existing.definition, definition)) throw metricConflict(existing.definition, definition);
      return existing;
    }
    const name = `${o.prefix}${definition.name}`;
    if (registry.getSingleMetric(name)) {
      throw invalidConfig(`${kind} ${JSON.stringify(name)}`, [{ path: 'name', message: 'already registered in this registry by other code (share one PrometheusMetrics per registry)', value: JSON.stringify(name) }]);
    }
    const config = { name, help: definition.help, labelNames: [...definition.labelNames], registers: [registry], collect };
    let handle: Counter | Gauge | Histogram;
    if (kind === 'counter') {
      const metric = new PromCounter(config);
      handle = {
        inc: (labels, value = 1) => {
          checkRecording(definition, labels, value);
          metric.inc(labels ?? {}, value);
        },
      };
    } else if (kind === 'gauge') {
      const metric = new PromGauge(config);
      handle = {
        set: (labels, value) => {
          checkRecording(definition, labels, value);
          metric.set(labels, value);
        },
      };
    } else {
      const metric = new PromHistogram({ ...config, buckets: [...definition.buckets!] });
      handle = {
        observe: (labels, value) => {
          checkRecording(definition, labels, value);
          metric.observe(labels, value);
        },
      };
    }
    const entry = { definition, handle };
    registered.set(definition.name, entry);
    return entry;
  };

  return {
    registry,
    get contentType() {
      return registry.contentType;
    },
    metrics: () => registry.metrics(),
    counter: (options: MetricOptions) => instrument('counter', options).handle as Counter,
    gauge: (options: MetricOptions) => instrument('gauge', options).handle as Gauge,
    histogram: (options: HistogramOptions) => instrument('histogram', options).handle as Histogram,
    onCollect: (callback: () => void): Disposable => callbacks.add(callback),
  };
}
