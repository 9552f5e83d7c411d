import type { DeploySpec } from '../contracts/region-provider.js';
import type { DeployStrategy, FailurePolicy } from './deploy-types.js';

/** What to deploy, and how. */
export interface DeployRequest {
  /** The workload and its regions (with per-region overrides). */
  spec: DeploySpec;
  /** How the regions share traffic afterwards. Default `active-active`. */
  strategy?: DeployStrategy;
  /** The serving region under `active-passive`. Default the first region of the spec. */
  primary?: string;
  /** `continue`: keep the regions that succeeded; `rollback`: destroy them when any region fails. Default `continue`. */
  onFailure?: FailurePolicy;
  /**
   * Apply the strategy's traffic weights through the provider when done. Default true. The weights cover
   * the spec's regions; a provider that zeroes regions left out of `setTraffic` (the local one does) takes
   * traffic away from regions outside the spec. Pass `false` when a FailoverManager owns the weights.
   */
  applyTraffic?: boolean;
  /** Fencing token of the lease the caller acts under, passed to `setTraffic` (see FailoverManager). */
  fencingToken?: number;
  /** Cancels the deployment: every provider call in flight is aborted. */
  signal?: AbortSignal;
}
