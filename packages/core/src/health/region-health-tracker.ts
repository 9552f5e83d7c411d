import { Ewma } from './ewma.js';
import { OutcomeWindow } from './outcome-window.js';
import type { HealthState, PassiveOutcome, ProbeEvent, RegionHealth } from './health-types.js';

/** Thresholds the tracker applies; validated by the monitor's options schema. */
export interface TrackerThresholds {
  failuresBeforeUnhealthy: number;
  successesBeforeHealthy: number;
  degradedLatencyMillis?: number;
  degradedAvailability?: number;
  ewmaAlpha: number;
  availabilityWindow: number;
  passive: { consecutiveFailures: number; baseEjectionMillis: number; maxEjectionMillis: number };
}

/**
 * Pure per-region health state: consumes outcomes, yields the effective state.
 * No timers and no I/O, so every rule is testable outcome by outcome.
 *
 * Active probes move an `unknown|healthy|unhealthy` state with rise/fall
 * hysteresis. A new region needs one success to become healthy (as Envoy does
 * for new hosts); after that, `successesBeforeHealthy` in a row. Passive reports
 * eject a region after N consecutive failures for `base × ejections` (capped), as
 * Envoy's outlier detection does. `degraded` is a healthy region whose EWMA
 * latency or windowed availability crosses its threshold.
 */
export class RegionHealthTracker {
  #active: 'unknown' | 'healthy' | 'unhealthy' = 'unknown';
  #activeReason = 'no probe yet';
  #state: HealthState = 'unknown';
  #reason = 'no probe yet';
  #since: number;
  #failures = 0;
  #successes = 0;
  #passiveFailures = 0;
  #ejectedUntil: number | undefined;
  #ejections = 0;
  #lastEjectionAt: number | undefined;
  #probes = 0;
  #lastProbe: ProbeEvent | undefined;
  readonly #latency: Ewma;
  readonly #window: OutcomeWindow;

  constructor(
    readonly regionId: string,
    private readonly t: TrackerThresholds,
    now: number,
  ) {
    this.#since = now;
    this.#latency = new Ewma(t.ewmaAlpha);
    this.#window = new OutcomeWindow(t.availabilityWindow);
  }

  /** Records an active probe; returns the new effective state. */
  recordProbe(probe: ProbeEvent): HealthState {
    this.#probes++;
    this.#lastProbe = probe;
    this.#window.add(probe.ok);
    if (probe.ok) {
      this.#latency.add(probe.latencyMillis);
      this.#successes++;
      this.#failures = 0;
      const needed = this.#active === 'unknown' ? 1 : this.t.successesBeforeHealthy;
      if (this.#active !== 'healthy' && this.#successes >= needed) {
        this.#active = 'healthy';
        this.#activeReason = `${this.#successes} consecutive successful probe${this.#successes === 1 ? "" : "s"}`;
      }
    } else {
      this.#failures++;
      this.#successes = 0;
      if (this.#active !== 'unhealthy' && this.#failures >= this.t.failuresBeforeUnhealthy) {
        this.#active = 'unhealthy';
        this.#activeReason = `${this.#failures} consecutive failed probes (last: ${probe.error ?? 'failed'})`;
      }
    }
    return this.#settle(probe.at);
  }

  /** Records real traffic; may eject the region. Returns the new effective state. */
  recordPassive(outcome: PassiveOutcome, now: number): HealthState {
    this.#window.add(outcome.ok);
    if (outcome.latencyMillis !== undefined && outcome.ok) this.#latency.add(outcome.latencyMillis);
    if (outcome.ok) {
      this.#passiveFailures = 0;
    } else {
      this.#passiveFailures++;
      if (this.#ejectedUntil === undefined && this.#passiveFailures >= this.t.passive.consecutiveFailures) {
        const { baseEjectionMillis, maxEjectionMillis } = this.t.passive;
        // Forgive old ejections: a region calm for maxEjectionMillis starts over at base.
        if (this.#lastEjectionAt !== undefined && now - this.#lastEjectionAt > maxEjectionMillis) this.#ejections = 0;
        this.#ejections++;
        this.#lastEjectionAt = now;
        this.#ejectedUntil = now + Math.min(baseEjectionMillis * this.#ejections, maxEjectionMillis);
        this.#passiveFailures = 0;
      }
    }
    return this.#settle(now);
  }

  /** Ends an ejection whose time has come; returns the new effective state. */
  expireEjection(now: number): HealthState {
    if (this.#ejectedUntil !== undefined && now >= this.#ejectedUntil) this.#ejectedUntil = undefined;
    return this.#settle(now);
  }

  /** When the current ejection ends, if ejected. */
  get ejectedUntil(): number | undefined {
    return this.#ejectedUntil;
  }

  /** Effective state. */
  get state(): HealthState {
    return this.#state;
  }

  /** Full health view. */
  snapshot(): RegionHealth {
    const health: RegionHealth = {
      regionId: this.regionId,
      state: this.#state,
      reason: this.#reason,
      since: this.#since,
      consecutiveFailures: this.#failures,
      consecutiveSuccesses: this.#successes,
      passiveConsecutiveFailures: this.#passiveFailures,
      probes: this.#probes,
    };
    if (this.#latency.value !== undefined) health.latencyMillis = this.#latency.value;
    if (this.#window.availability !== undefined) health.availability = this.#window.availability;
    if (this.#ejectedUntil !== undefined) health.ejectedUntil = this.#ejectedUntil;
    if (this.#lastProbe) health.lastProbe = this.#lastProbe;
    return health;
  }

  #settle(now: number): HealthState {
    let state: HealthState = this.#active;
    let reason = this.#activeReason;
    if (this.#ejectedUntil !== undefined) {
      state = 'unhealthy';
      reason = `ejected by passive outlier detection until ${new Date(this.#ejectedUntil).toISOString()}`;
    } else if (this.#active === 'healthy') {
      const latency = this.#latency.value;
      const availability = this.#window.availability;
      const { degradedLatencyMillis, degradedAvailability } = this.t;
      if (degradedLatencyMillis !== undefined && latency !== undefined && latency > degradedLatencyMillis) {
        state = 'degraded';
        reason = `latency EWMA ${latency.toFixed(0)} ms > ${degradedLatencyMillis} ms`;
      } else if (degradedAvailability !== undefined && availability !== undefined && availability < degradedAvailability) {
        state = 'degraded';
        reason = `availability ${(availability * 100).toFixed(1)}% < ${(degradedAvailability * 100).toFixed(1)}%`;
      }
    }
    if (state === 'healthy' && this.#state !== 'healthy' && this.#state !== 'unknown' && this.#active === 'healthy') {
      // Say why it recovered, not the stale reason it first became healthy.
      reason = this.#reason.startsWith('ejected')
        ? 'passive ejection ended'
        : this.#state === 'degraded'
          ? `no longer degraded (latency EWMA ${(this.#latency.value ?? 0).toFixed(0)} ms, availability ${((this.#window.availability ?? 1) * 100).toFixed(1)}%)`
          : reason;
    }
    if (state !== this.#state) {
      this.#state = state;
      this.#since = now;
      this.#reason = reason;
    } else if (state !== 'healthy') {
      this.#reason = reason;
    }
    return state;
  }
}
