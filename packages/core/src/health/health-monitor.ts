import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { getByRegionId } from '../regions/find-region.js';
import { healthMonitorOptionsSchema, healthSettingsSchema, type HealthMonitorOptions, type HealthSettings, type HealthSettingsState, type HealthTarget, type ResolvedHealthOptions } from './health-options.js';
import type { HealthEvents, HealthState, PassiveOutcome, ProbeEvent, RegionHealth } from './health-types.js';
import { healthRecorder, type HealthRecorder } from './health-metrics.js';
import { createHttpProber } from './http-prober.js';
import type { Prober } from './prober.js';
import { RegionHealthTracker } from './region-health-tracker.js';
import { sampledProbe } from './sampled-probe.js';

interface Entry {
  readonly target: HealthTarget;
  readonly url: string;
  readonly tracker: RegionHealthTracker;
  timer?: TimerHandle;
  ejectionTimer?: TimerHandle;
  inFlight?: AbortController;
  /** The probe running now (scheduled or asked for), for `probeNow` to join. */
  probing?: Promise<ProbeEvent | undefined>;
}

/**
 * Watches every region's health: active HTTP probes with rise/fall hysteresis,
 * EWMA latency, windowed availability, a `degraded` band, and passive outlier
 * ejection from real traffic (`report`). Emits typed events on every state change.
 *
 * The probe loop never throws: a probe that throws, hangs or is aborted counts as
 * a failure. Timers are unref'd, so a monitor never keeps the host alive.
 */
export class HealthMonitor implements EventSource<WithErrorEvent<HealthEvents>> {
  declare readonly '~events'?: WithErrorEvent<HealthEvents>;
  readonly #options: ResolvedHealthOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #events = new TypedEmitter<HealthEvents>();
  readonly #entries = new Map<string, Entry>();
  #prober: Prober;
  readonly #ownsProber: boolean;
  readonly #recorder: HealthRecorder;
  #running = false;

