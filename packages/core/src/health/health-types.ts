/** Health of a region as the monitor sees it. */
export type HealthState = 'unknown' | 'healthy' | 'degraded' | 'unhealthy';

/** One active probe's outcome. */
export interface ProbeOutcome {
  /** Whether the region answered as expected. */
  ok: boolean;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Why it failed (`ECONNREFUSED`, `timeout after 5000 ms`, `status 500` ...). */
  error?: string;
}

/** A probe result with its timing, as emitted on `health:probe`. */
export interface ProbeEvent extends ProbeOutcome {
  /** Region probed. */
  regionId: string;
  /** Measured on the monitor's Clock. */
  latencyMillis: number;
  /** When the probe finished, epoch ms. */
  at: number;
}

/**
 * How a failed request failed: `gateway` when no HTTP response came back
 * (connection refused or reset, timeout, an answer that is not HTTP), `error`
 * when the region answered with a failure status (5xx).
 */
export type PassiveFailure = 'gateway' | 'error';

/** An outcome of real traffic, reported by the host or a data plane (passive health). */
export interface PassiveOutcome {
  /** Whether the request succeeded (the host decides: 5xx, reset, timeout are failures). */
  ok: boolean;
  /** Latency of the request, if measured. */
  latencyMillis?: number;
  /** For a failure: what kind. Default `error`. */
  failure?: PassiveFailure;
  /** HTTP status, when a response came back. */
  status?: number;
}

/** Which passive rule ejected a region. */
export type EjectionRule = 'consecutive-gateway-failures' | 'consecutive-failures' | 'success-rate';

/** Payload of `region:ejected`: passive detection took a region out of rotation. */
export interface RegionEjectedEvent {
  /** Region id. */
  regionId: string;
  /** The rule that fired. */
  rule: EjectionRule;
  /** What the rule saw, e.g. `3 consecutive gateway failures (ECONNREFUSED)`. */
  reason: string;
  /** When the ejection ends, epoch ms; the region then needs active probes to confirm it (when probing). */
  ejectedUntil: number;
  /** How many times in a row it was ejected (the n-th lasts n × baseEjectionMillis, capped). */
  ejections: number;
  /** When, epoch ms. */
  at: number;
}

/** Payload of `region:ejection-skipped`: a rule fired but `maxEjectionPercent` regions are already out. */
export interface EjectionSkippedEvent {
  /** Region id. */
  regionId: string;
  /** The rule that fired. */
  rule: EjectionRule;
  /** Regions already ejected. */
  ejected: string[];
  /** When, epoch ms. */
  at: number;
}

/** Health of one region at a point in time. */
export interface RegionHealth {
  /** Region id. */
  regionId: string;
  /** Effective state (passive ejection and degradation applied). */
  state: HealthState;
  /** Why it is in that state. */
  reason: string;
  /** When the state was entered, epoch ms. */
  since: number;
  /** EWMA of latency in ms, undefined before any sample. */
  latencyMillis?: number;
  /** Share of successes over the sliding window, 0..1. */
  availability?: number;
  /** Consecutive failed active probes. */
  consecutiveFailures: number;
  /** Consecutive successful active probes. */
  consecutiveSuccesses: number;
  /** Consecutive failed passive reports. */
  passiveConsecutiveFailures: number;
  /** Consecutive passive reports with no response at all (refused, reset, timeout). */
  passiveConsecutiveGatewayFailures: number;
  /** Success rate of real traffic over the success-rate window (0..1), once it holds `minimumRequests`. */
  successRate?: number;
  /** While passively ejected: when the ejection ends, epoch ms. */
  ejectedUntil?: number;
  /** While passively ejected: the rule that ejected it. */
  ejectionRule?: EjectionRule;
  /** Active probes run so far. */
  probes: number;
  /** The last active probe. */
  lastProbe?: ProbeEvent;
}

/** Payload of `region:healthy`, `region:degraded` and `region:unhealthy`. */
export interface HealthTransition {
  /** Region id. */
  regionId: string;
  /** New state. */
  state: HealthState;
  /** Previous state. */
  previous: HealthState;
  /** Why it changed. */
  reason: string;
  /** When, epoch ms. */
  at: number;
  /** Full health after the change. */
  health: RegionHealth;
}

/** Events of a {@link HealthMonitor}. */
export interface HealthEvents {
  /** A region became healthy. */
  'region:healthy': HealthTransition;
  /** A region became degraded (healthy but slow or flaky). */
  'region:degraded': HealthTransition;
  /** A region became unhealthy (active failures or passive ejection). */
  'region:unhealthy': HealthTransition;
  /** Every active probe's result. */
  'health:probe': ProbeEvent;
  /** Passive detection ejected a region (it is also `region:unhealthy` from then on). */
  'region:ejected': RegionEjectedEvent;
  /** A rule would have ejected a region, but `maxEjectionPercent` of the regions are already out. */
  'region:ejection-skipped': EjectionSkippedEvent;
}
