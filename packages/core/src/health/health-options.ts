import { z } from 'zod';
import { MAX_TIMER_MESSAGE, millisSchema } from '../config/millis-schema.js';
import { MAX_TIMER_MILLIS, type Clock } from '../clock/clock.js';
import { endpointUrlSchema } from '../config/endpoint-url.js';
import { hasMethods } from '../config/has-methods.js';
import { isMetrics } from '../metrics/is-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import { regionIdSchema } from '../regions/region.js';
import type { StatusRange } from './http-prober.js';
import type { Prober } from './prober.js';

const positiveMillis = millisSchema;

const targetSchema = z.looseObject({
  id: regionIdSchema,
  endpoint: endpointUrlSchema,
});

/** @internal Options schema; defaults are documented on {@link HealthMonitorOptions}. */
export const healthMonitorOptionsSchema = z
  .object({
    regions: z.array(targetSchema).default([]),
    intervalMillis: positiveMillis.min(2, 'must be >= 2 (a probe needs a timeout shorter than the interval)').default(30_000),
    timeoutMillis: positiveMillis.optional(),
    failuresBeforeUnhealthy: z.number().int().min(1).default(3),
    samplesPerProbe: z.number().int().min(1).max(10).default(3),
    successesBeforeHealthy: z.number().int().min(1).default(2),
    path: z.string().startsWith('/', 'must start with "/"').default('/health'),
    expectedStatus: z
      .object({ min: z.number().int().min(100).max(599), max: z.number().int().min(100).max(599) })
      .refine((r) => r.min <= r.max, { message: 'min must be <= max' })
      .default({ min: 200, max: 299 }),
    bodyPredicate: z.custom<(body: string, status: number) => boolean>((v) => typeof v === 'function', 'must be a function').optional(),
    headers: z.record(z.string(), z.string()).optional(),
    jitterFraction: z.number().min(0).max(0.5).default(0.1),
    degradedLatencyMillis: z.number().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).optional(),
    degradedAvailability: z.number().gt(0).max(1).optional(),
    ewmaAlpha: z.number().gt(0).max(1).default(0.3),
    availabilityWindow: z.number().int().min(1).max(100_000).default(20),
    passive: z
      .object({
        enabled: z.boolean().default(true),
        consecutiveFailures: z.number().int().min(1).default(10),
        consecutiveGatewayFailures: z.number().int().min(1).default(3),
        successRate: z
          .union([
            z.literal(false),
            z
              .object({
                windowMillis: positiveMillis.default(10_000),
                minimumRequests: z.number().int().min(1).default(50),
                degradedBelow: z.number().min(0).max(1).default(0.8),
                ejectBelow: z.number().min(0).max(1).default(0.5),
              })
              .strict()
              .refine((r) => r.ejectBelow <= r.degradedBelow, { message: 'ejectBelow must be <= degradedBelow' }),
          ])
          .prefault({}),
        maxEjectionPercent: z.number().min(0).max(100).default(50),
        baseEjectionMillis: positiveMillis.default(30_000),
        maxEjectionMillis: positiveMillis.optional(),
      })
      .strict()
      .refine((p) => p.maxEjectionMillis === undefined || p.baseEjectionMillis <= p.maxEjectionMillis, {
        message: 'baseEjectionMillis must be <= maxEjectionMillis',
      })
      // The default longest ejection follows a longer base one (as Envoy's max_ejection_time does).
      .transform((p) => ({ ...p, maxEjectionMillis: p.maxEjectionMillis ?? Math.max(300_000, p.baseEjectionMillis) }))
      .prefault({}),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
    prober: z.custom<Prober>((v) => hasMethods(v, ['probe']), 'must be a Prober (with probe)').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.timeoutMillis !== undefined && o.timeoutMillis >= o.intervalMillis) {
      ctx.addIssue({ code: 'custom', path: ['timeoutMillis'], message: `timeoutMillis must be smaller than intervalMillis (${o.intervalMillis})`, input: o.timeoutMillis });
    }
  })
  .transform((o) => ({ ...o, timeoutMillis: o.timeoutMillis ?? defaultTimeoutMillis(o.intervalMillis) }));

