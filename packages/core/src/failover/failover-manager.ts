import { hostname } from 'node:os';
import { systemClock, type Clock } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import type { Lease } from '../contracts/lease-store.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import { validateTrafficWeights } from '../contracts/traffic-weights.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import type { HealthState } from '../health/health-types.js';
import { MemoryLeaseStore } from '../lease/memory-lease-store.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { findRegion } from '../regions/find-region.js';
import { drillReport, drillSteps, newDrillTimings } from './drill-steps.js';
import { AutomaticFailover } from './automatic-failover.js';
import { failoverRecorder, type FailoverRecorder } from './failover-metrics.js';
import { failoverOptionsSchema, type FailoverManagerOptions, type FailoverRegion, type ResolvedFailoverOptions } from './failover-options.js';
import { planFailover, type FailoverPlan } from './failover-plan.js';
import type { DrillRequest, FailbackRequest, PlannedFailoverOptions } from './failover-requests.js';
import { SERVING, shiftStep, syncStep, verifyRoutingStep, verifyTargetStep, type StepContext } from './failover-steps.js';
import type { DrillReport, FailoverEvents, FailoverKind, FailoverManagerStatus, FailoverReport } from './failover-types.js';
import { LeaseKeeper } from './lease-keeper.js';
import { MoveLauncher } from './move-launcher.js';
import type { FailoverOperation } from './operation.js';
import { OperationRunner } from './operation-runner.js';
import type { Step } from './step-runner.js';
import { policyForMode } from './strategies/policy-for-mode.js';
import type { PolicyContext, TrafficPolicy } from './strategies/traffic-policy.js';
import { activeRegions, byPriority, singleRegionWeights } from './weights.js';

export type { FailoverPlan, PlanCheck } from './failover-plan.js';
export type { DrillRequest, FailbackRequest, PlannedFailoverOptions } from './failover-requests.js';

/** A region's place in the failover order ({@link FailoverManager.priorities}, {@link FailoverManager.setPriorities}). */
export interface RegionPriority {
  /** Region id. */
  id: string;
  /** Failover priority: lower first; the lowest is home. */
  priority: number;
}

/**
 * Moves traffic between regions: automatic failover when an active region turns
 * unhealthy, automatic failback after a hold-down, planned failovers with
 * rollback, dry runs and drills. Only the holder of the lease acts; others watch.
 * Which regions carry traffic is decided by the mode's traffic policy (`strategies/`).
 */
