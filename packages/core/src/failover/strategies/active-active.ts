import type { TrafficWeights } from '../../contracts/region-provider.js';
import { activeRegions, singleRegionWeights, spreadWeights } from '../weights.js';
import type { FailureDecision, PolicyContext, RecoveryMove, TrafficMove, TrafficPolicy } from './traffic-policy.js';

/**
 * Active-active: traffic spread by configured weight over every region not
 * excluded. A failing region is excluded (the rest re-normalised) until it stays
 * healthy for the hold-down. A planned failover pins all traffic to one region
 * until failback.
 */
export class ActiveActivePolicy implements TrafficPolicy {
  readonly #ctx: PolicyContext;
  readonly #excluded = new Set<string>();
  #pinned: string | undefined;

  constructor(ctx: PolicyContext) {
    this.#ctx = ctx;
  }

  desired(): TrafficWeights {
    if (this.#pinned) return singleRegionWeights(this.#ctx.regions, this.#pinned);
    return spreadWeights(this.#ctx.regions, this.#excluded) ?? this.#fullSpread();
  }

  leadershipGained(): void {
    // Nothing stale to forget: desired() already follows the exclusions.
  }

  onHealthChange(): FailureDecision {
    const failing = activeRegions(this.#ctx.weights()).filter((id) => this.#ctx.state(id) === 'unhealthy');
    if (failing.length === 0) return { kind: 'none' };
    const excluded = new Set([...this.#excluded, ...failing]);
    if (this.#pinned && excluded.has(this.#pinned)) this.#pinned = undefined;
    const next = this.#pinned ? singleRegionWeights(this.#ctx.regions, this.#pinned) : spreadWeights(this.#ctx.regions, excluded);
    const anyServing = next && activeRegions(next).some((id) => this.#ctx.state(id) !== 'unhealthy');
    if (!next || !anyServing) return { kind: 'no-healthy', failed: failing[0]! };
    const move: TrafficMove = {
      weights: next,
      to: activeRegions(next).join(','),
      settle: () => {
        for (const id of failing) this.#excluded.add(id);
      },
    };
    return { kind: 'move', move, reason: `${failing.join(', ')} unhealthy` };
  }

  needsFailback(regionId: string): boolean {
    return this.#excluded.has(regionId);
  }

  recover(regionId: string): RecoveryMove {
    const excluded = new Set(this.#excluded);
    excluded.delete(regionId);
    // Never undefined: regionId itself is included again.
    const weights = spreadWeights(this.#ctx.regions, excluded)!;
    return { steps: 'shift', move: { weights, to: regionId, settle: () => this.#excluded.delete(regionId) } };
  }

  failback(): TrafficMove {
    const weights = this.#fullSpread();
    return {
      weights,
      to: activeRegions(weights).join(','),
      settle: () => {
        this.#pinned = undefined;
        this.#excluded.clear();
      },
    };
  }

  settleOn(to: string): void {
    this.#pinned = to;
  }

  #fullSpread(): TrafficWeights {
    // Configured weights are positive (the options schema says so), so the full spread exists.
    return spreadWeights(this.#ctx.regions, new Set())!;
  }
}
