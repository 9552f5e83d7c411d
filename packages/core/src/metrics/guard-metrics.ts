import type { Counter, Gauge, Histogram, HistogramOptions, MetricOptions, Metrics } from './metrics.js';
import { noopMetrics } from './noop-metrics.js';

/**
 * Wraps a host's {@link Metrics} so that recording never throws into an engine:
 * a probe loop must not stop because a metrics backend refused a value. The
 * first failure of each metric is reported on stderr, later ones are dropped
 * silently. Creating an instrument still throws (a configuration error).
 * `noopMetrics` is returned as is: unused metrics cost nothing.
 */
export function guardMetrics(metrics: Metrics): Metrics {
  if (metrics === noopMetrics) return metrics;
  const reported = new Set<string>();
  const guard = (name: string, record: () => void): void => {
    try {
      record();
    } catch (error) {
      if (reported.has(name)) return;
      reported.add(name);
      console.error(`[meridian] recording metric ${name} failed (further failures of it are not reported):`, error);
    }
  };
  return {
    counter(options: MetricOptions): Counter {
      const inner = metrics.counter(options);
      return { inc: (labels, value) => guard(options.name, () => inner.inc(labels, value)) };
    },
    gauge(options: MetricOptions): Gauge {
      const inner = metrics.gauge(options);
      return { set: (labels, value) => guard(options.name, () => inner.set(labels, value)) };
    },
    histogram(options: HistogramOptions): Histogram {
      const inner = metrics.histogram(options);
      return { observe: (labels, value) => guard(options.name, () => inner.observe(labels, value)) };
    },
    onCollect: (callback) => metrics.onCollect(callback),
  };
}
