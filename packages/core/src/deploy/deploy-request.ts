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
  /** Apply the strategy's traffic weights through the provider when done. Default true. */
  applyTraffic?: boolean;
  /** Cancels the deployment: every provider call in flight is aborted. */
  signal?: AbortSignal;
}
