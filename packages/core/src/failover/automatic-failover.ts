import type { Clock } from '../clock/clock.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import type { TypedEmitter } from '../events/typed-emitter.js';
import type { HealthTransition } from '../health/health-types.js';
import type { ResolvedFailoverOptions } from './failover-options.js';
import type { FailoverEvents } from './failover-types.js';
import { HoldDowns } from './hold-downs.js';
import type { MoveLauncher } from './move-launcher.js';
import type { PolicyContext, TrafficPolicy } from './strategies/traffic-policy.js';

/** Re-checks of a failback that could not run yet wait this long at most. */
const FAILBACK_RECHECK_MILLIS = 5_000;

/** What automatic failover needs of its manager. */
export interface AutomaticFailoverDeps {
  options: Pick<ResolvedFailoverOptions, 'automatic' | 'failback' | 'syncer'>;
  clock: Clock;
  events: TypedEmitter<FailoverEvents>;
  policy: TrafficPolicy;
  view: PolicyContext;
  launcher: MoveLauncher;
  /** Whether the manager may act now: started, leader, and no operation running. */
  canAct(): boolean;
  /** Whether the manager is started. */
  running(): boolean;
}

/**
 * The manager's reactions to health: fail over when the policy says so, report
 * panic once, and fail back after a hold-down that resets when the region fails again.
 */
export class AutomaticFailover {
  readonly #d: AutomaticFailoverDeps;
  readonly #holdDowns: HoldDowns;
  #noHealthyReported = false;

  constructor(deps: AutomaticFailoverDeps) {
    this.#d = deps;
    this.#holdDowns = new HoldDowns(deps.clock);
  }

  /** Hold-downs in progress. */
  get holdDowns(): HoldDowns {
    return this.#holdDowns;
  }

  /** A region's health moved. */
  onHealth(event: HealthTransition): void {
    const id = event.regionId;
    if (!this.#d.view.regions.some((r) => r.id === id)) return;
    if (event.state === 'unhealthy') {
      if (this.#holdDowns.cancel(id)) {
        this.#d.events.emit('failback:cancelled', { regionId: id, at: this.#d.clock.now(), reason: `${id} failed again during hold-down: ${event.reason}` });
      }
      this.reconcile();
    } else if (event.state === 'healthy' && this.#needsFailback(id)) {
      this.#scheduleHoldDown(id);
    }
  }

  /** After an operation: health may have moved while it ran. */
  afterOperation(): void {
    this.reconcile();
    for (const region of this.#d.view.regions) {
      if (this.#d.view.state(region.id) === 'healthy' && this.#needsFailback(region.id)) this.#scheduleHoldDown(region.id);
    }
  }

  /** Fails over if the policy wants to. */
  reconcile(): void {
    if (!this.#d.options.automatic || !this.#d.canAct()) return;
    const decision = this.#d.policy.onHealthChange();
    if (decision.kind === 'serving') this.#noHealthyReported = false;
    else if (decision.kind === 'no-healthy') this.#reportNoHealthy(decision.failed);
    else if (decision.kind === 'move') {
      const onSuccess = (): void => {
        this.#noHealthyReported = false;
      };
      void this.#d.launcher.shift({ kind: 'automatic', move: decision.move, reason: decision.reason, verify: false, onSuccess }).done.catch(() => undefined);
    }
  }

  #reportNoHealthy(failed: string): void {
    if (this.#noHealthyReported) return;
    this.#noHealthyReported = true;
    const weights: TrafficWeights = { ...this.#d.view.weights() };
    // Envoy's panic mode: keep sending traffic to the last good set rather than nowhere.
    this.#d.events.emit('failover:no-healthy-region', { weights, failed, at: this.#d.clock.now() });
  }

  #needsFailback(regionId: string): boolean {
    const { failback, automatic } = this.#d.options;
    return failback.automatic && automatic && this.#d.policy.needsFailback(regionId);
  }

  #scheduleHoldDown(regionId: string): void {
    if (this.#holdDowns.has(regionId)) return;
    const at = this.#holdDowns.schedule(regionId, this.#d.options.failback.holdDownMillis, () => this.#holdDownElapsed(regionId));
    this.#d.events.emit('failback:scheduled', { regionId, at, reason: 'hold-down' });
  }

  #holdDownElapsed(regionId: string): void {
    if (!this.#d.running() || this.#d.view.state(regionId) !== 'healthy' || !this.#needsFailback(regionId)) return;
    const { syncer, failback } = this.#d.options;
    const lag = syncer?.status().regions.find((r) => r.regionId === regionId)?.lagMillis;
    const lagTooHigh = syncer !== undefined && (lag === undefined || lag > failback.maxLagMillis);
    if (lagTooHigh || !this.#d.canAct()) {
      // Not yet: data still catching up, or something else is running. Look again soon.
      this.#holdDowns.schedule(regionId, Math.min(failback.holdDownMillis, FAILBACK_RECHECK_MILLIS), () => this.#holdDownElapsed(regionId));
      return;
    }
    const reason = `automatic failback: ${regionId} healthy for ${failback.holdDownMillis} ms`;
    const { steps, move } = this.#d.policy.recover(regionId);
    const op =
      steps === 'failback'
        ? this.#d.launcher.failback(move, reason, { waitForHealth: false, verifySync: false })
        : this.#d.launcher.shift({ kind: 'failback', move, reason, verify: true });
    void op.done.catch(() => undefined);
  }
}
