import { hostname } from 'node:os';
import { systemClock, type Clock, type TimerHandle } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import type { Lease } from '../contracts/lease-store.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import { validateTrafficWeights } from '../contracts/traffic-weights.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import type { HealthState, HealthTransition } from '../health/health-types.js';
import { MemoryLeaseStore } from '../lease/memory-lease-store.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { findRegion } from '../regions/find-region.js';
import type { Syncer } from '../contracts/syncer.js';
import { failoverOptionsSchema, type FailoverManagerOptions, type FailoverRegion, type HealthView, type ResolvedFailoverOptions, type TrafficShifter } from './failover-options.js';
import type { DrillReport, FailoverEvents, FailoverKind, FailoverManagerStatus, FailoverProgress, FailoverReport, StepRecord } from './failover-types.js';
import { failoverRecorder, type FailoverRecorder } from './failover-metrics.js';
import { LeaseKeeper } from './lease-keeper.js';
import { OperationHandle, type FailoverOperation } from './operation.js';
import { describe, runSteps, type Step } from './step-runner.js';
import { drillReport, drillSteps, newDrillTimings } from './drill-steps.js';
import { SERVING, shiftStep, syncStep, verifyRoutingStep, verifyTargetStep, waitForServing, type StepContext } from './failover-steps.js';
import { activeRegions, byPriority, singleRegionWeights, spreadWeights } from './weights.js';

/** A check of a dry run. */
export interface PlanCheck {
  /** What was checked. */
  name: string;
  /** Whether it passes now. */
  ok: boolean;
  /** Why. */
  detail: string;
}

/** Result of {@link FailoverManager.plan}: what a failover would do, changing nothing. */
export interface FailoverPlan {
  /** Target region. */
  to: string;
  /** Regions with traffic now. */
  from: string[];
  /** Steps in order. */
  steps: string[];
  /** Weights now. */
  weightsBefore: TrafficWeights;
  /** Weights after. */
  weightsAfter: TrafficWeights;
  /** Checks, failing ones included. */
  checks: PlanCheck[];
  /** True when every check passes. */
  wouldSucceed: boolean;
}

/** Options of a planned failover. */
export interface PlannedFailoverOptions {
  /** Target region id. */
  to: string;
  /** Wait `drainMillis` for in-flight work on the old region. Default false. */
  drain?: boolean;
  /** Go ahead even when the target is not healthy. Default false. */
  force?: boolean;
  /** Why (kept in the report). */
  reason?: string;
  /** Cancels and rolls back. */
  signal?: AbortSignal;
}

/** Options of {@link FailoverManager.failback}. */
export interface FailbackRequest {
  /** Wait for the home region's replication lag to be under `failback.maxLagMillis` (needs a Syncer). */
  verifySync?: boolean;
  /** Wait (up to `healthWaitMillis`) for the home region to be healthy instead of refusing. */
  waitForHealth?: boolean;
  /** Cancels and rolls back. */
  signal?: AbortSignal;
}

/** Options of {@link FailoverManager.drill}. */
export interface DrillRequest {
  /** Region to fail over to for the drill. */
  to: string;
  /** How long traffic stays there. */
  durationMillis: number;
  /** Put traffic back at the end (default true). */
  autoRollback?: boolean;
  /** Stops early and rolls back. */
  signal?: AbortSignal;
}

/**
 * Moves traffic between regions: automatic failover when the active region turns
 * unhealthy, automatic failback after a hold-down, planned failovers with
 * rollback, dry runs and drills. Only the holder of the lease acts; others watch.
 */
export class FailoverManager implements EventSource<WithErrorEvent<FailoverEvents>> {
  declare readonly '~events'?: WithErrorEvent<FailoverEvents>;
  readonly #o: ResolvedFailoverOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<FailoverEvents>();
  readonly #regions: FailoverRegion[];
  readonly #home: string;
  readonly #keeper: LeaseKeeper;
  #weights: TrafficWeights;
  #serving: string;
  #pinned: string | undefined;
  readonly #excluded = new Set<string>();
  /** Active-passive: the home region lost traffic because it failed (not by a planned move). */
  #homeFailed = false;
  readonly #holdDowns = new Map<string, { timer: TimerHandle; at: number }>();
  #operation: OperationHandle<FailoverReport, FailoverProgress, FailoverKind> | undefined;
  readonly #history: FailoverReport[] = [];
  #subscriptions: Disposable[] = [];
  #running = false;
  #nextId = 1;
  #noHealthyReported = false;
  readonly #ctx: StepContext;
  readonly #recorder: FailoverRecorder;

