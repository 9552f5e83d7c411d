/** Options of a planned failover. */
export interface PlannedFailoverOptions {
  /** Target region id. */
  to: string;
  /** Wait `drainMillis` for in-flight work on the old region. Default false. */
  drain?: boolean;
  /** Go ahead even when the target is not healthy. Default false. */
  force?: boolean;
  /** Why (kept in the report). */
  reason?: string;
  /** Cancels and rolls back. */
  signal?: AbortSignal;
}

/** Options of {@link FailoverManager.failback}. */
export interface FailbackRequest {
  /** Wait for the home region's replication lag to be under `failback.maxLagMillis` (needs a Syncer). */
  verifySync?: boolean;
  /** Wait (up to `healthWaitMillis`) for the home region to be healthy instead of refusing. */
  waitForHealth?: boolean;
  /** Cancels and rolls back. */
  signal?: AbortSignal;
}

/** Options of {@link FailoverManager.drill}. */
export interface DrillRequest {
  /** Region to fail over to for the drill. */
  to: string;
  /** How long traffic stays there. */
  durationMillis: number;
  /** Put traffic back at the end (default true). */
  autoRollback?: boolean;
  /** Stops early and rolls back. */
  signal?: AbortSignal;
}
