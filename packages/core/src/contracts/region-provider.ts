/** What to run: one workload spec deployed to several regions. */
export interface DeploySpec {
  /** Name of the workload, e.g. `checkout-api`. */
  name: string;
  /** Regions to deploy to (ids known to the provider). */
  regions: string[];
  /** Provider-specific payload: an image, a command, a manifest. */
  workload?: Record<string, unknown>;
  /** Environment variables for every region. */
  env?: Record<string, string>;
  /** Per-region overrides, keyed by region id. */
  overrides?: Record<string, RegionOverride>;
}

/** What one region changes from the spec. */
export interface RegionOverride {
  /** Extra or replaced environment variables. */
  env?: Record<string, string>;
  /** Machine size (provider-specific, e.g. `Standard_D2s_v5`). */
  size?: string;
  /** Copies to run. */
  replicas?: number;
  /** IANA time zone of the region's users (becomes `TZ`), e.g. `Europe/Dublin`. */
  timezone?: string;
  /** BCP 47 locale of the region's users (becomes `LOCALE`), e.g. `en-IE`. */
  locale?: string;
}

/** Progress of one step of a deploy in one region. */
export interface DeployProgress {
  /** Region the step belongs to. */
  regionId: string;
  /** Step name, provider-defined (`spawn`, `resource-group`, `vm` ...). */
  step: string;
  /** `started`, `completed` or `failed`. */
  status: 'started' | 'completed' | 'failed';
  /** Human-readable detail (never secrets). */
  message?: string;
}

/** Options shared by provider calls that wait. */
export interface ProviderCallOptions {
  /** Aborts the call; the provider stops promptly and reports what it left. */
  signal?: AbortSignal;
  /**
   * Fencing token of the lease the caller acts under. A provider that can keeps
   * the highest token seen and refuses lower ones with LEASE_LOST, so a paused,
   * stale leader cannot undo what the current one did.
   */
  fencingToken?: number;
}

/** Options of {@link RegionProvider.deploy}. */
export interface DeployOptions extends ProviderCallOptions {
  /** Called for every step in every region. */
  onProgress?: (progress: DeployProgress) => void;
}

/** Lifecycle state of a region's deployment as the provider sees it. */
export type RegionRunState = 'not-deployed' | 'starting' | 'running' | 'stopped' | 'failed';

/** A region as deployed: where it answers. */
export interface DeployedRegion {
  /** Region id. */
  regionId: string;
  /** Base URL of the deployed workload. */
  endpoint: string;
  /** State after the deploy. */
  state: RegionRunState;
  /** Why the region failed, when `state` is `failed` (never secrets). */
  error?: string;
}

/** Result of {@link RegionProvider.deploy}. */
export interface DeployResult {
  /** One entry per region of the spec. */
  regions: DeployedRegion[];
}

/** Provider view of one region. */
export interface RegionStatus {
  /** Region id. */
  regionId: string;
  /** Lifecycle state. */
  state: RegionRunState;
  /** Base URL when deployed. */
  endpoint?: string;
  /** Provider-specific details (pid, power state, fault ...). */
  details?: Record<string, unknown>;
}

/** Relative traffic weights per region id; 0 takes a region out of rotation. */
export type TrafficWeights = Record<string, number>;

/** Hourly price of running a workload in one region. */
export interface RegionPrice {
  /** Region id. */
  regionId: string;
  /** Price per hour in `currency`. */
  hourly: number;
  /** ISO 4217 code, e.g. `USD`. */
  currency: string;
  /** What was priced (SKU, VM size ...). */
  sku?: string;
}

/**
 * Plugs real infrastructure into Meridian. Every provider passes the same
 * conformance suite from testkit.
 */
export interface RegionProvider {
  /** Provider name, matching `Region.provider`. */
  readonly name: string;
  /** Deploys `spec` to its regions (in parallel where the provider can). */
  deploy(spec: DeploySpec, options?: DeployOptions): Promise<DeployResult>;
  /** Removes the workload from the given regions (all when omitted). */
  destroy(regionIds?: string[], options?: ProviderCallOptions): Promise<void>;
  /** Current state of one region; REGION_NOT_FOUND for an unknown id. */
  status(regionId: string, options?: ProviderCallOptions): Promise<RegionStatus>;
  /** Shifts traffic (DNS / load balancer) to the given weights. */
  setTraffic(weights: TrafficWeights, options?: ProviderCallOptions): Promise<void>;
  /** Hourly prices per region, where the provider knows them. */
  prices?(options?: ProviderCallOptions): Promise<RegionPrice[]>;
  /**
   * Sends one request through the traffic layer (front door, DNS, load balancer)
   * and returns the id of the region that answered, or undefined when the
   * provider cannot tell. Used to verify a traffic shift took effect.
   */
  resolveRoute?(options?: ProviderCallOptions): Promise<string | undefined>;
}
