import { Ewma } from './ewma.js';
import { OutcomeWindow } from './outcome-window.js';
import type { EjectionRule, HealthState, PassiveOutcome, ProbeEvent, RegionHealth } from './health-types.js';
import { SuccessRateWindow } from './success-rate-window.js';

/** Thresholds the tracker applies; validated by the monitor's options schema. */
export interface TrackerThresholds {
  failuresBeforeUnhealthy: number;
  successesBeforeHealthy: number;
  degradedLatencyMillis?: number;
  degradedAvailability?: number;
  ewmaAlpha: number;
  availabilityWindow: number;
  passive: {
    consecutiveFailures: number;
    consecutiveGatewayFailures: number;
    successRate: false | { windowMillis: number; minimumRequests: number; degradedBelow: number; ejectBelow: number };
    baseEjectionMillis: number;
    maxEjectionMillis: number;
  };
}

/** What one passive report did. */
export interface PassiveResult {
  /** Effective state after it. */
  state: HealthState;
  /** Set when this report ejected the region. */
  ejected?: { rule: EjectionRule; reason: string; ejectedUntil: number; ejections: number };
  /** Set when a rule fired but the cap refused the ejection. */
  skipped?: EjectionRule;
}

/**
 * Pure per-region health state: consumes outcomes, yields the effective state.
 * No timers and no I/O, so every rule is testable outcome by outcome.
 *
 * Active probes move an `unknown|healthy|unhealthy` state with rise/fall
 * hysteresis. A new region needs one success to become healthy (as Envoy does
 * for new hosts); after that, `successesBeforeHealthy` in a row. Passive reports
 * eject a region, as Envoy's outlier detection does, on N consecutive failures,
 * N consecutive gateway failures (no response at all), or a success rate below
 * `ejectBelow` over a time window; for `base × ejections` (capped). When the
 * region is being probed, an ended ejection is confirmed by
 * `successesBeforeHealthy` probes in a row before traffic returns, so a region
 * that is still dead never flaps back in. `degraded` is a healthy region whose
 * EWMA latency, windowed availability or success rate crosses its threshold.
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
  #gatewayFailures = 0;
  #lastGatewayError = '';
  #ejectedUntil: number | undefined;
  #ejectionRule: EjectionRule | undefined;
  // Set by an ejection while probes run: probes must confirm before traffic returns.
  #awaitingProbes = false;
  // Whether active probes, too, saw the region fail: during the current ejection, or failing it when it began.
  #probesSawFailure = false;
  #ejections = 0;
  #lastEjectionAt: number | undefined;
  #ejectionReason = '';
  #lastSeen = 0;
  #endedByProbes = false;
  #probes = 0;
  #lastProbe: ProbeEvent | undefined;
  readonly #latency: Ewma;
  readonly #window: OutcomeWindow;
  readonly #rate: SuccessRateWindow | undefined;

  constructor(
    readonly regionId: string,
    private readonly t: TrackerThresholds,
    now: number,
  ) {
    this.#since = now;
    this.#latency = new Ewma(t.ewmaAlpha);
    this.#window = new OutcomeWindow(t.availabilityWindow);
    this.#rate = t.passive.successRate ? new SuccessRateWindow(t.passive.successRate.windowMillis) : undefined;
  }

  /**
   * Records an active probe; returns the new effective state. An ejection ends
   * early once probes that saw the region fail (during it, or already failing
   * it when it began) see it recover (`successesBeforeHealthy` in a row): they
   * can judge what made it fail. When probes never saw a failure (errors only
   * real traffic meets), the ejection runs its full time.
   */
  recordProbe(probe: ProbeEvent): HealthState {
    this.#probes++;
    if (this.#ejectedUntil !== undefined && !probe.ok) this.#probesSawFailure = true;
    this.#lastProbe = probe;
    this.#window.add(probe.ok);
    if (probe.ok) {
      this.#latency.add(probe.latencyMillis);
      this.#successes++;
      this.#failures = 0;
      if (this.#successes >= this.t.successesBeforeHealthy) {
        this.#awaitingProbes = false;
        if (this.#ejectedUntil !== undefined && this.#probesSawFailure) {
          this.#ejectedUntil = undefined;
          this.#ejectionRule = undefined;
          this.#endedByProbes = true;
        }
      }
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

  /**
   * Records real traffic; may eject the region. `mayEject` is asked before an
   * ejection (the monitor's cap on ejected regions); `probing` says whether
   * active probes will confirm recovery after the ejection ends.
   */
  recordPassive(outcome: PassiveOutcome, now: number, mayEject: () => boolean = () => true, probing = false): PassiveResult {
    // Outcomes of requests sent before the current (or last) ejection began describe
    // the region as it was then: a hung region's requests time out long after it was
    // ejected, and counting them would eject it again the moment it is back.
    const sentAt = now - (outcome.latencyMillis ?? 0);
    if (this.#ejectedUntil !== undefined || (this.#lastEjectionAt !== undefined && sentAt < this.#lastEjectionAt)) {
      return { state: this.#settle(now) };
    }
    this.#window.add(outcome.ok);
    if (outcome.latencyMillis !== undefined && outcome.ok) this.#latency.add(outcome.latencyMillis);
    this.#rate?.add(outcome.ok, now);
    if (outcome.ok) {
      this.#passiveFailures = 0;
      this.#gatewayFailures = 0;
    } else {
      this.#passiveFailures++;
      if (outcome.failure === 'gateway') {
        this.#gatewayFailures++;
        this.#lastGatewayError = outcome.status === undefined ? '' : `status ${outcome.status}`;
      } else {
        this.#gatewayFailures = 0;
      }
    }
    const fired = this.#ejectedUntil === undefined ? this.#firedRule(now) : undefined;
    if (fired === undefined) return { state: this.#settle(now) };
    if (!mayEject()) {
      // Counted where it fired; the next failure asks again.
      return { state: this.#settle(now), skipped: fired.rule };
    }
    const { baseEjectionMillis, maxEjectionMillis } = this.t.passive;
    // Forgive old ejections: a region calm for maxEjectionMillis starts over at base.
    if (this.#lastEjectionAt !== undefined && now - this.#lastEjectionAt > maxEjectionMillis) this.#ejections = 0;
    this.#ejections++;
    this.#lastEjectionAt = now;
    this.#ejectedUntil = now + Math.min(baseEjectionMillis * this.#ejections, maxEjectionMillis);
    this.#ejectionRule = fired.rule;
    this.#ejectionReason = fired.reason;
    // Probes failing it now (or that judged it unhealthy) saw the same failure, even if it recovers
    // before their next probe: a region healed right after real traffic ejected it is not kept out
    // for the whole ejection.
    this.#probesSawFailure = this.#failures > 0 || this.#active === 'unhealthy';
    this.#endedByProbes = false;
    this.#passiveFailures = 0;
    this.#gatewayFailures = 0;
    // What was seen before the ejection says nothing about the region once it is back.
    this.#rate?.clear();
    if (probing) {
      this.#awaitingProbes = true;
      this.#successes = 0;
    }
    return {
      state: this.#settle(now),
      ejected: { rule: fired.rule, reason: fired.reason, ejectedUntil: this.#ejectedUntil, ejections: this.#ejections },
    };
  }

  #firedRule(now: number): { rule: EjectionRule; reason: string } | undefined {
    const p = this.t.passive;
    if (this.#gatewayFailures >= p.consecutiveGatewayFailures) {
      return { rule: 'consecutive-gateway-failures', reason: `${this.#gatewayFailures} consecutive gateway failures (no response)` };
    }
    if (this.#passiveFailures >= p.consecutiveFailures) {
      return { rule: 'consecutive-failures', reason: `${this.#passiveFailures} consecutive failed requests` };
    }
    const rate = this.#successRate(now);
    if (rate !== undefined && p.successRate && rate.value < p.successRate.ejectBelow) {
      return {
        rule: 'success-rate',
        reason: `success rate ${(rate.value * 100).toFixed(1)}% of ${rate.total} requests < ${(p.successRate.ejectBelow * 100).toFixed(1)}%`,
      };
    }
    return undefined;
  }

  #successRate(now: number): { value: number; total: number } | undefined {
    const rule = this.t.passive.successRate;
    if (!rule || !this.#rate) return undefined;
    const { total, successes } = this.#rate.counts(now);
    return total >= rule.minimumRequests ? { value: successes / total, total } : undefined;
  }

  /** Ends an ejection whose time has come; returns the new effective state. */
  expireEjection(now: number): HealthState {
    if (this.#ejectedUntil !== undefined && now >= this.#ejectedUntil) {
      this.#ejectedUntil = undefined;
      this.#ejectionRule = undefined;
    }
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
      passiveConsecutiveGatewayFailures: this.#gatewayFailures,
      probes: this.#probes,
    };
    if (this.#latency.value !== undefined) health.latencyMillis = this.#latency.value;
    if (this.#window.availability !== undefined) health.availability = this.#window.availability;
    if (this.#ejectedUntil !== undefined) health.ejectedUntil = this.#ejectedUntil;
    if (this.#ejectionRule !== undefined) health.ejectionRule = this.#ejectionRule;
    const rate = this.#successRate(this.#lastSeen);
    if (rate !== undefined) health.successRate = rate.value;
    if (this.#lastProbe) health.lastProbe = this.#lastProbe;
    return health;
  }

  #settle(now: number): HealthState {
    this.#lastSeen = Math.max(this.#lastSeen, now);
    let state: HealthState = this.#active;
    let reason = this.#activeReason;
    if (this.#ejectedUntil !== undefined) {
      state = 'unhealthy';
      reason = `ejected by passive outlier detection until ${new Date(this.#ejectedUntil).toISOString()}: ${this.#ejectionReason}`;
    } else if (this.#awaitingProbes && this.#active !== 'unhealthy') {
      state = 'unhealthy';
      reason = `passive ejection ended; waiting for ${this.t.successesBeforeHealthy} successful probes in a row (${this.#successes} so far)`;
    } else if (this.#active === 'healthy') {
      const latency = this.#latency.value;
      const availability = this.#window.availability;
      const rate = this.#successRate(now);
      const rateRule = this.t.passive.successRate;
      const { degradedLatencyMillis, degradedAvailability } = this.t;
      if (degradedLatencyMillis !== undefined && latency !== undefined && latency > degradedLatencyMillis) {
        state = 'degraded';
        reason = `latency EWMA ${latency.toFixed(0)} ms > ${degradedLatencyMillis} ms`;
      } else if (degradedAvailability !== undefined && availability !== undefined && availability < degradedAvailability) {
        state = 'degraded';
        reason = `availability ${(availability * 100).toFixed(1)}% < ${(degradedAvailability * 100).toFixed(1)}%`;
      } else if (rateRule && rate !== undefined && rate.value < rateRule.degradedBelow) {
        state = 'degraded';
        reason = `success rate ${(rate.value * 100).toFixed(1)}% of ${rate.total} requests < ${(rateRule.degradedBelow * 100).toFixed(1)}%`;
      }
    }
    if (state === 'healthy' && this.#state !== 'healthy' && this.#state !== 'unknown' && this.#active === 'healthy') {
      // Say why it recovered, not the stale reason it first became healthy.
      reason = this.#reason.startsWith('ejected') || this.#reason.startsWith('passive ejection ended')
        ? this.#endedByProbes
          ? `passive ejection ended early: ${this.t.successesBeforeHealthy} successful probes in a row after probes saw it fail`
          : 'passive ejection ended'
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