  constructor(options: HealthMonitorOptions = {}) {
    this.#options = parseOptions(healthMonitorOptionsSchema, options, 'HealthMonitor options');
    this.#clock = this.#options.clock ?? systemClock;
    this.#random = this.#options.random ?? Math.random;
    this.#recorder = healthRecorder(this.#options.metrics ?? noopMetrics);
    this.#ownsProber = this.#options.prober === undefined;
    this.#prober =
      this.#options.prober ??
      createHttpProber({
        expectedStatus: this.#options.expectedStatus,
        connections: this.#options.samplesPerProbe + 1,
        ...(this.#options.bodyPredicate ? { bodyPredicate: this.#options.bodyPredicate } : {}),
        ...(this.#options.headers ? { headers: this.#options.headers } : {}),
      });
    const seen = new Set<string>();
    for (const [index, region] of this.#options.regions.entries()) {
      if (seen.has(region.id)) {
        throw invalidConfig('HealthMonitor options', [
          { path: `regions[${index}].id`, message: 'duplicate region id', value: JSON.stringify(region.id) },
        ]);
      }
      seen.add(region.id);
      this.#entries.set(region.id, this.#makeEntry(region));
    }
  }

  on<K extends keyof WithErrorEvent<HealthEvents> & string>(
    name: K,
    listener: Listener<WithErrorEvent<HealthEvents>[K]>,
  ): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<HealthEvents> & string>(
    name: K,
    listener: Listener<WithErrorEvent<HealthEvents>[K]>,
  ): Disposable {
    return this.#events.once(name, listener);
  }

  /** Whether the probe loop runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts probing every region (first probes spread over the jitter window). Idempotent. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    for (const entry of this.#entries.values()) this.#scheduleFirst(entry);
  }

  /**
   * Stops probing, aborts probes in flight and closes the sockets it opened.
   * Idempotent; awaitable; listeners stay subscribed.
   */
  async close(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const entry of this.#entries.values()) this.#halt(entry);
    if (this.#ownsProber) await this.#prober.close?.();
  }

  /** Calls `close()`, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @deprecated Use `close()`. */
  stop(): Promise<void> {
    return this.close();
  }

  /**
   * Changes probing while running (INVALID_CONFIG naming the setting, and
   * nothing changed, when a value is bad or the timeout would not be below the
   * interval). Thresholds apply from the next outcome, with the counts so far
   * kept; a new interval reschedules every waiting probe within it (jittered),
   * and a probe in flight keeps the timeout it started with. Returns the settings in force.
   */
  configure(settings: HealthSettings): HealthSettingsState {
    const s = parseOptions(healthSettingsSchema, settings, 'HealthMonitor.configure settings');
    const intervalMillis = s.intervalMillis ?? this.#options.intervalMillis;
    const timeoutMillis = s.timeoutMillis ?? this.#options.timeoutMillis;
    if (timeoutMillis >= intervalMillis) {
      const path = s.timeoutMillis !== undefined ? 'timeoutMillis' : 'intervalMillis';
      throw invalidConfig('HealthMonitor.configure settings', [
        { path, message: `timeoutMillis (${timeoutMillis}) must be smaller than intervalMillis (${intervalMillis}); give both`, value: String(s[path]) },
      ]);
    }
    // Trackers read their thresholds from this object: changing it in place changes them too.
    Object.assign(this.#options, { intervalMillis, timeoutMillis }, s.failuresBeforeUnhealthy === undefined ? {} : { failuresBeforeUnhealthy: s.failuresBeforeUnhealthy }, s.successesBeforeHealthy === undefined ? {} : { successesBeforeHealthy: s.successesBeforeHealthy });
    // null turns a degraded rule off: the trackers test these for undefined.
    if (s.degradedLatencyMillis !== undefined) this.#options.degradedLatencyMillis = s.degradedLatencyMillis ?? undefined;
    if (s.degradedAvailability !== undefined) this.#options.degradedAvailability = s.degradedAvailability ?? undefined;
    if (s.intervalMillis !== undefined && this.#running) {
      for (const entry of this.#entries.values()) if (entry.timer) this.#scheduleFirst(entry);
    }
    return this.settings;
  }

  /** The probing settings in force. */
  get settings(): HealthSettingsState {
    const { intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy, degradedLatencyMillis, degradedAvailability } = this.#options;
    return { intervalMillis, timeoutMillis, failuresBeforeUnhealthy, successesBeforeHealthy, degradedLatencyMillis: degradedLatencyMillis ?? null, degradedAvailability: degradedAvailability ?? null };
  }

  /** Adds a region to watch (probing starts at once when running). */
  add(region: HealthTarget): void {
    const parsed = parseOptions(healthMonitorOptionsSchema, { regions: [region] }, 'HealthMonitor.add region').regions[0]!;
    if (this.#entries.has(parsed.id)) {
      throw invalidConfig('HealthMonitor.add region', [
        { path: 'id', message: 'region is already monitored', value: JSON.stringify(parsed.id) },
      ]);
    }
    const entry = this.#makeEntry(parsed);
    this.#entries.set(parsed.id, entry);
    if (this.#running) this.#scheduleFirst(entry);
  }

  /** Stops watching a region; REGION_NOT_FOUND when unknown. */
  remove(regionId: string): void {
    this.#halt(getByRegionId(this.#entries, regionId));
    this.#entries.delete(regionId);
    // No longer watched: its health is unknown from now on.
    this.#recorder.state(regionId, 'unknown');
  }

  /**
   * Probes one region now, outside its schedule (an operator's "check it
   * now"), and resolves with the probe as `health:probe` emits it. It counts as
   * any probe does (thresholds, latency, availability), and the region's next
   * scheduled probe comes one interval after it. A probe already running for
   * the region is joined, not doubled. REGION_NOT_FOUND for an unknown region;
   * SHUT_DOWN when the monitor is not running, or stops (or the region is
   * removed) before the probe ends.
   */
  async probeNow(regionId: string): Promise<ProbeEvent> {
    const entry = getByRegionId(this.#entries, regionId);
    if (!this.#running) throw new MeridianError('SHUT_DOWN', `HealthMonitor.probeNow("${regionId}"): the monitor is not running`);
    const probe = await this.#run(entry);
    if (!probe) throw new MeridianError('SHUT_DOWN', `HealthMonitor.probeNow("${regionId}"): the monitor stopped, or the region was removed, before the probe ended`);
    return probe;
  }

  /** Current health of one region; REGION_NOT_FOUND when unknown. */
  get(regionId: string): RegionHealth {
    return getByRegionId(this.#entries, regionId).tracker.snapshot();
  }

  /**
   * Current state of one region, without building its full health view (what a
   * data plane asks for every request); REGION_NOT_FOUND when unknown.
   */
  state(regionId: string): HealthState {
    return getByRegionId(this.#entries, regionId).tracker.state;
  }

  /** Current health of every region, in insertion order. */
  snapshot(): RegionHealth[] {
    return [...this.#entries.values()].map((e) => e.tracker.snapshot());
  }

  /**
   * Reports the outcome of real traffic to a region (passive health). The
   * passive rules (consecutive failures, consecutive gateway failures, success
   * rate) eject a region for a while, as Envoy's outlier detection does; a
   * data plane such as `TrafficRouter` calls this for every upstream attempt.
   */
  report(regionId: string, outcome: PassiveOutcome): void {
    const entry = getByRegionId(this.#entries, regionId);
    if (typeof outcome?.ok !== 'boolean') {
      throw invalidConfig('HealthMonitor.report outcome', [{ path: 'ok', message: 'must be a boolean', value: String(outcome?.ok) }]);
    }
    const latency = outcome.latencyMillis;
    if (latency !== undefined && !(Number.isFinite(latency) && latency >= 0)) {
      throw invalidConfig('HealthMonitor.report outcome', [
        { path: 'latencyMillis', message: 'must be a finite number >= 0', value: String(latency) },
      ]);
    }
    if (outcome.failure !== undefined && outcome.failure !== 'gateway' && outcome.failure !== 'error') {
      throw invalidConfig('HealthMonitor.report outcome', [
        { path: 'failure', message: 'must be "gateway" or "error"', value: JSON.stringify(outcome.failure) },
      ]);
    }
    if (!this.#options.passive.enabled) return;
    const before = entry.tracker.state;
    const now = this.#clock.now();
    const result = entry.tracker.recordPassive(outcome, now, () => this.#mayEject(entry), this.#running);
    if (result.ejected) {
      const { ejectedUntil, rule, reason, ejections } = result.ejected;
      this.#recorder.ejection(entry.target.id, rule);
      entry.ejectionTimer?.cancel();
      entry.ejectionTimer = this.#clock.setTimeout(() => {
        entry.ejectionTimer = undefined;
        const prior = entry.tracker.state;
        entry.tracker.expireEjection(this.#clock.now());
        this.#emitTransition(entry, prior);
      }, ejectedUntil - now);
      this.#events.emit('region:ejected', { regionId: entry.target.id, rule, reason, ejectedUntil, ejections, at: now });
    } else if (result.skipped) {
      const ejected = [...this.#entries.values()].filter((e) => e.tracker.ejectedUntil !== undefined).map((e) => e.target.id);
      this.#events.emit('region:ejection-skipped', { regionId: entry.target.id, rule: result.skipped, ejected, at: now });
    }
    this.#emitTransition(entry, before);
  }

  // Envoy's max_ejection_percent: at most this share of the regions out at once, but always at least one.
  #mayEject(entry: Entry): boolean {
    let ejected = 0;
    for (const e of this.#entries.values()) if (e !== entry && e.tracker.ejectedUntil !== undefined) ejected++;
    const cap = Math.max(1, Math.floor((this.#options.passive.maxEjectionPercent / 100) * this.#entries.size));
    return ejected < cap;
  }

  #makeEntry(target: HealthTarget): Entry {
    // Relative resolution keeps a path prefix in the endpoint (http://host/api + /health -> /api/health).
    const url = new URL(this.#options.path.slice(1), ensureTrailingSlash(target.endpoint)).toString();
    const tracker = new RegionHealthTracker(target.id, this.#options, this.#clock.now());
    this.#recorder.state(target.id, tracker.state);
    return { target: { id: target.id, endpoint: target.endpoint }, url, tracker };
  }

  #scheduleFirst(entry: Entry): void {
    // Spread first probes over the jitter window so regions are not probed in lock-step.
    const spread = this.#options.intervalMillis * this.#options.jitterFraction;
    this.#schedule(entry, this.#random() * spread);
  }

  #schedule(entry: Entry, delayMillis: number): void {
    entry.timer?.cancel();
    entry.timer = this.#clock.setTimeout(() => {
      entry.timer = undefined;
      void this.#run(entry);
    }, delayMillis);
  }

  // One probe of a region at a time: a scheduled one and one asked for share it. The probe clears `probing`
  // itself as it ends, synchronously, before it schedules the next one: cleared a microtask later, a timer
  // firing in between (a virtual clock advanced by a listener of the probe's event) would join the ended probe
  // and the schedule would stop.
  #run(entry: Entry): Promise<ProbeEvent | undefined> {
    if (entry.probing) return entry.probing;
    entry.timer?.cancel();
    entry.timer = undefined;
    const probing = this.#probe(entry);
    if (entry.inFlight) entry.probing = probing; // started (one that could not start ended at once)
    return probing;
  }

  #halt(entry: Entry): void {
    entry.timer?.cancel();
    entry.timer = undefined;
    entry.ejectionTimer?.cancel();
    entry.ejectionTimer = undefined;
    entry.inFlight?.abort(new MeridianError('SHUT_DOWN', 'health monitor stopped'));
    entry.inFlight = undefined;
    entry.probing = undefined;
  }

  async #probe(entry: Entry): Promise<ProbeEvent | undefined> {
    if (!this.#running || this.#entries.get(entry.target.id) !== entry) return undefined;
    const { timeoutMillis, intervalMillis, jitterFraction } = this.#options;
    const controller = new AbortController();
    entry.inFlight = controller;
    const started = this.#clock.now();
    const timeout = this.#clock.setTimeout(
      () => controller.abort(new MeridianError('TIMEOUT', `timeout after ${timeoutMillis} ms`)),
      timeoutMillis,
    );
    let outcome;
    try {
      const target = { regionId: entry.target.id, url: entry.url };
      outcome = await sampledProbe(this.#prober, target, this.#options.samplesPerProbe, controller.signal);
    } finally {
      timeout.cancel();
    }
    // A probe that outlived close() or remove() must not report or reschedule.
    if (entry.inFlight !== controller || !this.#running) return undefined;
    entry.inFlight = undefined;
    entry.probing = undefined;
    if (controller.signal.aborted && outcome.ok) {
      outcome = { ok: false, error: `timeout after ${timeoutMillis} ms` };
    }
    const finished = this.#clock.now();
    const probe: ProbeEvent = { regionId: entry.target.id, ...outcome, latencyMillis: finished - started, at: finished };
    const before = entry.tracker.state;
    entry.tracker.recordProbe(probe);
    this.#recorder.probe(probe);
    this.#events.emit('health:probe', probe);
    this.#emitTransition(entry, before);
    // Keep the cadence anchored to the probe's start; jitter by ± jitterFraction.
    const jitter = (this.#random() * 2 - 1) * jitterFraction * intervalMillis;
    this.#schedule(entry, Math.max(0, intervalMillis - (finished - started) + jitter));
    return probe;
  }

  #emitTransition(entry: Entry, before: HealthState): void {
    // report() runs for every request a data plane sends: no snapshot unless the state moved.
    if (entry.tracker.state === before) return;
    const health = entry.tracker.snapshot();
    this.#recorder.state(entry.target.id, health.state);
    if (health.state === 'unknown') return;
    this.#events.emit(`region:${health.state}`, {
      regionId: entry.target.id,
      state: health.state,
      previous: before,
      reason: health.reason,
      at: this.#clock.now(),
      health,
    });
  }
}

function ensureTrailingSlash(endpoint: string): string {
  return endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
}
