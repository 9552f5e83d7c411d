import type { Clock } from '../clock/clock.js';
import { MeridianError, type MeridianErrorCode } from '../errors/meridian-error.js';
import { TokenBucket } from './token-bucket.js';
import type { SyncErrorInfo, SyncPairState, SyncPairStatus } from './sync-types.js';

/** Retry settings of a pair. */
export interface PairRetry {
  initialDelayMillis: number;
  maxDelayMillis: number;
  jitterFraction: number;
}

/** Bandwidth settings of a pair. */
export interface PairBandwidth {
  maxBytesPerSecond: number | undefined;
  burstBytes: number | undefined;
}

/**
 * One direction of replication (from → to): where its cursor is, whether it
 * needs a Merkle catch-up, its backoff after failures, its bandwidth bucket and
 * its counters.
 */
export class SyncPair {
  /** Highest source `seq` known applied at the target; undefined until the first catch-up. */
  cursor: number | undefined;
  /** Next round must be an anti-entropy walk (start, a heal, or the periodic check). */
  needsCatchUp = true;
  /** The target store's highest sequence last seen; a smaller one later means it lost data. */
  targetHead: number | undefined;
  /** Held back by a skewed clock until this key's record is acceptable. */
  heldKey: string | undefined;
  /**
   * Keys the source merged (a conflict settled there) into a record whose
   * winning version another region wrote. The push reads the source's own
   * writes only, so without this the merge, and a version of the source's
   * that lost before it was pushed, would reach the target only with the next
   * Merkle walk: under `manual` the target would not queue the conflict, and
   * under a custom resolver it would keep a different value, until then.
   */
  readonly forward = new Set<string>();
  pending = 0;
  oldestPendingWall: number | undefined;
  bytesSent = 0;
  metadataBytes = 0;
  rawBytes = 0;
  records = 0;
  lastSyncAt: number | undefined;
  errors = 0;
  lastError: SyncErrorInfo | undefined;
  /** Which side the last failure was on: an unreachable source leaves the target's lag unknown, not growing. */
  failedSide: 'source' | 'target' | undefined;
  #failures = 0;
  #nextAttemptAt = 0;
  #bucket: TokenBucket | undefined;

  constructor(
    readonly from: string,
    readonly to: string,
    readonly startedAt: number,
    private readonly clock: Clock,
    private readonly retry: PairRetry,
    private readonly random: () => number,
    bandwidth: PairBandwidth,
  ) {
    this.setBandwidth(bandwidth);
  }

  /** The bandwidth limit, if any: batches take their bytes from it before they are sent. */
  get bucket(): TokenBucket | undefined {
    return this.#bucket;
  }

  /** Replaces the limit (a fresh bucket, full burst); undefined `maxBytesPerSecond` lifts it. A batch already waiting finishes at the old rate. */
  setBandwidth(bandwidth: PairBandwidth): void {
    if (bandwidth.maxBytesPerSecond === undefined) {
      this.#bucket = undefined;
      return;
    }
    const burst = bandwidth.burstBytes ?? Math.max(65_536, Math.floor(bandwidth.maxBytesPerSecond / 4));
    this.#bucket = new TokenBucket({ ratePerSecond: bandwidth.maxBytesPerSecond, burst, clock: this.clock });
  }

  /** False while backing off after a failure. */
  due(now: number): boolean {
    return now >= this.#nextAttemptAt;
  }

  get failing(): boolean {
    return this.#failures > 0;
  }

  /** Records a failed round; returns the attempt number and the backoff before the next. */
  fail(error: unknown, side: 'source' | 'target'): { info: SyncErrorInfo; attempt: number; retryInMillis: number } {
    this.#failures += 1;
    this.failedSide = side;
    this.errors += 1;
    const info = errorInfo(error, this.clock.now());
    this.lastError = info;
    const base = Math.min(this.retry.maxDelayMillis, this.retry.initialDelayMillis * 2 ** Math.min(this.#failures - 1, 30));
    const jitter = base * this.retry.jitterFraction * (this.random() * 2 - 1);
    const retryInMillis = Math.max(0, Math.round(base + jitter));
    this.#nextAttemptAt = this.clock.now() + retryInMillis;
    // Whatever the target missed while unreachable is found by the Merkle walk, not a replay.
    this.needsCatchUp = true;
    return { info, attempt: this.#failures, retryInMillis };
  }

  /** Records a completed round. */
  succeed(): void {
    this.#failures = 0;
    this.failedSide = undefined;
    this.#nextAttemptAt = 0;
    this.lastSyncAt = this.clock.now();
  }

  /** Lag as status reports it. */
  lagMillis(now: number): number {
    // The target cannot be reached: it gets nothing, so it falls behind by the time since the last round.
    if (this.failing && this.failedSide === 'target') return Math.max(0, now - (this.lastSyncAt ?? this.startedAt));
    // Otherwise: the oldest change known to be waiting (a source that went away may hold more; status says it is unreachable).
    if (this.pending === 0 || this.oldestPendingWall === undefined) return 0;
    return Math.max(0, now - this.oldestPendingWall);
  }

  state(): SyncPairState {
    if (this.failing) return 'failing';
    if (this.heldKey !== undefined) return 'held';
    if (this.needsCatchUp) return 'catching-up';
    return 'ok';
  }

  status(now: number): SyncPairStatus {
    return {
      from: this.from,
      to: this.to,
      state: this.state(),
      pendingChanges: this.pending,
      lagMillis: this.lagMillis(now),
      bytesSent: this.bytesSent,
      metadataBytes: this.metadataBytes,
      rawBytes: this.rawBytes,
      records: this.records,
      lastSyncAt: this.lastSyncAt,
      errors: this.errors,
      lastError: this.lastError,
      unreachable: this.failing ? (this.failedSide === 'source' ? this.from : this.to) : undefined,
    };
  }
}

/** A secret-free summary of any error. */
export function errorInfo(error: unknown, at: number): SyncErrorInfo {
  if (MeridianError.isInstance(error)) return { code: error.code, message: error.message, at };
  const code: MeridianErrorCode = 'STORE_UNAVAILABLE';
  return { code, message: error instanceof Error ? error.message : String(error), at };
}
