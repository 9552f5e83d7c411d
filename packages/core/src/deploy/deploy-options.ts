import { z } from 'zod';
import { millisSchema } from '../config/millis-schema.js';
import type { Clock } from '../clock/clock.js';
import { hasMethods } from '../config/has-methods.js';
import { isMetrics } from '../metrics/is-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import type { RegionProvider } from '../contracts/region-provider.js';

/** @internal */
export const deployerOptionsSchema = z
  .object({
    provider: z.custom<RegionProvider>((v) => hasMethods(v, ['deploy', 'destroy', 'status', 'setTraffic']), 'must be a RegionProvider (with deploy, destroy, status, setTraffic)'),
    concurrency: z.number().int().min(1).max(256).default(8),
    regionTimeoutMillis: millisSchema.default(1_800_000),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict();

/** Options of {@link MultiRegionDeployer}. */
export interface MultiRegionDeployerOptions {
  /** Where regions are deployed. */
  provider: RegionProvider;
  /** Regions deployed at once. Default 8. */
  concurrency?: number;
  /** A region's deploy that takes longer is aborted and counted failed. Default 1800000 (30 minutes). */
  regionTimeoutMillis?: number;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Where `meridian_deploys_total` is recorded. Default `noopMetrics`. */
  metrics?: Metrics;
}

const regionIds = z.array(z.string().min(1)).min(1, 'at least one region');

/** @internal */
export const deployRequestSchema = z
  .object({
    spec: z
      .object({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be a DNS-label-like name (lowercase letters, digits, dashes)'),
        regions: regionIds.refine((ids) => new Set(ids).size === ids.length, 'region ids must be unique'),
        workload: z.record(z.string(), z.unknown()).optional(),
        env: z.record(z.string(), z.string()).optional(),
        overrides: z.record(z.string(), z.unknown()).optional(),
      })
      .strict(),
    strategy: z.enum(['active-active', 'active-passive', 'regional']).default('active-active'),
    primary: z.string().min(1).optional(),
    onFailure: z.enum(['continue', 'rollback']).default('continue'),
    applyTraffic: z.boolean().default(true),
    fencingToken: z.number().int().nonnegative().optional(),
    signal: z.custom<AbortSignal>((v) => v instanceof AbortSignal, 'must be an AbortSignal').optional(),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.primary !== undefined && !r.spec.regions.includes(r.primary)) {
      ctx.addIssue({ code: 'custom', path: ['primary'], message: `not one of spec.regions (${r.spec.regions.join(', ')})` });
    }
  });
