import type { TrafficWeights } from '../../contracts/region-provider.js';
import { singleRegionWeights } from '../weights.js';
import type { FailureDecision, PolicyContext, RecoveryMove, TrafficMove, TrafficPolicy } from './traffic-policy.js';

/**
 * Active-passive: all traffic on one region, the home region by default. When it
 * fails, traffic goes to the best other region by priority (healthy before
 * degraded); once home failed and recovered, failback brings traffic home.
 */
export class ActivePassivePolicy implements TrafficPolicy {
  readonly #ctx: PolicyContext;
  #serving: string;
  /** Home lost traffic because it failed (not by a planned move). */
  #homeFailed = false;

  constructor(ctx: PolicyContext) {
    this.#ctx = ctx;
    this.#serving = ctx.home;
  }

  desired(): TrafficWeights {
    return singleRegionWeights(this.#ctx.regions, this.#serving);
  }

  leadershipGained(): void {
    if (this.#ctx.state(this.#serving) === 'unhealthy') this.#serving = this.#bestCandidate(this.#serving) ?? this.#serving;
  }

  onHealthChange(): FailureDecision {
    const serving = this.#serving;
    if (this.#ctx.state(serving) !== 'unhealthy') return { kind: 'serving' };
    const target = this.#bestCandidate(serving);
    if (!target) return { kind: 'no-healthy', failed: serving };
    const move: TrafficMove = {
      weights: singleRegionWeights(this.#ctx.regions, target),
      to: target,
      settle: () => {
        if (serving === this.#ctx.home) this.#homeFailed = true;
        this.#serving = target;
      },
    };
    return { kind: 'move', move, reason: `${serving} is unhealthy` };
  }

  needsFailback(regionId: string): boolean {
    return regionId === this.#ctx.home && this.#homeFailed && this.#serving !== this.#ctx.home;
  }

  recover(): RecoveryMove {
    return { steps: 'failback', move: this.failback() };
  }

  failback(): TrafficMove {
    const home = this.#ctx.home;
    return {
      weights: singleRegionWeights(this.#ctx.regions, home),
      to: home,
      settle: () => {
        this.#serving = home;
        this.#homeFailed = false;
      },
    };
  }

  settleOn(to: string): void {
    this.#serving = to;
    // A planned move is a decision, not a fault: nothing to fail back from.
    this.#homeFailed = false;
  }

  #bestCandidate(exclude: string): string | undefined {
    const candidates = this.#ctx.regions.filter((r) => r.id !== exclude);
    return (candidates.find((r) => this.#ctx.state(r.id) === 'healthy') ?? candidates.find((r) => this.#ctx.state(r.id) === 'degraded'))?.id;
  }
}
