import type { TrafficWeights } from '../../contracts/region-provider.js';
import type { HealthState } from '../../health/health-types.js';
import type { FailoverRegion } from '../failover-options.js';

/** What a traffic policy sees of its manager. */
export interface PolicyContext {
  /** Regions by priority; the first is home. */
  readonly regions: readonly FailoverRegion[];
  /** The preferred region (lowest priority number). */
  readonly home: string;
  /** A region's health state (`unknown` when not watched). */
  state(regionId: string): HealthState;
  /** The weights applied now. */
  weights(): TrafficWeights;
}

/** A traffic change a policy asks for. */
export interface TrafficMove {
  /** Weights to apply. */
  weights: TrafficWeights;
  /** The report's `to`: the target region, or the regions with traffic after joined by `,`. */
  to: string;
  /** Updates the policy once the move completed (never called when it was rolled back). */
  settle(): void;
}

/** What to do after a health change. */
export type FailureDecision =
  /** Move traffic away from failing regions. */
  | { kind: 'move'; move: TrafficMove; reason: string }
  /** Nowhere to go: keep the last good weights and report `failed`. */
  | { kind: 'no-healthy'; failed: string }
  /** What serves is fine (a later panic may be reported again). */
  | { kind: 'serving' }
  /** Nothing to do. */
  | { kind: 'none' };

/**
 * How a recovered region regains traffic after its hold-down: `failback` runs the
 * whole failback (health check of home, shift, verify); `shift` only shifts and verifies.
 */
export interface RecoveryMove {
  /** Which steps run. */
  steps: 'failback' | 'shift';
  /** The change. */
  move: TrafficMove;
}

/**
 * A traffic strategy: which regions are active, what weights to apply on failure
 * and on recovery, and what failback means. The manager owns leases, steps,
 * timers and events; a policy only decides. A new strategy is a new file.
 */
export interface TrafficPolicy {
  /** The weights wanted now (applied when the lease is acquired). */
  desired(): TrafficWeights;
  /** A new leader starts from what health says now, not from a stale plan. */
  leadershipGained(): void;
  /** Decides after health moved (also after an operation ended). */
  onHealthChange(): FailureDecision;
  /** Whether `regionId`, now healthy, lost traffic by failing and should regain it. */
  needsFailback(regionId: string): boolean;
  /** The move once `regionId` stayed healthy for the hold-down. */
  recover(regionId: string): RecoveryMove;
  /** A manual failback: back to the policy's normal state. */
  failback(): TrafficMove;
  /** A planned failover (or a drill kept on its target) settled on `to`. */
  settleOn(to: string): void;
}
