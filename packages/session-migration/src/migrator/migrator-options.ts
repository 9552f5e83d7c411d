import { MAX_TIMER_MILLIS, type Clock, type Metrics, type LeaseStore, type Region, type Router, type SessionAdapter, type SessionRegistry, type SnapshotStore } from '@meridian/core';
import { hasMethods, isMetrics } from '@meridian/core/spi';
import { z } from 'zod';
import type { SnapshotCodec } from '../codec/snapshot-codec.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what}`);

/** @internal */
export const migratorOptionsSchema = z
  .object({
    adapter: has<SessionAdapter>(['snapshot', 'suspend', 'restore', 'activate', 'discard'], 'a SessionAdapter (snapshot, suspend, restore, activate, discard)'),
    codec: has<SnapshotCodec>(['encode', 'decode'], 'a SnapshotCodec'),
    store: has<SnapshotStore>(['put', 'get', 'delete', 'list'], 'a SnapshotStore'),
    leaseStore: has<LeaseStore>(['acquire', 'renew', 'release', 'current'], 'a LeaseStore').optional(),
    registry: has<SessionRegistry>(['get', 'list', 'put', 'delete'], 'a SessionRegistry (get, list, put, delete)').optional(),
    router: has<Router>(['route', 'setDrained'], 'a Router').optional(),
    regions: z.array(z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })])).optional(),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    lockTtlMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(60_000),
    timeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(30_000),
    retries: z.number().int().min(0).max(10).default(0),
    retryBackoffMillis: z.number().int().min(0).max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(200),
    concurrency: z.number().int().min(1).max(10_000).default(16),
    recoveryConcurrency: z.number().int().min(1).max(10_000).default(64),
    recoveryTimeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(30_000),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
    batchSize: z.number().int().min(1).max(1024).default(64),
  })
  .strict();

/** Options of {@link SessionMigrator}. */
export interface SessionMigratorOptions {
  /** The host's adapter for its kind of session. */
  adapter: SessionAdapter;
  /** Encodes snapshots (encryption, checksums). */
  codec: SnapshotCodec;
  /** Where snapshots travel. */
  store: SnapshotStore;
  /** Per-session locks across instances. Default a MemoryLeaseStore (one process). */
  leaseStore?: LeaseStore;
  /**
   * Which session is active where, shared by control-plane instances: every
   * registration and every move is written there (a move commits by
   * compare-and-set on the session's fencing epoch). A second instance calls
   * `load()` to know every session. Default a `MemorySessionRegistry` (one process).
   */
  registry?: SessionRegistry;
  /** For `evacuate` with no explicit target: nearest healthy region per session (from `metadata.clientIp`). */
  router?: Router;
  /** Regions (or their ids) that `statistics().byRegion` always lists, with 0 when empty. Regions sessions are registered or migrated in are listed too. Default none. */
  regions?: ReadonlyArray<string | Pick<Region, 'id'>>;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Lock time to live; longer than any migration. Default 60000. */
  lockTtlMillis?: number;
  /** Default time limit of one migration attempt. Default 30000. */
  timeoutMillis?: number;
  /** Default attempts after the first. Default 0. */
  retries?: number;
  /** Pause before retry n: n × this. Default 200. */
  retryBackoffMillis?: number;
  /** Default parallel migrations in batches and evacuations. Default 16. */
  concurrency?: number;
  /** Sessions recovered in parallel by `recoverRegion` (restores from checkpoints are cheaper than live moves). Default 64. */
  recoveryConcurrency?: number;
  /**
   * How long `recoverRegion` keeps trying a session whose checkpoint cannot be
   * read yet (snapshot store down) or whose target refuses; after that it is
   * left suspended (checkpoint kept, counted failed) for the next call. Default 30000.
   */
  recoveryTimeoutMillis?: number;
  /** Where `meridian_migrations_total` and `meridian_migration_duration_seconds` are recorded. Default `noopMetrics`. */
  metrics?: Metrics;
  /**
   * Most sessions in one batch call to a region (`suspendMany`, `restoreJsonMany`,
   * `activateMany`, `discardMany`), used when the adapter has them: the migrations
   * that reach the same step towards the same region in one turn of the event loop
   * share a call. 1 sends every call on its own. Default 64.
   */
  batchSize?: number;
}
