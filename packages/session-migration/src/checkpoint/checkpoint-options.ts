import { MAX_TIMER_MILLIS, type Clock, type Metrics, type SessionAdapter, type SnapshotStore } from '@meridian/core';
import { hasMethods, isMetrics } from '@meridian/core/spi';
import { z } from 'zod';
import type { SnapshotCodec } from '../codec/snapshot-codec.js';
import type { SessionState } from '../migrator/migrator-types.js';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

const has = <T>(methods: string[], what: string) => z.custom<T>((v) => hasMethods(v, methods), `must be ${what}`);

/** A session as a checkpointer needs to see it. */
export interface CheckpointSession {
  /** Session id. */
  id: string;
  /** Region it is active in. */
  region: string;
  /** Only `active` sessions (or sessions without a state) are checkpointed. */
  state?: SessionState;
  /** Host metadata, passed on to the adapter. */
  metadata?: Record<string, string>;
}

/** Where a checkpointer learns the active sessions: a `SessionMigrator` is one. */
export interface CheckpointSessionSource {
  /** Every tracked session (called once per round). */
  sessions(): ReadonlyArray<CheckpointSession>;
}

/** @internal */
export const checkpointerOptionsSchema = z
  .object({
    adapter: has<SessionAdapter>(['snapshot'], 'a SessionAdapter (with snapshot, and optionally version)'),
    codec: has<SnapshotCodec>(['encode', 'decode'], 'a SnapshotCodec'),
    store: has<SnapshotStore>(['put', 'get', 'delete', 'list'], 'a SnapshotStore'),
    source: has<CheckpointSessionSource>(['sessions'], 'a session source (a SessionMigrator, or an object with sessions())'),
    clock: has<Clock>(['now', 'setTimeout'], 'a Clock').optional(),
    checkpointIntervalMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(5_000),
    timeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(30_000),
    concurrency: z.number().int().min(1).max(10_000).default(8),
    maxBytesPerSecond: z.number().positive().finite().optional(),
    metrics: z.custom<Metrics>(isMetrics, 'must be a Metrics (with counter, gauge, histogram, onCollect)').optional(),
  })
  .strict();

/** @internal */
export type ParsedCheckpointerOptions = ReturnType<typeof checkpointerOptionsSchema.parse>;

/** Options of {@link SessionCheckpointer}. */
export interface SessionCheckpointerOptions {
  /** The host's adapter: `snapshot` takes the state, the optional `version` skips unchanged sessions cheaply. */
  adapter: SessionAdapter;
  /** Encodes checkpoints (encryption, checksums): pass the migrator's codec, so the same keys rotate both. */
  codec: SnapshotCodec;
  /** Where checkpoints live, one per session under `ckpt.<sessionId>`. */
  store: SnapshotStore;
  /** Which sessions are active, and where: the `SessionMigrator`, or any object with `sessions()`. */
  source: CheckpointSessionSource;
  /** Time source. Default the system clock. */
  clock?: Clock;
  /** Time between rounds; the first round runs one interval after `start()`. Default 5000. */
  checkpointIntervalMillis?: number;
  /** Time limit of one session's checkpoint (version, snapshot, write). Default 30000. */
  timeoutMillis?: number;
  /** Sessions checkpointed in parallel. Default 8. */
  concurrency?: number;
  /** Encoded bytes written per second, at most (after an initial burst of one second's worth). Default unlimited. */
  maxBytesPerSecond?: number;
  /** Where `meridian_checkpoints_total` and `meridian_checkpoint_bytes_total` are recorded. Default `noopMetrics`. */
  metrics?: Metrics;
}
