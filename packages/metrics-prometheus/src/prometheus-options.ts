import { hasMethods } from '@meridian/core/spi';
import type { Registry } from 'prom-client';
import { z } from 'zod';

/** @internal */
export const prometheusOptionsSchema = z
  .object({
    registry: z.custom<Registry>((v) => hasMethods(v, ['registerMetric', 'getSingleMetric', 'metrics']), 'must be a prom-client Registry').optional(),
    prefix: z
      .string()
      .regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must match [a-zA-Z_:][a-zA-Z0-9_:]* (it is prepended to every metric name)')
      .default(''),
  })
  .strict();

/** Options of {@link createPrometheusMetrics}. */
export interface PrometheusMetricsOptions {
  /** Where the metrics are registered. Default a new `Registry` of its own (never prom-client's global one). */
  registry?: Registry;
  /** Prepended to every metric name, e.g. `shop_` gives `shop_meridian_region_health`. Default none. */
  prefix?: string;
}
