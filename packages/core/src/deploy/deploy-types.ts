import type { DeployProgress, DeploySpec, TrafficWeights } from '../contracts/region-provider.js';

/** How the deployed regions share traffic. */
export type DeployStrategy = 'active-active' | 'active-passive' | 'regional';

/** What to do with regions that succeeded when another fails. */
export type FailurePolicy = 'continue' | 'rollback';

/** Where one region's deployment stands. */
export type RegionDeployStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'rolled-back';

/** The configuration one region gets: the spec with its overrides applied. */
export interface RegionDeployConfig {
  /** Region id. */
  regionId: string;
  /** Environment, `REGION` (and `TZ`, `LOCALE` when known) included. */
  env: Record<string, string>;
  /** Machine size, when the spec or an override gives one. */
  size?: string;
  /** Copies to run. Default 1. */
  replicas: number;
  /** IANA time zone, when given. */
  timezone?: string;
  /** BCP 47 locale, when given. */
  locale?: string;
}

/** One region of a deployment. */
export interface RegionDeployState {
  /** Region id. */
  regionId: string;
  /** Where it stands. */
  status: RegionDeployStatus;
  /** Its resolved configuration. */
  config: RegionDeployConfig;
  /** Where it answers, once completed. */
  endpoint?: string;
  /** Why it failed (never secrets). */
  error?: string;
  /** When its deploy started (ms since epoch). */
  startedAt?: number;
  /** When its deploy ended (ms since epoch). */
  finishedAt?: number;
  /** Provider steps seen, in order. */
  steps: Array<Pick<DeployProgress, 'step' | 'status' | 'message'>>;
}

/**
 * Everything needed to pick a deployment up again in another process: plain
 * JSON. `resume(state)` redeploys only the regions that are not `completed`.
 */
export interface DeployState {
  /** Format version of this object. */
  version: 1;
  /** Deployment id. */
  id: string;
  /** The spec as requested. */
  spec: DeploySpec;
  /** Traffic strategy. */
  strategy: DeployStrategy;
  /** The serving region under `active-passive`. */
  primary: string | undefined;
  /** Failure policy. */
  onFailure: FailurePolicy;
  /** Apply the strategy's weights when done. */
  applyTraffic: boolean;
  /** Fencing token passed to `setTraffic`. */
  fencingToken?: number;
  /** Per region, in spec order. */
  regions: RegionDeployState[];
  /** When it first started. */
  startedAt: number;
}

/** How a deployment ended. */
export type DeployOutcome = 'completed' | 'partial' | 'failed' | 'rolled-back' | 'cancelled';

/** Result of a deployment. */
export interface DeploymentReport {
  /** Deployment id. */
  id: string;
  /** Workload name. */
  name: string;
  /** Strategy. */
  strategy: DeployStrategy;
  /** How it ended. */
  outcome: DeployOutcome;
  /** Per region. */
  regions: RegionDeployState[];
  /** Weights applied at the end (when `applyTraffic`). */
  weights: TrafficWeights | undefined;
  /** Wall-clock duration of this run. */
  durationMillis: number;
  /** Sum of the per-region durations: what one region after another would have taken. */
  serialMillis: number;
  /** `serialMillis / durationMillis`: what running regions in parallel saved. */
  speedup: number;
  /** Regions skipped because they were already completed (a resume). */
  resumed: string[];
}

/** Progress of a deployment as a whole. */
export interface DeploymentProgress {
  /** Deployment id. */
  id: string;
  /** The step that just moved. */
  step: DeployProgress;
  /** Regions completed so far, of `total`. */
  completed: number;
  /** Regions failed so far. */
  failed: number;
  /** Regions in the deployment. */
  total: number;
}

/** Payloads of the deployer's events. */
export interface DeployEvents {
  /** A provider step started, completed or failed in some region. */
  'deploy:progress': DeploymentProgress;
  /** A region finished deploying. */
  'deploy:region-completed': {
    /** Deployment id. */
    id: string;
    /** Region id. */
    regionId: string;
    /** Where it answers. */
    endpoint: string;
    /** How long its deploy took. */
    durationMillis: number;
  };
  /** A region failed to deploy. */
  'deploy:region-failed': {
    /** Deployment id. */
    id: string;
    /** Region id. */
    regionId: string;
    /** Why it failed (never secrets). */
    error: string;
  };
  /** The deployment ended (any outcome). */
  'deploy:completed': DeploymentReport;
}