  constructor(options: FailoverManagerOptions) {
    this.#o = parseOptions(failoverOptionsSchema, options, 'FailoverManager options');
    this.#clock = this.#o.clock ?? systemClock;
    const ids = new Set<string>();
    for (const [index, region] of this.#o.regions.entries()) {
      if (ids.has(region.id)) {
        throw invalidConfig('FailoverManager options', [{ path: `regions[${index}].id`, message: 'duplicate region id', value: JSON.stringify(region.id) }]);
      }
      ids.add(region.id);
    }
    this.#regions = byPriority(this.#o.regions.map((r) => ({ id: r.id, priority: r.priority, weight: r.weight })));
    this.#home = this.#regions[0]!.id;
    this.#recorder = failoverRecorder(this.#o.metrics ?? noopMetrics, this.#regions.map((r) => r.id));
    this.#serving = this.#home;
    this.#weights = this.#desiredWeights();
    const holder = this.#o.holderId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const store = this.#o.leaseStore ?? new MemoryLeaseStore({ clock: this.#clock });
    this.#ctx = {
      clock: this.#clock,
      monitor: this.#o.monitor,
      shifter: this.#o.provider,
      syncer: this.#o.syncer,
      options: this.#o,
      state: (regionId) => this.#state(regionId),
      apply: (weights, kind, signal) => this.#apply(weights, kind, signal),
    };
    this.#keeper = new LeaseKeeper(store, this.#o.leaseName, holder, this.#o.leaseTtlMillis, this.#o.leaseRenewMillis, this.#clock, {
      acquired: (lease) => this.#onLeaseAcquired(lease),
      lost: (lease, reason) => this.#onLeaseLost(lease, reason),
    });
  }

  on<K extends keyof WithErrorEvent<FailoverEvents> & string>(name: K, listener: Listener<WithErrorEvent<FailoverEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<FailoverEvents> & string>(name: K, listener: Listener<WithErrorEvent<FailoverEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** Starts watching health and competing for the lease. Resolves after the first lease attempt. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const monitor = this.#o.monitor;
    for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
      this.#subscriptions.push(monitor.on(name, (e) => this.#onHealth(e)));
    }
    await this.#keeper.start();
  }

  /** Stops acting, cancels a running operation and releases the lease. Idempotent. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const sub of this.#subscriptions) sub.dispose();
    this.#subscriptions = [];
    for (const regionId of [...this.#holdDowns.keys()]) this.#cancelHoldDown(regionId, 'manager stopped', false);
    const op = this.#operation;
    op?.cancel('failover manager stopped');
    await op?.done.catch(() => undefined);
    await this.#keeper.stop();
  }

  /** Whether this manager holds the lease now. */
  get isLeader(): boolean {
    return this.#keeper.lease !== undefined;
  }

  /** Runs one lease acquire-or-renew attempt now (normally on `leaseRenewMillis`). */
  async refreshLease(): Promise<void> {
    await this.#keeper.tick();
  }

  /** A snapshot: weights, active regions, lease, running operation, history. */
  status(): FailoverManagerStatus {
    const status: FailoverManagerStatus = {
      mode: this.#o.mode,
      active: activeRegions(this.#weights),
      weights: { ...this.#weights },
      home: this.#home,
      isLeader: this.isLeader,
      holder: this.#keeper.holder,
      pendingFailbacks: [...this.#holdDowns.entries()].map(([regionId, h]) => ({ regionId, at: h.at })),
      history: [...this.#history],
    };
    if (this.#operation) status.operation = { id: this.#operation.id, kind: this.#operation.kind };
    const last = this.#history.at(-1);
    if (last) status.lastFailover = last;
    return status;
  }

  /** Dry run: the steps, weights and checks of a failover to `to`, changing nothing. */
  plan(request: { to: string; force?: boolean }): FailoverPlan {
    const to = findRegion(this.#regions, request.to).id;
    const state = this.#state(to);
    const checks: PlanCheck[] = [
      { name: 'target-known', ok: true, detail: `${to} is a configured region` },
      {
        name: 'target-healthy',
        ok: SERVING.has(state) || request.force === true,
        detail: SERVING.has(state) ? `${to} is ${state}` : `${to} is ${state}${request.force ? ' (forced)' : ''}`,
      },
      {
        name: 'lease-held',
        ok: this.isLeader,
        detail: this.isLeader ? `held by this manager (${this.#keeper.holder})` : 'this manager does not hold the failover lease',
      },
      {
        name: 'no-operation-running',
        ok: this.#operation === undefined,
        detail: this.#operation ? `${this.#operation.kind} ${this.#operation.id} is running` : 'idle',
      },
    ];
    const syncer = this.#syncer();
    if (syncer) {
      const lag = syncer.status().regions.find((r) => r.regionId === to)?.lagMillis;
      checks.push({
        name: 'sync-lag',
        ok: lag !== undefined && lag <= this.#o.maxSyncLagMillis,
        detail: lag === undefined ? `no replication status for ${to}` : `lag ${lag} ms (bound ${this.#o.maxSyncLagMillis} ms)`,
      });
    }
    checks.push({
      name: 'routing-verifiable',
      ok: true,
      detail: this.#shifter().resolveRoute ? 'the provider reports which region answers' : 'the provider cannot report routing; health is checked instead',
    });
    return {
      to,
      from: activeRegions(this.#weights),
      steps: ['verify-target', 'sync', 'shift-traffic', 'verify-routing', 'drain'],
      weightsBefore: { ...this.#weights },
      weightsAfter: singleRegionWeights(this.#regions, to),
      checks,
      wouldSucceed: checks.every((c) => c.ok),
    };
  }

  /**
   * Planned failover: verify target → sync → shift traffic → verify routing →
   * drain. Any failure (or cancel) rolls back the steps done and reports which failed.
   */
  failover(request: PlannedFailoverOptions): FailoverOperation<FailoverReport> {
    const to = findRegion(this.#regions, request.to).id;
    this.#assertCanOperate();
    if (!SERVING.has(this.#state(to)) && !request.force) {
      throw new MeridianError('REGION_UNAVAILABLE', `Refusing to fail over to ${to}: it is ${this.#state(to)} (pass force: true to override)`, {
        details: { regionId: to, state: this.#state(to) },
      });
    }
    const from = activeRegions(this.#weights);
    const before = { ...this.#weights };
    const target = singleRegionWeights(this.#regions, to);
    const steps: Step[] = [
      verifyTargetStep(this.#ctx, to, request.force === true),
      syncStep(this.#ctx, to, this.#o.maxSyncLagMillis),
      shiftStep(this.#ctx, target, before, 'planned'),
      verifyRoutingStep(this.#ctx, [to]),
      {
        name: 'drain',
        run: async (signal) => {
          if (!request.drain) return { skipped: 'drain not requested' };
          await sleep(this.#clock, this.#o.drainMillis, signal);
          return `waited ${this.#o.drainMillis} ms for in-flight work on ${from.filter((r) => r !== to).join(', ') || '(none)'}`;
        },
      },
    ];
    return this.#launch('planned', from, to, request.reason ?? `planned failover to ${to}`, steps, before, request.signal, () => this.#settleOn(to));
  }

  /** Back to the home region (active-passive) or the full spread (active-active). */
  failback(request: FailbackRequest = {}): FailoverOperation<FailoverReport> {
    this.#assertCanOperate();
    if (request.verifySync && !this.#syncer()) {
      throw invalidConfig('failback()', [{ path: 'verifySync', message: 'needs a syncer in the FailoverManager options', value: 'true' }]);
    }
    if (!request.waitForHealth && !SERVING.has(this.#state(this.#home))) {
      throw new MeridianError('REGION_UNAVAILABLE', `Cannot fail back to ${this.#home}: it is ${this.#state(this.#home)} (use waitForHealth)`, {
        details: { regionId: this.#home },
      });
    }
    return this.#launchFailback('manual failback', request.waitForHealth === true, request.verifySync === true, request.signal);
  }

  /**
   * Drill: fails over to `to` for real, holds `durationMillis`, checks the target
   * served, then rolls back. Stops early (and rolls back) if the target turns unhealthy.
   */
  drill(request: DrillRequest): FailoverOperation<DrillReport> {
    const to = findRegion(this.#regions, request.to).id;
    if (!Number.isInteger(request.durationMillis) || request.durationMillis <= 0) {
      throw invalidConfig('drill()', [{ path: 'durationMillis', message: 'must be a positive integer', value: String(request.durationMillis) }]);
    }
    this.#assertCanOperate();
    if (!SERVING.has(this.#state(to))) {
      throw new MeridianError('REGION_UNAVAILABLE', `Refusing to drill on ${to}: it is ${this.#state(to)}`, { details: { regionId: to } });
    }
    const from = activeRegions(this.#weights);
    const before = { ...this.#weights };
    const target = singleRegionWeights(this.#regions, to);
    const autoRollback = request.autoRollback ?? true;
    const timings = newDrillTimings();
    const steps: Step[] = [
      verifyTargetStep(this.#ctx, to, false),
      shiftStep(this.#ctx, target, before, 'drill'),
      verifyRoutingStep(this.#ctx, [to]),
      ...drillSteps(this.#ctx, { to, durationMillis: request.durationMillis, autoRollback, before }, timings),
    ];
    const finalize = (report: FailoverReport): DrillReport => {
      const drill = drillReport(report, timings);
      this.#events.emit('drill:completed', drill);
      return drill;
    };
    return this.#launch('drill', from, to, `drill on ${to}`, steps, before, request.signal, () => {
      if (!autoRollback) this.#settleOn(to);
    }, finalize);
  }

  // ---- health reactions -------------------------------------------------

  #onHealth(event: HealthTransition): void {
    if (!this.#running) return;
    const id = event.regionId;
    if (!this.#regions.some((r) => r.id === id)) return;
    if (event.state === 'unhealthy') {
      this.#cancelHoldDown(id, `${id} failed again during hold-down: ${event.reason}`, true);
      this.#reconcile();
    } else if (event.state === 'healthy' && this.#needsFailback(id)) {
      this.#scheduleHoldDown(id);
    }
  }

  #needsFailback(regionId: string): boolean {
    if (!this.#o.failback.automatic || !this.#o.automatic) return false;
    if (this.#o.mode === 'active-passive') return regionId === this.#home && this.#homeFailed && this.#serving !== this.#home;
    return this.#excluded.has(regionId);
  }

  #scheduleHoldDown(regionId: string): void {
    if (this.#holdDowns.has(regionId)) return;
    const at = this.#clock.now() + this.#o.failback.holdDownMillis;
    const timer = this.#clock.setTimeout(() => {
      this.#holdDowns.delete(regionId);
      this.#holdDownElapsed(regionId);
    }, this.#o.failback.holdDownMillis);
    this.#holdDowns.set(regionId, { timer, at });
    this.#events.emit('failback:scheduled', { regionId, at, reason: 'hold-down' });
  }

  #cancelHoldDown(regionId: string, reason: string, emit: boolean): void {
    const pending = this.#holdDowns.get(regionId);
    if (!pending) return;
    pending.timer.cancel();
    this.#holdDowns.delete(regionId);
    if (emit) this.#events.emit('failback:cancelled', { regionId, at: this.#clock.now(), reason });
  }

  #holdDownElapsed(regionId: string): void {
    if (!this.#running || this.#state(regionId) !== 'healthy' || !this.#needsFailback(regionId)) return;
    const syncer = this.#syncer();
    const lag = syncer?.status().regions.find((r) => r.regionId === regionId)?.lagMillis;
    const lagTooHigh = syncer !== undefined && (lag === undefined || lag > this.#o.failback.maxLagMillis);
    if (lagTooHigh || this.#operation || !this.isLeader) {
      // Not yet: data still catching up, or something else is running. Look again soon.
      const timer = this.#clock.setTimeout(() => {
        this.#holdDowns.delete(regionId);
        this.#holdDownElapsed(regionId);
      }, Math.min(this.#o.failback.holdDownMillis, 5_000));
      this.#holdDowns.set(regionId, { timer, at: this.#clock.now() });
      return;
    }
    if (this.#o.mode === 'active-passive') {
      void this.#launchFailback(`automatic failback: ${regionId} healthy for ${this.#o.failback.holdDownMillis} ms`, false, false).done.catch(() => undefined);
    } else {
      const excluded = new Set(this.#excluded);
      excluded.delete(regionId);
      const next = spreadWeights(this.#regions, excluded)!;
      const before = { ...this.#weights };
      const steps = [shiftStep(this.#ctx, next, before, 'failback'), verifyRoutingStep(this.#ctx, activeRegions(next))];
      void this.#launch('failback', activeRegions(before), regionId, `automatic failback: ${regionId} healthy for ${this.#o.failback.holdDownMillis} ms`, steps, before, undefined, () => {
        this.#excluded.delete(regionId);
      }).done.catch(() => undefined);
    }
  }

  #reconcile(): void {
    if (!this.#running || !this.#o.automatic || this.#operation || !this.isLeader) return;
    if (this.#o.mode === 'active-passive') {
      const serving = this.#serving;
      if (this.#state(serving) !== 'unhealthy') {
        this.#noHealthyReported = false;
        return;
      }
      const target = this.#bestCandidate(serving);
      if (!target) {
        this.#reportNoHealthy(serving);
        return;
      }
      const before = { ...this.#weights };
      const steps = [shiftStep(this.#ctx, singleRegionWeights(this.#regions, target), before, 'automatic')];
      void this.#launch('automatic', activeRegions(before), target, `${serving} is unhealthy`, steps, before, undefined, () => {
        if (serving === this.#home) this.#homeFailed = true;
        this.#serving = target;
        this.#noHealthyReported = false;
      }).done.catch(() => undefined);
      return;
    }
    const failing = activeRegions(this.#weights).filter((id) => this.#state(id) === 'unhealthy');
    if (failing.length === 0) return;
    const excluded = new Set([...this.#excluded, ...failing]);
    if (this.#pinned && excluded.has(this.#pinned)) this.#pinned = undefined;
    const next = this.#pinned ? singleRegionWeights(this.#regions, this.#pinned) : spreadWeights(this.#regions, excluded);
    const anyServing = next && activeRegions(next).some((id) => this.#state(id) !== 'unhealthy');
    if (!next || !anyServing) {
      this.#reportNoHealthy(failing[0]!);
      return;
    }
    const before = { ...this.#weights };
    void this.#launch('automatic', activeRegions(before), activeRegions(next).join(','), `${failing.join(', ')} unhealthy`, [shiftStep(this.#ctx, next, before, 'automatic')], before, undefined, () => {
      for (const id of failing) this.#excluded.add(id);
      this.#noHealthyReported = false;
    }).done.catch(() => undefined);
  }

  #reportNoHealthy(failed: string): void {
    if (this.#noHealthyReported) return;
    this.#noHealthyReported = true;
    // Envoy's panic mode: keep sending traffic to the last good set rather than nowhere.
    this.#events.emit('failover:no-healthy-region', { weights: { ...this.#weights }, failed, at: this.#clock.now() });
  }

  #bestCandidate(exclude: string): string | undefined {
    const candidates = this.#regions.filter((r) => r.id !== exclude);
    return (candidates.find((r) => this.#state(r.id) === 'healthy') ?? candidates.find((r) => this.#state(r.id) === 'degraded'))?.id;
  }

  // ---- operations -------------------------------------------------------

  #launchFailback(reason: string, waitForHealth: boolean, verifySync: boolean, signal?: AbortSignal): FailoverOperation<FailoverReport> {
    const before = { ...this.#weights };
    const next = this.#o.mode === 'active-passive' ? singleRegionWeights(this.#regions, this.#home) : spreadWeights(this.#regions, new Set())!;
    const home = this.#home;
    const steps: Step[] = [
      {
        name: 'wait-for-health',
        run: async (s) => {
          if (SERVING.has(this.#state(home))) return `${home} is ${this.#state(home)}`;
          if (!waitForHealth) throw new MeridianError('REGION_UNAVAILABLE', `${home} is ${this.#state(home)}`);
          await waitForServing(this.#ctx, home, s);
          return `${home} became ${this.#state(home)}`;
        },
      },
      verifySync ? syncStep(this.#ctx, home, this.#o.failback.maxLagMillis) : { name: 'sync', run: async () => ({ skipped: 'verifySync not requested' }) },
      shiftStep(this.#ctx, next, before, 'failback'),
      verifyRoutingStep(this.#ctx, activeRegions(next)),
    ];
    return this.#launch('failback', activeRegions(before), this.#o.mode === 'active-passive' ? home : activeRegions(next).join(','), reason, steps, before, signal, () => {
      this.#serving = home;
      this.#homeFailed = false;
      this.#pinned = undefined;
      this.#excluded.clear();
    });
  }

  #launch<R extends FailoverReport = FailoverReport>(
    kind: FailoverKind,
    from: string[],
    to: string,
    reason: string,
    steps: Step[],
    before: TrafficWeights,
    signal: AbortSignal | undefined,
    onSuccess: () => void,
    finalize: (report: FailoverReport) => R = (report) => report as R,
  ): FailoverOperation<R> {
    const handle = new OperationHandle<R, FailoverProgress, FailoverKind>(this.#newId(kind), kind);
    this.#operation = handle as unknown as OperationHandle<FailoverReport, FailoverProgress, FailoverKind>;
    const started = this.#clock.now();
    return handle.start(async (h) => {
      this.#events.emit('failover:started', { id: h.id, kind, from, to, reason, at: started });
      const combined = signal ? AbortSignal.any([signal, h.controller.signal]) : h.controller.signal;
      try {
        const outcome = await runSteps(steps, combined, this.#clock, (step) => this.#progress(h, step));
        const base = this.#report(h.id, kind, from, to, reason, outcome, before, started);
        if (!outcome.ok) throw this.#failed(base);
        onSuccess();
        const report = finalize(base);
        this.#record(report);
        this.#recorder.ended(report);
        this.#events.emit('failover:completed', report);
        return report;
      } finally {
        this.#finish(h as unknown as OperationHandle<FailoverReport, FailoverProgress, FailoverKind>);
      }
    });
  }

  #finish(handle: OperationHandle<FailoverReport, FailoverProgress, FailoverKind>): void {
    if (this.#operation === handle) this.#operation = undefined;
    // Health may have moved while the operation ran.
    queueMicrotask(() => {
      this.#reconcile();
      for (const region of this.#regions) {
        if (this.#state(region.id) === 'healthy' && this.#needsFailback(region.id)) this.#scheduleHoldDown(region.id);
      }
    });
  }

  #failed(report: FailoverReport): MeridianError {
    this.#record(report);
    this.#recorder.ended(report);
    this.#events.emit('failover:failed', report);
    const what = report.outcome === 'cancelled' ? 'was cancelled' : `failed at step "${report.failedStep}"`;
    return new MeridianError('FAILOVER_FAILED', `${report.kind} to ${report.to} ${what}: ${report.error}; completed steps were rolled back`, {
      details: { report },
    });
  }

  #report(id: string, kind: FailoverKind, from: string[], to: string, reason: string, outcome: Awaited<ReturnType<typeof runSteps>>, before: TrafficWeights, started: number): FailoverReport {
    const report: FailoverReport = {
      id,
      kind,
      from,
      to,
      reason,
      outcome: outcome.ok ? 'completed' : outcome.cancelled ? 'cancelled' : 'failed',
      steps: outcome.steps,
      weightsBefore: before,
      weightsAfter: { ...this.#weights },
      startedAt: started,
      durationMillis: this.#clock.now() - started,
    };
    if (outcome.failedStep) report.failedStep = outcome.failedStep;
    if (outcome.error !== undefined) report.error = describe(outcome.error);
    return report;
  }

  #record(report: FailoverReport): void {
    this.#history.push(report);
    while (this.#history.length > this.#o.historyLimit) this.#history.shift();
  }

  #progress(handle: OperationHandle<unknown, FailoverProgress, FailoverKind>, step: StepRecord): void {
    const progress = { id: handle.id, kind: handle.kind, step };
    handle.report(progress);
    this.#events.emit('failover:progress', progress);
  }

  #settleOn(to: string): void {
    if (this.#o.mode === 'active-passive') {
      this.#serving = to;
      // A planned move is a decision, not a fault: nothing to fail back from.
      this.#homeFailed = false;
    } else {
      this.#pinned = to;
    }
  }

  async #apply(weights: TrafficWeights, kind: FailoverKind | 'initial', signal?: AbortSignal): Promise<void> {
    const lease = this.#keeper.lease;
    if (!lease) throw new MeridianError('LEASE_LOST', `not acting: this manager (${this.#keeper.holder}) does not hold the failover lease`);
    const valid = validateTrafficWeights(weights, this.#regions.map((r) => r.id));
    await this.#shifter().setTraffic(valid, { ...(signal ? { signal } : {}), fencingToken: lease.token });
    const previous = this.#weights;
    this.#weights = { ...valid };
    this.#recorder.weights(valid);
    this.#events.emit('traffic:changed', { weights: { ...valid }, previous, kind, fencingToken: lease.token });
  }

  // ---- lease ------------------------------------------------------------

  #onLeaseAcquired(lease: Lease): void {
    this.#events.emit('lease:acquired', { holder: lease.holder, token: lease.token });
    // A new leader starts from what health says now, not from a stale plan.
    if (this.#o.mode === 'active-passive' && this.#state(this.#serving) === 'unhealthy') {
      this.#serving = this.#bestCandidate(this.#serving) ?? this.#serving;
    }
    const desired = this.#desiredWeights();
    void this.#apply(desired, 'initial').then(
      () => this.#reconcile(),
      () => undefined,
    );
  }

  #onLeaseLost(lease: Lease, reason: string): void {
    this.#events.emit('lease:lost', { holder: lease.holder, token: lease.token, reason });
    // Stop acting at once: whatever runs is cancelled (its rollback will be fenced too).
    this.#operation?.cancel(`lease lost: ${reason}`);
  }

  // ---- helpers ----------------------------------------------------------

  #desiredWeights(): TrafficWeights {
    if (this.#o.mode === 'active-passive') return singleRegionWeights(this.#regions, this.#serving);
    if (this.#pinned) return singleRegionWeights(this.#regions, this.#pinned);
    return spreadWeights(this.#regions, this.#excluded) ?? spreadWeights(this.#regions, new Set())!;
  }

  #assertCanOperate(): void {
    if (!this.#running) throw new MeridianError('SHUT_DOWN', 'FailoverManager is not started');
    if (this.#operation) {
      throw new MeridianError('FAILOVER_IN_PROGRESS', `${this.#operation.kind} ${this.#operation.id} is running; wait for it or cancel it`, {
        details: { operation: this.#operation.id },
      });
    }
    if (!this.isLeader) {
      throw new MeridianError('LEASE_HELD', `This manager (${this.#keeper.holder}) does not hold the failover lease; the holder must act`);
    }
  }

  #state(regionId: string): HealthState {
    try {
      return this.#monitor().get(regionId).state;
    } catch {
      return 'unknown';
    }
  }

  #monitor(): HealthView {
    return this.#o.monitor;
  }

  #shifter(): TrafficShifter {
    return this.#o.provider;
  }

  #syncer(): Syncer | undefined {
    return this.#o.syncer;
  }

  #newId(kind: FailoverKind): string {
    return `${kind}-${this.#clock.now()}-${this.#nextId++}`;
  }
}