/** @internal The timeout when none is given: 5000, or half the interval when that is shorter. */
export function defaultTimeoutMillis(intervalMillis: number): number {
  return Math.min(5_000, Math.floor(intervalMillis / 2));
}

/** A region the monitor probes: any object with an id and an http(s) endpoint (a {@link Region} fits). */
export interface HealthTarget {
  /** Region id. */
  id: string;
  /** Base URL; the probe path is appended. */
  endpoint: string;
}

/** The success-rate rule of passive detection: judged over real traffic in a sliding time window. */
export interface SuccessRateOptions {
  /** Length of the sliding window. Default 10000. */
  windowMillis?: number;
  /** Fewer requests than this in the window: the rule does not judge. Default 50. */
  minimumRequests?: number;
  /** Success rate (0..1) below which a healthy region is `degraded`. Default 0.8. */
  degradedBelow?: number;
  /** Success rate (0..1) below which the region is ejected. Default 0.5; <= degradedBelow. */
  ejectBelow?: number;
}

/**
 * Passive outlier detection settings: the rules that eject a region from what
 * real traffic saw (`HealthMonitor.report`), as Envoy's outlier detection does.
 */
export interface PassiveHealthOptions {
  /** Default true. */
  enabled?: boolean;
  /** Consecutive failed reports of any kind (5xx, or no response) that eject a region. Default 10 (Envoy: 5; see docs/concepts/health.md for why). */
  consecutiveFailures?: number;
  /**
   * Consecutive gateway failures (connection refused or reset, timeout, not HTTP:
   * no response at all) that eject a region. Default 3: a dead region is out after
   * three requests, while an application's 5xx needs `consecutiveFailures`.
   */
  consecutiveGatewayFailures?: number;
  /** The success-rate rule, or `false` to turn it off. Defaults: see {@link SuccessRateOptions}. */
  successRate?: SuccessRateOptions | false;
  /**
   * Most regions (percent of those watched) ejected at once; at least one can
   * always be. An ejection past the cap is skipped and counted, so a bad client
   * or a shared dependency cannot empty the fleet. 0..100, default 50.
   */
  maxEjectionPercent?: number;
  /** First ejection length; the n-th lasts n × this. Default 30000. */
  baseEjectionMillis?: number;
  /** Longest ejection; >= baseEjectionMillis. Default 300000, or baseEjectionMillis when that is longer. */
  maxEjectionMillis?: number;
}

