import type { ReplicaVersion } from '../contracts/replica-store.js';
import type { MeridianErrorCode } from '../errors/meridian-error.js';

/** How a pair is doing. `held`: records wait because the source clock is skewed. */
export type SyncPairState = 'ok' | 'failing' | 'catching-up' | 'held';

/** Replication from one region to another. */
export interface SyncPairStatus {
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** State of the link. */
  state: SyncPairState;
  /** Changes of `from` not yet applied in `to` (as of the last scan). */
  pendingChanges: number;
  /** Age of the oldest pending change, or time since the last contact while failing; 0 when in step. */
  lagMillis: number;
  /** Encoded batch bytes carried (after compression). */
  bytesSent: number;
  /** Bytes of anti-entropy metadata (digests, leaf entries) read from both sides. */
  metadataBytes: number;
  /** JSON bytes before compression. */
  rawBytes: number;
  /** Records carried. */
  records: number;
  /** When the pair last completed a round (ms since epoch). */
  lastSyncAt: number | undefined;
  /** Failed rounds so far. */
  errors: number;
  /** The last failure. */
  lastError: SyncErrorInfo | undefined;
  /** While failing: the region that could not be reached (`from` or `to`). */
  unreachable: string | undefined;
}

/** A failure, secret-free. */
export interface SyncErrorInfo {
  /** MeridianError code (or `STORE_UNAVAILABLE` for unknown errors). */
  code: MeridianErrorCode;
  /** Message. */
  message: string;
  /** When (ms since epoch). */
  at: number;
}

/** Replication state of one region (as a target). */
export interface SyncRegionState {
  /** Region id. */
  regionId: string;
  /**
   * How far behind it is: the worst incoming pair. While the region itself cannot be reached this is
   * the time since its last round; a source that cannot be reached adds only the changes known to be waiting.
   */
  lagMillis: number;
  /** Changes waiting to reach it from every other region. */
  pendingChanges: number;
  /** Last time every incoming pair completed a round. */
  lastSyncAt: number | undefined;
  /** False while a pair cannot reach it. */
  reachable: boolean;
  /** Bytes sent from this region to the others. */
  bytesSent: number;
  /** Bytes received from the others. */
  bytesReceived: number;
  /** Failed rounds involving this region. */
  errors: number;
  /** Latest failure involving this region. */
  lastError: SyncErrorInfo | undefined;
}

/** A conflict waiting for `resolve` (manual policy). */
export interface PendingConflict {
  /** The key. */
  key: string;
  /** The concurrent versions, oldest first; the value shown meanwhile is the newest. */
  versions: ReplicaVersion[];
  /** Regions where it was seen. */
  regions: string[];
  /** First seen (ms since epoch). */
  detectedAt: number;
}

/** A pair finished a round that moved data. */
export interface SyncCompletedEvent {
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** `push` (new changes) or `anti-entropy` (a Merkle catch-up). */
  kind: 'push' | 'anti-entropy';
  /** Records written at the target. */
  records: number;
  /** Encoded bytes carried. */
  bytes: number;
  /** How long the round took. */
  durationMillis: number;
}

/** A region crossed `lagThresholdMillis`. */
export interface SyncLagEvent {
  /** Region (as a target). */
  regionId: string;
  /** Its lag now. */
  lagMillis: number;
  /** Changes waiting for it. */
  pendingChanges: number;
  /** True when it went over, false when it came back under. */
  lagging: boolean;
}

/** A round failed; it is retried. */
export interface SyncErrorEvent {
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** What failed. */
  error: SyncErrorInfo;
  /** Consecutive failures of this pair. */
  attempt: number;
  /** Backoff before the next attempt. */
  retryInMillis: number;
}

/** Concurrent writes met in a region. */
export interface SyncConflictEvent {
  /** The key. */
  key: string;
  /** Region where they met. */
  regionId: string;
  /** The concurrent versions, oldest first. */
  versions: ReplicaVersion[];
  /** What was kept (undefined when queued for `resolve`). */
  winner: ReplicaVersion | undefined;
  /** True under the `manual` policy. */
  queued: boolean;
}

/** `resolve()` settled a conflict. */
export interface SyncResolvedEvent {
  /** The key. */
  key: string;
  /** Region the resolution was written in. */
  regionId: string;
  /** Version of the resolution. */
  version: string;
}

/** A record was held back because its clock is ahead. */
export interface SyncClockSkewEvent {
  /** Source region. */
  from: string;
  /** Target region. */
  to: string;
  /** The held record's key. */
  key: string;
  /** How far ahead of the target's clock it is stamped. */
  skewMillis: number;
  /** The bound it exceeded. */
  maxClockSkewMillis: number;
}

/** Payloads of the Syncer's events. */
export interface SyncEvents {
  /** A pair finished a round that moved data (push or anti-entropy). */
  'sync:completed': SyncCompletedEvent;
  /** A region went over (`lagging: true`) or back under (`false`) `lagThresholdMillis`. */
  'sync:lag': SyncLagEvent;
  /** A round failed; it is retried after `retryInMillis`, nothing is lost. */
  'sync:error': SyncErrorEvent;
  /** Concurrent writes met. `queued` under `manual`; otherwise `winner` says what was kept. */
  'sync:conflict': SyncConflictEvent;
  /** A pending conflict was settled with `resolve`. */
  'sync:resolved': SyncResolvedEvent;
  /** A record stamped too far in the future was held back instead of applied. */
  'sync:clock-skew': SyncClockSkewEvent;
}
