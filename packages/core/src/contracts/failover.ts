import type { TrafficWeights } from './region-provider.js';

/** A planned failover request. */
export interface FailoverRequest {
  /** Target region id. */
  to: string;
  /** Drain the old region before finishing. */
  drain?: boolean;
  /** Proceed even when the target is not healthy. */
  force?: boolean;
  /** Aborts and rolls back. */
  signal?: AbortSignal;
}

/** Snapshot of failover state. */
export interface FailoverStatus {
  /** Regions currently receiving traffic. */
  active: string[];
  /** Current weights. */
  weights: TrafficWeights;
  /** Holder of the failover lease, if known. */
  leaseHolder?: string;
}

/** Moves traffic between regions. Implemented by core's FailoverManager. */
export interface Failover {
  /** Planned failover to a region. */
  failover(request: FailoverRequest): Promise<FailoverStatus>;
  /** Current state. */
  status(): FailoverStatus;
}