/** Options of {@link HealthMonitor}. */
export interface HealthMonitorOptions {
  /** Regions to probe. Default none (add later with `add`). */
  regions?: HealthTarget[];
  /** Time between probes of one region. 2..2147483647, default 30000 (the seed's 30 s). */
  intervalMillis?: number;
  /**
   * A probe slower than this fails. Must be < intervalMillis. Default 5000, or
   * half of intervalMillis (rounded down) when that is shorter: `intervalMillis: 1000` probes with a 500 ms timeout.
   */
  timeoutMillis?: number;
  /** Consecutive failed probes that make a region unhealthy. Default 3. */
  failuresBeforeUnhealthy?: number;
  /**
   * Requests sent in parallel per probe; the probe succeeds when any does. With
   * independent loss p a probe fails with p^samples (30% loss: 2.7% at 3), while a
   * dead region fails them all at once. 1..10, default 3.
   */
  samplesPerProbe?: number;
  /** Consecutive successful probes that bring an unhealthy region back. Default 2. */
  successesBeforeHealthy?: number;
  /** Path appended to the endpoint. Default `/health`. */
  path?: string;
  /** Accepted status range, inclusive. Default 200..299. */
  expectedStatus?: StatusRange;
  /** Optional check of the response body. */
  bodyPredicate?: (body: string, status: number) => boolean;
  /** Extra probe headers. */
  headers?: Record<string, string>;
  /** Each delay is interval ± this fraction, so regions are not probed in lock-step. 0..0.5, default 0.1. */
  jitterFraction?: number;
  /** A healthy region whose EWMA latency exceeds this is `degraded`. Default: off. */
  degradedLatencyMillis?: number;
  /** A healthy region whose windowed availability is below this (0..1) is `degraded`. Default: off. */
  degradedAvailability?: number;
  /** EWMA smoothing factor, 0 < alpha <= 1. Default 0.3. */
  ewmaAlpha?: number;
  /** Outcomes (probes and passive reports) in the availability window. Default 20. */
  availabilityWindow?: number;
  /** Passive outlier detection from `report()`: consecutive failures, consecutive gateway failures, success rate. */
  passive?: PassiveHealthOptions;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** How a probe is made. Default an undici HTTP prober built from the options above. */
  prober?: Prober;
  /** Random source for jitter, 0 <= x < 1. Default Math.random. */
  random?: () => number;
  /** Where `meridian_region_health` and `meridian_probe_duration_seconds` are recorded. Default `noopMetrics`. */
  metrics?: Metrics;
}

/** @internal What `HealthMonitor.configure` accepts: the probing settings that may change while it runs. */
export const healthSettingsSchema = z
  .object({
    intervalMillis: positiveMillis.min(2, 'must be >= 2 (a probe needs a timeout shorter than the interval)').optional(),
    timeoutMillis: positiveMillis.optional(),
    failuresBeforeUnhealthy: z.number().int().min(1).optional(),
    successesBeforeHealthy: z.number().int().min(1).optional(),
    degradedLatencyMillis: z.number().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).nullable().optional(),
    degradedAvailability: z.number().gt(0).max(1).nullable().optional(),
  })
  .strict()
  .refine(
    (s) => Object.values(s).some((v) => v !== undefined),
    'give at least one of intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy, degradedLatencyMillis, degradedAvailability',
  );

/** Probing settings {@link HealthMonitor.configure} changes at runtime; what is left out stays as it is. */
export interface HealthSettings {
  /** Time between probes of one region; the next probe of each region comes within the new interval. */
  intervalMillis?: number;
  /** A probe slower than this fails; must stay below the interval (the one given, or the current one). */
  timeoutMillis?: number;
  /** Consecutive failed probes that make a region unhealthy (counts already made are kept). */
  failuresBeforeUnhealthy?: number;
  /** Consecutive successful probes that bring an unhealthy region back. */
  successesBeforeHealthy?: number;
  /**
   * A healthy region whose latency EWMA is above this is `degraded`, from its
   * next probe or passive report; `null` turns the rule off.
   */
  degradedLatencyMillis?: number | null;
  /**
   * A healthy region whose availability over the window (0..1) is below this
   * is `degraded`, from its next probe or passive report; `null` turns the
   * rule off.
   */
  degradedAvailability?: number | null;
}

/** The probing settings in force (`null`: that degraded rule is off). */
export interface HealthSettingsState {
  /** Time between probes of one region. */
  intervalMillis: number;
  /** A probe slower than this fails. */
  timeoutMillis: number;
  /** Consecutive failed probes that make a region unhealthy. */
  failuresBeforeUnhealthy: number;
  /** Consecutive successful probes that bring an unhealthy region back. */
  successesBeforeHealthy: number;
  /** A healthy region with a latency EWMA above this is `degraded`; `null`: off. */
  degradedLatencyMillis: number | null;
  /** A healthy region with a windowed availability (0..1) below this is `degraded`; `null`: off. */
  degradedAvailability: number | null;
}

/** @internal Options after validation and defaults. */
export type ResolvedHealthOptions = z.output<typeof healthMonitorOptionsSchema>;
