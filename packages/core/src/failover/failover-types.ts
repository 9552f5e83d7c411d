import type { TrafficWeights } from '../contracts/region-provider.js';

/** What started a traffic change. */
export type FailoverKind = 'automatic' | 'planned' | 'failback' | 'drill' | 'drill-rollback';

/** How a step ended. */
export type StepStatus = 'running' | 'completed' | 'failed' | 'skipped' | 'rolled-back' | 'rollback-failed';

/** One step of a failover, as reported. */
export interface StepRecord {
  /** `verify-target`, `sync`, `shift-traffic`, `verify-routing`, `drain`, `hold`, `verify-served`, `rollback`. */
  name: string;
  /** Outcome so far. */
  status: StepStatus;
  /** When it started, epoch ms (manager's clock). */
  startedAt: number;
  /** When it ended. */
  finishedAt?: number;
  /** What happened (never secrets). */
  detail?: string;
}

/** Result of a failover, failback or drill. */
export interface FailoverReport {
  /** Operation id. */
  id: string;
  /** What it was. */
  kind: FailoverKind;
  /** Regions that had traffic before. */
  from: string[];
  /**
   * Region that receives traffic (for drills: during the drill). When traffic is
   * spread over several regions (active-active failover and manual failback) this
   * is their ids joined by `,`, and an active-active automatic failback names the
   * recovered region: read {@link FailoverReport.toRegions} for the list.
   */
  to: string;
  /** Regions with traffic after it (for drills: during the drill), like `from`. */
  toRegions: string[];
  /** Why it ran. */
  reason: string;
  /** `completed`, `failed` (rolled back), or `cancelled` (rolled back). */
  outcome: 'completed' | 'failed' | 'cancelled';
  /** The step that failed, if any. */
  failedStep?: string;
  /** The failure, if any. */
  error?: string;
  /** Every step with timings. */
  steps: StepRecord[];
  /** Weights before. */
  weightsBefore: TrafficWeights;
  /** Weights after (equal to before when rolled back). */
  weightsAfter: TrafficWeights;
  /** When it started, epoch ms. */
  startedAt: number;
  /** How long it took. */
  durationMillis: number;
}

/** Extra timings of a drill. */
export interface DrillReport extends FailoverReport {
  /** Time to shift traffic to the target. */
  failoverMillis: number;
  /** Time traffic stayed on the target. */
  heldMillis: number;
  /** Time to shift back. */
  rollbackMillis: number;
  /** Whether the target was seen serving through the provider. */
  targetServed: boolean;
  /** Set when the drill stopped before its duration (e.g. the target turned unhealthy). */
  abortedEarly?: string;
  /** Whether traffic was put back as it was. */
  rolledBack: boolean;
}

/** Progress of a running operation. */
export interface FailoverProgress {
  /** Operation id. */
  id: string;
  /** Operation kind. */
  kind: FailoverKind;
  /** The step. */
  step: StepRecord;
}

/** Payload of `failover:started`. */
export interface FailoverStartedEvent {
  /** Operation id. */
  id: string;
  /** What started it. */
  kind: FailoverKind;
  /** Regions with traffic before. */
  from: string[];
  /** Target region; several are joined by `,` (see {@link FailoverReport.to}). */
  to: string;
  /** Regions with traffic after, if it completes. */
  toRegions: string[];
  /** Why. */
  reason: string;
  /** When, epoch ms. */
  at: number;
}

/** Payload of `failover:no-healthy-region`. */
export interface NoHealthyRegionEvent {
  /** The weights kept (the last good state: never blackhole everything). */
  weights: TrafficWeights;
  /** Region that failed. */
  failed: string;
  /** When, epoch ms. */
  at: number;
}

/** Payload of `failback:scheduled` and `failback:cancelled`. */
export interface FailbackScheduleEvent {
  /** Region that recovered. */
  regionId: string;
  /** When the hold-down ends (scheduled) or was cancelled, epoch ms. */
  at: number;
  /** Why cancelled, or `hold-down` when scheduled. */
  reason: string;
}

/** Payload of `lease:acquired` and `lease:lost`. */
export interface LeaseEvent {
  /** This manager's holder id. */
  holder: string;
  /** Fencing token (acquired) or the lost one. */
  token: number;
  /** Why it was lost, for `lease:lost`. */
  reason?: string;
}

/** Payload of `traffic:changed`. */
export interface TrafficChangedEvent {
  /** New weights. */
  weights: TrafficWeights;
  /** Previous weights. */
  previous: TrafficWeights;
  /** What changed them. */
  kind: FailoverKind | 'initial';
  /** Fencing token used. */
  fencingToken: number;
}

/** Events of a {@link FailoverManager}. */
export interface FailoverEvents {
  /** A failover, failback or drill began. */
  'failover:started': FailoverStartedEvent;
  /** It completed. */
  'failover:completed': FailoverReport;
  /** It failed or was cancelled; `steps` tell what was rolled back. */
  'failover:failed': FailoverReport;
  /** A step moved. */
  'failover:progress': FailoverProgress;
  /** The active region failed and no other region is healthy: last good weights kept. */
  'failover:no-healthy-region': NoHealthyRegionEvent;
  /** A recovered region waits out the hold-down before regaining traffic. */
  'failback:scheduled': FailbackScheduleEvent;
  /** Hold-down reset: the region failed again (or was removed from the plan). */
  'failback:cancelled': FailbackScheduleEvent;
  /** A drill ended (rolled back or not). */
  'drill:completed': DrillReport;
  /** This manager now holds the lease and may act. */
  'lease:acquired': LeaseEvent;
  /** This manager lost the lease and stopped acting. */
  'lease:lost': LeaseEvent;
  /** Traffic weights were applied through the provider. */
  'traffic:changed': TrafficChangedEvent;
}

/** A running operation, by id. */
export interface OperationRef {
  /** Operation id. */
  id: string;
  /** What it is. */
  kind: FailoverKind;
}

/** A region waiting out its failback hold-down. */
export interface PendingFailback {
  /** Region id. */
  regionId: string;
  /** When the failback will be tried: the end of the hold-down, or of the wait before the next check. Epoch ms. */
  at: number;
}

/** Snapshot of a manager. */
export interface FailoverManagerStatus {
  /** `active-passive` or `active-active`. */
  mode: 'active-passive' | 'active-active';
  /** Regions with weight > 0. */
  active: string[];
  /** Current weights. */
  weights: TrafficWeights;
  /** The preferred region (lowest priority number). */
  home: string;
  /** Whether this manager holds the lease. */
  isLeader: boolean;
  /** This manager's holder id. */
  holder: string;
  /** The running operation, if any. */
  operation?: OperationRef;
  /** Regions waiting out a failback hold-down, with when it ends. */
  pendingFailbacks: PendingFailback[];
  /** The last completed or failed operation. */
  lastFailover?: FailoverReport;
  /** Recent operations, newest last (bounded by `historyLimit`). */
  history: FailoverReport[];
}
