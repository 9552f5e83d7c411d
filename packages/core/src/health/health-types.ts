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

/** An outcome of real traffic, reported by the host (passive health). */
export interface PassiveOutcome {
  /** Whether the request succeeded (the host decides: 5xx, reset, timeout are failures). */
  ok: boolean;
  /** Latency of the request, if measured. */
  latencyMillis?: number;
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
  /** While passively ejected: when the ejection ends, epoch ms. */
  ejectedUntil?: number;
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
}
