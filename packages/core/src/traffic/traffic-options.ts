import { z } from 'zod';
import { millisSchema } from '../config/millis-schema.js';
import type { Clock } from '../clock/clock.js';
import { endpointUrlSchema } from '../config/endpoint-url.js';
import { hasMethods } from '../config/has-methods.js';
import type { Router } from '../contracts/router.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import type { HealthState, PassiveOutcome } from '../health/health-types.js';
import { isMetrics } from '../metrics/is-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import { regionIdSchema } from '../regions/region.js';
import { TrustedProxies } from './trusted-proxies.js';

// Node timers fire at once past 2^31-1 ms: longer delays are refused, not silently shortened.
const millis = millisSchema;
const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what} (with ${methods.join(', ')})`);
const fn = <T>() => z.custom<T>((v) => typeof v === 'function', 'must be a function');

const regionSchema = z.looseObject({ id: regionIdSchema, endpoint: endpointUrlSchema, priority: z.number().int().min(0).optional() });

/** @internal Options schema; defaults are documented on {@link TrafficRouterOptions}. */
export const trafficRouterOptionsSchema = z
  .object({
    regions: z.union([z.array(regionSchema).min(1, 'at least one region is required'), fn<() => TrafficRegion[]>()]),
    weights: fn<() => TrafficWeights>().optional(),
    monitor: has<PassiveHealth>(['get', 'report'], 'a HealthMonitor').optional(),
    router: has<Router>(['route'], 'a Router (e.g. a GeoRouter)').optional(),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(10).default(3),
        perTryTimeoutMillis: millis.default(5_000),
        retryOnStatus: z.array(z.number().int().min(500).max(599)).default([500, 502, 503, 504]),
        maxBufferedBodyBytes: z.number().int().min(0).max(64 * 1024 * 1024).default(1024 * 1024),
        budget: z
          .object({
            percent: z.number().gt(0, 'must be > 0 (a budget of 0 would refuse every retry: set maxAttempts: 1 instead)').max(1, 'must be <= 1 (a share of requests in flight)').default(0.2),
            minConcurrency: z.number().int().min(0).default(3),
            queueMillis: z.number().int().min(0).max(2_147_483_647).default(1_000),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    bodyTimeoutMillis: millis.default(30_000),
    connectTimeoutMillis: millis.default(2_000),
    connectionsPerRegion: z.number().int().min(1).max(10_000).default(128),
    trustedProxies: z
      .array(z.string())
      .default([])
      .transform((list, ctx) => {
        try {
          return TrustedProxies.parse(list);
        } catch (error) {
          const issues = (error as { details?: { issues?: Array<{ path: string; message: string }> } }).details?.issues ?? [];
          for (const issue of issues) {
            const index = /\[(\d+)\]$/.exec(issue.path)?.[1];
            ctx.addIssue({ code: 'custom', message: issue.message, path: index === undefined ? [] : [Number(index)] });
          }
          return z.NEVER;
        }
      }),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict();

/** @internal */
export type ResolvedTrafficRouterOptions = z.output<typeof trafficRouterOptionsSchema>;

/** A region the data plane can send requests to. A {@link Region} fits. */
export interface TrafficRegion {
  /** Region id. */
  id: string;
  /** Base URL requests are sent to (the request's path is appended). */
  endpoint: string;
  /** Spill-over order when no region with traffic weight can take a request, lower first. Default 0 (then list order). */
  priority?: number;
}

/** What the data plane reads of a region's health. */
export interface PassiveHealthView {
  /** Effective state. */
  state: HealthState;
}

/** Retry budget settings (Envoy's `retry_budget`). */
export interface RetryBudgetOptions {
  /** Retries in flight at most this share (0 < p <= 1) of the requests in flight. Default 0.2. */
  percent?: number;
  /** Retries always allowed in flight, however few requests there are. Default 3. */
  minConcurrency?: number;
  /**
   * A retry the budget has no room for waits up to this long for a slot (first
   * come, first served) before the request fails with `notRetried: 'budget'`:
   * failures come in bursts, and the budget should spread a burst out, not fail
   * it. 0 refuses at once, as Envoy does. Default 1000.
   */
  queueMillis?: number;
}

/** What the data plane needs of a health monitor: a {@link HealthMonitor} fits. */
export interface PassiveHealth {
  /** Current health of a region (a `RegionHealth` fits). */
  get(regionId: string): PassiveHealthView;
  /** Current state only, when the monitor can tell it cheaply (a {@link HealthMonitor} can); preferred over `get`. */
  state?(regionId: string): HealthState;
  /** Receives the outcome of every attempt (passive detection). */
  report(regionId: string, outcome: PassiveOutcome): void;
}

/** Retry settings of the data plane. */
export interface TrafficRetryOptions {
  /** Tries per request, the first included; 1 turns retries off. 1..10, default 3 (as HAProxy's `retries 3`). */
  maxAttempts?: number;
  /** An attempt with no response headers within this fails (and an idempotent request is retried). Default 5000. */
  perTryTimeoutMillis?: number;
  /** Statuses that make an idempotent request retry on another region. Default [500, 502, 503, 504]. */
  retryOnStatus?: number[];
  /** Request bodies up to this size are held so they can be replayed; larger ones are sent once, never retried. Default 1 MiB. */
  maxBufferedBodyBytes?: number;
  /**
   * Envoy's retry budget: retries in flight at most `percent` (0 < p <= 1) of the requests
   * in flight, and never fewer than `minConcurrency`. Defaults 0.2 and 3.
   */
  budget?: RetryBudgetOptions;
}

/** Options of {@link TrafficRouter}. */
export interface TrafficRouterOptions {
  /** The regions, or a function returning the current ones (a provider's deployed regions). */
  regions: TrafficRegion[] | (() => TrafficRegion[]);
  /**
   * Current traffic weights (a provider's `traffic()`, which the FailoverManager
   * sets). Regions with weight 0 take requests only when none with weight can.
   * Default: every region weight 1.
   */
  weights?: () => TrafficWeights;
  /** Health: unhealthy (and ejected) regions are skipped; every attempt's outcome is reported to it. */
  monitor?: PassiveHealth;
  /** Geography: among the regions with weight, the router (a GeoRouter) picks by the client's address. */
  router?: Router;
  /** Retries on another region. */
  retry?: TrafficRetryOptions;
  /** A response body that stalls this long is cut. Default 30000. */
  bodyTimeoutMillis?: number;
  /** Connecting to a region longer than this fails the attempt (retried on another region). Default 2000. */
  connectTimeoutMillis?: number;
  /** Keep-alive connections per region at most. Default 128. */
  connectionsPerRegion?: number;
  /**
   * Proxies in front of the data plane whose `X-Forwarded-For` is believed (IPs or CIDRs).
   * Default none: the socket's peer is the client.
   */
  trustedProxies?: string[];
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Where `meridian_upstream_requests_total`, `meridian_request_retries_total` and `meridian_client_requests_total` go. */
  metrics?: Metrics;
}
