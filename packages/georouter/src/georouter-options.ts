import { MAX_TIMER_MILLIS, type Clock, type Metrics, type EventSource, type HealthEvents, type Region, type RegionHealth, type WithErrorEvent } from '@meridian/core';
import { hasMethods, isMetrics } from '@meridian/core/spi';
import { z } from 'zod';
import type { GeoDatabase } from './geo/geo-database.js';
import type { Scorer } from './scoring.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what}`);

/** @internal */
export const geoRouterOptionsSchema = z
  .object({
    regions: z.array(z.unknown()).min(1, 'at least one region is required'),
    database: z.custom<GeoDatabase>((v) => typeof (v as GeoDatabase)?.place === 'function', 'must be a GeoDatabase (GeoDatabase.open(path))').optional(),
    monitor: has<HealthSource>(['on', 'get'], 'a HealthMonitor (with on, get)').optional(),
    scorer: z.custom<Scorer>((v) => typeof v === 'function', 'must be a function').optional(),
    degradedPenalty: z.number().min(1).max(1000).default(2),
    fallbackRegion: z.string().min(1).optional(),
    cache: z
      .object({
        maxEntries: z.number().int().min(0).max(100_000_000).default(100_000),
        ttlMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(300_000),
        key: z.enum(['ip', 'prefix']).default('ip'),
        prefixV4: z.union([z.literal(8), z.literal(16), z.literal(24), z.literal(32)]).default(24),
        prefixV6: z.number().int().min(16).max(128).multipleOf(16).default(48),
      })
      .strict()
      .prefault({}),
    affinity: z
      .object({
        ttlMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(3 * 60 * 60 * 1000),
        maxSessions: z.number().int().min(1).max(100_000_000).default(100_000),
      })
      .strict()
      .prefault({}),
    decisionSampleRate: z.number().min(0).max(1).default(0.01),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict();

/** The health a router reads: a `HealthMonitor` from `@meridian/core` fits. */
export interface HealthSource extends Pick<EventSource<WithErrorEvent<HealthEvents>>, 'on'> {
  /** Current health of one region. */
  get(regionId: string): RegionHealth;
}

/** Cache settings. */
export interface RouteCacheOptions {
  /** Most decisions kept. 0 turns the cache off. Default 100000. */
  maxEntries?: number;
  /** How long a decision is reused. Default 300000 (5 min). */
  ttlMillis?: number;
  /** `ip` (default): one entry per address; `prefix`: one per IPv4 /prefixV4 and IPv6 /prefixV6. */
  key?: 'ip' | 'prefix';
  /** 8, 16, 24 or 32. Default 24. */
  prefixV4?: 8 | 16 | 24 | 32;
  /** A multiple of 16 from 16 to 128. Default 48. */
  prefixV6?: number;
}

/** Session affinity settings. */
export interface AffinityOptions {
  /** How long a session sticks to its region. Default 10800000 (3 h, the seed's). */
  ttlMillis?: number;
  /** Most sessions remembered (least recently routed dropped first). Default 100000. */
  maxSessions?: number;
}

/** Options of {@link GeoRouter}. */
export interface GeoRouterOptions {
  /** Regions to route to (validated with core's `defineRegions`). */
  regions: Region[];
  /**
   * The IP database: `await GeoDatabase.open(path)`. Without one, clients are
   * routed by health, latency and weight only (default scorer `latencyScorer`),
   * `fallbackRegion` is refused and so are `residency: true` requests.
   */
  database?: GeoDatabase;
  /** Health and latency source. Without one, every region counts as healthy with unknown latency. */
  monitor?: HealthSource;
  /** Replaces the default formula: `seedScorer` (distance, latency, weight), or `latencyScorer` without a database. */
  scorer?: Scorer;
  /** A degraded region's score is multiplied by this. Default 2. */
  degradedPenalty?: number;
  /** Region for clients without a location (private, loopback, unknown IPs) when it is eligible. Default: the best by latency and weight. */
  fallbackRegion?: string;
  /** Decision cache. */
  cache?: RouteCacheOptions;
  /** Session affinity. */
  affinity?: AffinityOptions;
  /** Share of decisions emitted as `route:decision` (0..1). Default 0.01. */
  decisionSampleRate?: number;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Random source for sampling. Default Math.random. */
  random?: () => number;
  /**
   * Where `meridian_route_decisions_total` is recorded. Default `noopMetrics`.
   * The hot path only bumps the router's own per-region count (as for `stats()`);
   * the counter catches up from it when the metrics are read (`onCollect`).
   */
  metrics?: Metrics;
}

/** @internal */
export type ResolvedGeoRouterOptions = z.output<typeof geoRouterOptionsSchema>;