export class FailoverManager implements EventSource<WithErrorEvent<FailoverEvents>> {
  declare readonly '~events'?: WithErrorEvent<FailoverEvents>;
  readonly #o: ResolvedFailoverOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<FailoverEvents>();
  readonly #regions: FailoverRegion[];
  #home: string;
  /** Configuration order of the regions: the tie-break between equal priorities. */
  readonly #configOrder: Map<string, number>;
  readonly #keeper: LeaseKeeper;
  readonly #policy: TrafficPolicy;
  readonly #runner: OperationRunner;
  readonly #recorder: FailoverRecorder;
  readonly #ctx: StepContext;
  readonly #launcher: MoveLauncher;
  readonly #automatic: AutomaticFailover;
  #weights: TrafficWeights;
  #subscriptions: Disposable[] = [];
  #running = false;

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
    this.#configOrder = new Map(this.#o.regions.map((r, index) => [r.id, index]));
    this.#regions = byPriority(this.#o.regions.map((r) => ({ id: r.id, priority: r.priority, weight: r.weight })));
    this.#home = this.#regions[0]!.id;
    // The policy and the launcher read home through these getters: setPriorities() may change it.
    const homeOf = (): string => this.#home;
    const view: PolicyContext = {
      regions: this.#regions,
      get home() {
        return homeOf();
      },
      state: (regionId) => this.#state(regionId),
      weights: () => this.#weights,
    };
    this.#policy = policyForMode(this.#o.mode, view);
    this.#weights = this.#policy.desired();
    this.#recorder = failoverRecorder(this.#o.metrics ?? noopMetrics, this.#regions.map((r) => r.id));
    this.#runner = new OperationRunner({
      clock: this.#clock,
      events: this.#events,
      recorder: this.#recorder,
      historyLimit: this.#o.historyLimit,
      weights: () => this.#weights,
      finished: () => queueMicrotask(() => this.#automatic.afterOperation()),
    });
    this.#ctx = {
      clock: this.#clock,
      monitor: this.#o.monitor,
      shifter: this.#o.provider,
      syncer: this.#o.syncer,
      options: this.#o,
      state: (regionId) => this.#state(regionId),
      apply: (weights, kind, signal) => this.#apply(weights, kind, signal),
    };
    this.#launcher = new MoveLauncher(this.#runner, this.#ctx, {
      get home() {
        return homeOf();
      },
      failbackMaxLagMillis: this.#o.failback.maxLagMillis,
      weights: () => this.#weights,
    });
    this.#automatic = new AutomaticFailover({
      options: this.#o,
      clock: this.#clock,
      events: this.#events,
      policy: this.#policy,
      view,
      launcher: this.#launcher,
      canAct: () => this.#running && !this.#runner.current && this.isLeader,
      running: () => this.#running,
    });
    const holder = this.#o.holderId ?? `${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const store = this.#o.leaseStore ?? new MemoryLeaseStore({ clock: this.#clock });
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
    for (const name of ['region:healthy', 'region:degraded', 'region:unhealthy'] as const) {
      this.#subscriptions.push(
        this.#o.monitor.on(name, (e) => {
          if (this.#running) this.#automatic.onHealth(e);
        }),
      );
    }
    await this.#keeper.start();
  }

  /** Stops acting, cancels a running operation and releases the lease. Idempotent and awaitable. */
  async close(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    for (const sub of this.#subscriptions) sub.dispose();
    this.#subscriptions = [];
    this.#automatic.holdDowns.cancelAll();
    const op = this.#runner.current;
    op?.cancel('failover manager stopped');
    await op?.done.catch(() => undefined);
    await this.#keeper.stop();
  }

  /**
   * Stops acting, like {@link FailoverManager.close}.
   * @deprecated Use `close()` (or `await using`); `stop()` will be removed in a future major version.
   */
  async stop(): Promise<void> {
    await this.close();
  }

  /** Calls {@link FailoverManager.close}, so `await using manager = new FailoverManager(...)` ends it. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
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
    const history = this.#runner.history();
    const status: FailoverManagerStatus = {
      mode: this.#o.mode,
      active: activeRegions(this.#weights),
      weights: { ...this.#weights },
      home: this.#home,
      isLeader: this.isLeader,
      holder: this.#keeper.holder,
      pendingFailbacks: this.#automatic.holdDowns.list(),
      history,
    };
    const op = this.#runner.current;
    if (op) status.operation = { id: op.id, kind: op.kind };
    const last = history.at(-1);
    if (last) status.lastFailover = last;
    return status;
  }

  /** Regions in failover order (lowest priority first; the first is home). */
  priorities(): RegionPriority[] {
    return this.#regions.map((r) => ({ id: r.id, priority: r.priority }));
  }

  /**
   * Changes the failover order at runtime: `{ regionId: priority }` for the
   * regions to change (lower first; equal priorities keep configuration order).
   * Automatic failover picks its next target in the new order from now on. When
   * another region comes first it becomes home: failback (manual, or automatic
   * once it has failed and recovered) returns there; traffic does not move by
   * itself. This manager's order only: other instances keep theirs.
   * REGION_NOT_FOUND for an unknown region, INVALID_ARGUMENT for a priority that
   * is not a non-negative integer, FAILOVER_IN_PROGRESS while an operation runs.
   */
  setPriorities(priorities: Record<string, number>): RegionPriority[] {
    const entries = Object.entries(priorities ?? {});
    if (entries.length === 0) throw new MeridianError('INVALID_ARGUMENT', 'setPriorities: give at least one region and its priority');
    const changes = entries.map(([id, priority]) => {
      const region = findRegion(this.#regions, id);
      if (!Number.isInteger(priority) || priority < 0) {
        throw new MeridianError('INVALID_ARGUMENT', `setPriorities: priority of ${region.id} must be a non-negative integer, got ${String(priority)}`);
      }
      return { region, priority };
    });
    const op = this.#runner.current;
    if (op) throw new MeridianError('FAILOVER_IN_PROGRESS', `${op.kind} ${op.id} is running; change priorities when it has ended`, { details: { operation: op.id } });
    for (const { region, priority } of changes) region.priority = priority;
    // In place: the traffic policy holds this very array.
    this.#regions.sort((a, b) => a.priority - b.priority || this.#configOrder.get(a.id)! - this.#configOrder.get(b.id)!);
    this.#home = this.#regions[0]!.id;
    return this.priorities();
  }

  /** Dry run: the steps, weights and checks of a failover to `to`, changing nothing. */
  plan(request: { to: string; force?: boolean }): FailoverPlan {
    const to = findRegion(this.#regions, request.to).id;
    const op = this.#runner.current;
    return planFailover({
      to,
      force: request.force === true,
      regions: this.#regions,
      weights: this.#weights,
      state: this.#state(to),
      holder: this.#keeper.holder,
      isLeader: this.isLeader,
      running: op ? `${op.kind} ${op.id}` : undefined,
      syncer: this.#o.syncer,
      maxSyncLagMillis: this.#o.maxSyncLagMillis,
      shifter: this.#o.provider,
    });
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
    const steps: Step[] = [
      verifyTargetStep(this.#ctx, to, request.force === true),
      syncStep(this.#ctx, to, this.#o.maxSyncLagMillis),
      shiftStep(this.#ctx, singleRegionWeights(this.#regions, to), before, 'planned'),
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
    const reason = request.reason ?? `planned failover to ${to}`;
    return this.#runner.launch({ kind: 'planned', from, to, toRegions: [to], reason, steps, before, signal: request.signal, onSuccess: () => this.#policy.settleOn(to) });
  }

  /** Back to the home region (active-passive) or the full spread (active-active). */
  failback(request: FailbackRequest = {}): FailoverOperation<FailoverReport> {
    this.#assertCanOperate();
    if (request.verifySync && !this.#o.syncer) {
      throw invalidConfig('failback()', [{ path: 'verifySync', message: 'needs a syncer in the FailoverManager options', value: 'true' }]);
    }
    if (!request.waitForHealth && !SERVING.has(this.#state(this.#home))) {
      throw new MeridianError('REGION_UNAVAILABLE', `Cannot fail back to ${this.#home}: it is ${this.#state(this.#home)} (use waitForHealth)`, {
        details: { regionId: this.#home },
      });
    }
    const checks = { waitForHealth: request.waitForHealth === true, verifySync: request.verifySync === true };
    return this.#launcher.failback(this.#policy.failback(), 'manual failback', checks, request.signal);
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
    const autoRollback = request.autoRollback ?? true;
    const timings = newDrillTimings();
    const steps: Step[] = [
      verifyTargetStep(this.#ctx, to, false),
      shiftStep(this.#ctx, singleRegionWeights(this.#regions, to), before, 'drill'),
      verifyRoutingStep(this.#ctx, [to]),
      ...drillSteps(this.#ctx, { to, durationMillis: request.durationMillis, autoRollback, before }, timings),
    ];
    const onSuccess = (): void => {
      if (!autoRollback) this.#policy.settleOn(to);
    };
    return this.#runner.launchWith({ kind: 'drill', from, to, toRegions: [to], reason: `drill on ${to}`, steps, before, signal: request.signal, onSuccess }, (report) => {
      const drill = drillReport(report, timings);
      this.#events.emit('drill:completed', drill);
      return drill;
    });
  }

  async #apply(weights: TrafficWeights, kind: FailoverKind | 'initial', signal?: AbortSignal): Promise<void> {
    const lease = this.#keeper.lease;
    if (!lease) throw new MeridianError('LEASE_LOST', `not acting: this manager (${this.#keeper.holder}) does not hold the failover lease`);
    const valid = validateTrafficWeights(weights, this.#regions.map((r) => r.id));
    await this.#o.provider.setTraffic(valid, { ...(signal ? { signal } : {}), fencingToken: lease.token });
    const previous = this.#weights;
    this.#weights = { ...valid };
    this.#recorder.weights(valid);
    this.#events.emit('traffic:changed', { weights: { ...valid }, previous, kind, fencingToken: lease.token });
  }

  // ---- lease ----------------------------------------------------------------

  #onLeaseAcquired(lease: Lease): void {
    this.#events.emit('lease:acquired', { holder: lease.holder, token: lease.token });
    this.#policy.leadershipGained();
    void this.#apply(this.#policy.desired(), 'initial').then(
      () => this.#automatic.reconcile(),
      () => undefined,
    );
  }

  #onLeaseLost(lease: Lease, reason: string): void {
    this.#events.emit('lease:lost', { holder: lease.holder, token: lease.token, reason });
    // Stop acting at once: whatever runs is cancelled (its rollback will be fenced too).
    this.#runner.current?.cancel(`lease lost: ${reason}`);
  }

  // ---- helpers --------------------------------------------------------------

  #assertCanOperate(): void {
    if (!this.#running) throw new MeridianError('SHUT_DOWN', 'FailoverManager is not started');
    const op = this.#runner.current;
    if (op) {
      throw new MeridianError('FAILOVER_IN_PROGRESS', `${op.kind} ${op.id} is running; wait for it or cancel it`, { details: { operation: op.id } });
    }
    if (!this.isLeader) {
      throw new MeridianError('LEASE_HELD', `This manager (${this.#keeper.holder}) does not hold the failover lease; the holder must act`);
    }
  }

  #state(regionId: string): HealthState {
    try {
      return this.#o.monitor.get(regionId).state;
    } catch {
      return 'unknown';
    }
  }
}
