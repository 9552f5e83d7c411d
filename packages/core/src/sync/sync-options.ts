import { z } from 'zod';
import { millisSchema } from '../config/millis-schema.js';
import type { Clock } from '../clock/clock.js';
import { hasMethods } from '../config/has-methods.js';
import { isMetrics } from '../metrics/is-metrics.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ReplicaStore } from '../contracts/replica-store.js';
import { regionIdSchema } from '../regions/region.js';
import type { CompressionSetting } from './batch-codec.js';
import type { ConflictPolicy } from './conflict-resolution.js';

const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what} (with ${methods.join(', ')})`);
const millis = millisSchema;

/** @internal */
export const syncOptionsSchema = z
  .object({
    regions: z
      .array(
        z
          .object({
            id: regionIdSchema,
            store: has<ReplicaStore>(['getMany', 'apply', 'scan', 'digest', 'entries'], 'a ReplicaStore'),
            priority: z.number().int().min(0).optional(),
          })
          .strict(),
      )
      .min(2, 'sync needs at least two regions')
      .refine((list) => new Set(list.map((r) => r.id)).size === list.length, 'region ids must be unique'),
    mode: z.enum(['active-active', 'active-passive']).default('active-active'),
    primary: regionIdSchema.optional(),
    conflictPolicy: z
      .union([z.enum(['latest-wins', 'primary-wins', 'manual']), z.custom<ConflictPolicy>((v) => typeof v === 'function', 'must be latest-wins, primary-wins, manual or a resolver function')])
      .default('latest-wins'),
    intervalMillis: millis.default(1000),
    antiEntropyIntervalMillis: millis.default(300_000),
    maxBytesPerSecond: z.number().positive().finite().optional(),
    burstBytes: z.number().int().positive().optional(),
    compression: z.enum(['auto', 'none', 'gzip', 'brotli']).default('auto'),
    compressionThresholdBytes: z.number().int().min(0).default(1024),
    maxBatchRecords: z.number().int().min(1).max(100_000).default(500),
    maxBatchBytes: z.number().int().min(1024).default(1_048_576),
    maxValueBytes: z.number().int().min(1).default(262_144),
    maxClockSkewMillis: millis.default(5000),
    tombstoneTtlMillis: millis.default(86_400_000),
    lagThresholdMillis: millis.default(10_000),
    retry: z
      .object({
        initialDelayMillis: millis.default(500),
        maxDelayMillis: millis.optional(),
        jitterFraction: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      // The default largest delay follows a longer initial one instead of refusing it.
      .transform((r) => ({ ...r, maxDelayMillis: r.maxDelayMillis ?? Math.max(30_000, r.initialDelayMillis) }))
      .prefault({}),
    maxRoundsPerTick: z.number().int().min(1).max(10_000).default(100),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning [0, 1)').optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    const ids = o.regions.map((r) => r.id);
    if (o.primary !== undefined && !ids.includes(o.primary)) {
      ctx.addIssue({ code: 'custom', path: ['primary'], message: `unknown region; known: ${ids.join(', ')}` });
    }
    if (o.retry.maxDelayMillis < o.retry.initialDelayMillis) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'maxDelayMillis'], message: `must be at least retry.initialDelayMillis (${o.retry.initialDelayMillis})` });
    }
  });

/** @internal What `CrossRegionSync.configure` accepts: the settings that may change while it runs. */
export const syncSettingsSchema = z
  .object({
    intervalMillis: millis.optional(),
    maxBytesPerSecond: z.number().positive().finite().nullable().optional(),
    burstBytes: z.number().int().positive().nullable().optional(),
  })
  .strict()
  .refine((s) => Object.values(s).some((v) => v !== undefined), 'give at least one of intervalMillis, maxBytesPerSecond, burstBytes');

/** Settings {@link CrossRegionSync.configure} changes at runtime; what is left out stays as it is. */
export interface SyncSettings {
  /** Push changes every this often; the next round comes this long after the call. */
  intervalMillis?: number;
  /** Bandwidth limit per region pair, bytes per second; `null` lifts it. */
  maxBytesPerSecond?: number | null;
  /** Burst of the bandwidth limit; `null` goes back to the default (maxBytesPerSecond / 4, at least 64 KiB). */
  burstBytes?: number | null;
}

/** The runtime settings in force, as {@link CrossRegionSync.configure} returns them. */
export interface SyncSettingsState {
  /** Push interval. */
  intervalMillis: number;
  /** Bandwidth limit per pair, bytes per second; undefined when unlimited. */
  maxBytesPerSecond: number | undefined;
  /** Burst of the limit; undefined for the default. */
  burstBytes: number | undefined;
}

/** @internal */
export type ResolvedSyncOptions = z.output<typeof syncOptionsSchema>;

/** One region taking part in sync. */
export interface SyncRegion {
  /** Region id. */
  id: string;
  /** The region's data. */
  store: ReplicaStore;
  /** For `primary-wins` and the default primary: lower ranks first. Default the list order. */
  priority?: number;
}

/** Backoff of a pair whose peer is down: doubling from the initial delay to the maximum, with jitter. */
export interface SyncRetryOptions {
  /** First delay. Default 500. */
  initialDelayMillis?: number;
  /** Largest delay; >= initialDelayMillis. Default 30000, or initialDelayMillis when that is longer. */
  maxDelayMillis?: number;
  /** ± this fraction of randomness on each delay. Default 0.2. */
  jitterFraction?: number;
}

/** Options of {@link CrossRegionSync}. Defaults are given per option. */
export interface CrossRegionSyncOptions {
  /** At least two regions, ids unique. */
  regions: SyncRegion[];
  /** `active-active` (every region writes; changes flow every way) or `active-passive` (only the primary writes; changes flow out of it). Default `active-active`. */
  mode?: 'active-active' | 'active-passive';
  /** The writing region in `active-passive` (and the first choice for `resolve`). Default the region with the lowest priority. */
  primary?: string;
  /** How concurrent writes are settled: `latest-wins` (HLC order), `primary-wins` (priority, then HLC), `manual` (queued for `resolve`), or a deterministic resolver. Default `latest-wins`. */
  conflictPolicy?: ConflictPolicy;
  /** Push changes every this often. Default 1000. */
  intervalMillis?: number;
  /** Full Merkle comparison of every pair this often (catches anything a push missed). Default 300000 (5 minutes). */
  antiEntropyIntervalMillis?: number;
  /** Bandwidth limit per region pair, bytes per second of encoded batches. Default unlimited. */
  maxBytesPerSecond?: number;
  /** Bytes a pair may send at once after being idle; also absorbs the time spent between batches. Default maxBytesPerSecond / 4 (at least 64 KiB). */
  burstBytes?: number;
  /** Batch compression: `auto` (none under `compressionThresholdBytes`, gzip, brotli from 64 KiB), or forced. Default `auto`. */
  compression?: CompressionSetting;
  /** `auto` leaves smaller batches uncompressed. Default 1024. */
  compressionThresholdBytes?: number;
  /** Records per batch. Default 500. */
  maxBatchRecords?: number;
  /** JSON bytes per batch (a single larger record still goes alone). Default 1048576. */
  maxBatchBytes?: number;
  /** Largest value accepted by `write` and carried between regions. Default 262144. */
  maxValueBytes?: number;
  /** Records stamped further ahead of this clock are held (a `sync:clock-skew` event), not applied. Default 5000. */
  maxClockSkewMillis?: number;
  /** Tombstones older than this are purged (after every region had the chance to see them). Default 86400000 (1 day). */
  tombstoneTtlMillis?: number;
  /** A region further behind than this raises `sync:lag`. Default 10000. */
  lagThresholdMillis?: number;
  /** Backoff for a pair whose peer is down. */
  retry?: SyncRetryOptions;
  /** Batches one pair may send in one tick before yielding to the next tick. Default 100. */
  maxRoundsPerTick?: number;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Randomness for backoff jitter. Default Math.random. */
  random?: () => number;
  /** Where `meridian_sync_lag_seconds`, `meridian_sync_bytes_total` and `meridian_conflicts_total` are recorded. Default `noopMetrics`. */
  metrics?: Metrics;
}
