import type { GeoPoint } from '@meridian/core';
import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

/**
 * @internal Only the local-specific fields are checked here; the region fields
 * (id, location, weight ...) go through core's `defineRegions`, the one schema.
 */
export const localRegionSchema = z.looseObject({
  host: z
    .string()
    .regex(/^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/, 'must be a loopback IPv4 address (127.x.y.z)')
    .default('127.0.0.1'),
  port: z.number().int().min(0).max(65535).default(0),
  price: z
    .object({
      hourly: z.number().nonnegative().finite(),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"'),
      sku: z.string().min(1).optional(),
    })
    .strict()
    .optional(),
});

/** @internal */
export const localProviderOptionsSchema = z
  .object({
    regions: z.array(localRegionSchema).min(1, 'at least one region is required'),
    startTimeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(10_000),
    stopGraceMillis: z.number().int().min(0).max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(2_000),
    seed: z.number().int().default(1),
    workerPath: z.string().min(1).optional(),
    dataDir: z.string().min(1, 'must be a non-empty path').optional(),
  })
  .strict();

/** One region run by the local provider. */
export interface LocalRegionOptions {
  /** Region id, `^[a-z0-9][a-z0-9-]{0,62}$`. */
  id: string;
  /** Display name. */
  name?: string;
  /** Coordinates used by routing. */
  location: GeoPoint;
  /** Traffic weight, > 0. Default 100. */
  weight?: number;
  /** Failover priority, lower first. Default 0. */
  priority?: number;
  /** Labels. Default `{}`. */
  labels?: Record<string, string>;
  /** ISO country codes whose data may live here. */
  residency?: string[];
  /** Loopback address to listen on (any 127.x.y.z). Default `127.0.0.1`. */
  host?: string;
  /** Port; 0 picks a free one at first start and keeps it across restarts. Default 0. */
  port?: number;
  /**
   * Hourly price you declare for this region, returned by `prices()` for cost-aware
   * placement. The local provider has no price API: nothing is looked up. Default none.
   */
  price?: LocalRegionPrice;
}

/** A price declared by the user for a local region (not looked up anywhere). */
export interface LocalRegionPrice {
  /** Price per hour in `currency`, >= 0. */
  hourly: number;
  /** ISO 4217 code, e.g. `USD`. */
  currency: string;
  /** What is priced, free text (e.g. the size you compare against). */
  sku?: string;
}

/** Options of {@link createLocalProvider}. */
export interface LocalProviderOptions {
  /** The regions this provider can run. */
  regions: LocalRegionOptions[];
  /** How long a region may take to listen. Default 10000. */
  startTimeoutMillis?: number;
  /** How long a stopping region may take before SIGKILL. Default 2000. */
  stopGraceMillis?: number;
  /** Seed for the regions' fault randomness (failRate). Default 1. */
  seed?: number;
  /** Custom worker script (advanced). Default the built-in region server. */
  workerPath?: string;
  /**
   * Keeps each region's sessions on disk, so they survive a killed region. Default none: sessions live in the
   * region process's memory and a restarted region is empty.
   *
   * The provider creates `${dataDir}/${regionId}/sessions` when it starts a region; the region writes one file per
   * session on every change (atomically: a SIGKILL never leaves a torn file; no fsync, so a machine crash may
   * lose recent writes) and removes it when the session is deleted. A restarted region loads every file back
   * **suspended**, marked `fenced: 'restarted'`: it serves none of them until the control plane activates them
   * again (with their epoch), since meanwhile they may have been recovered in another region. Files it cannot
   * read are skipped with a message on stderr. The region-wide version counter does not go back across restarts.
   * Key/value and replica data stay in memory. One provider per directory: two running the same region ids on
   * the same `dataDir` would overwrite each other's files.
   */
  dataDir?: string;
}
