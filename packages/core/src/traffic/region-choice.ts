import type { RouteDecision, Router } from '../contracts/router.js';
import type { HealthState } from '../health/health-types.js';
import type { TrafficRegion } from './traffic-options.js';
import type { ChoiceReason } from './traffic-types.js';
import { WeightedPicker } from './weighted-picker.js';

/** What one choice looks at. */
export interface ChoiceInput {
  regions: readonly TrafficRegion[];
  weights: Readonly<Record<string, number>>;
  state(regionId: string): HealthState;
  /** Regions already tried for this request. */
  tried: ReadonlySet<string>;
  clientAddress?: string;
  affinityRegion?: string;
}

/** A region for the next attempt, and why. */
export interface Choice {
  region: TrafficRegion;
  reason: ChoiceReason;
  /** True when every region is unhealthy and health was ignored. */
  panic: boolean;
}

// Spill-over prefers regions whose health is known good.
const HEALTH_RANK: Record<HealthState, number> = { healthy: 0, unknown: 1, degraded: 2, unhealthy: 3 };

/**
 * Chooses where a request goes, in this order:
 * 1. only regions not yet tried and not unhealthy (panic: when no region at all
 *    is healthy, health is ignored, as Envoy does, rather than failing every request);
 * 2. among those with traffic weight: the client's affinity region, else the
 *    router's pick by geography (when it has a client address), else smooth
 *    weighted round-robin;
 * 3. none with weight (the active region just died and the failover manager has
 *    not moved the weights yet): spill over by priority, then health, then list
 *    order, the router picking by geography among equals.
 */
export class RegionChooser {
  readonly #picker = new WeightedPicker();

  constructor(readonly router: Router | undefined) {}

  /** Whether any region could still take an attempt (cheap, synchronous). */
  hasCandidate(input: Omit<ChoiceInput, 'clientAddress' | 'affinityRegion'>): boolean {
    const panic = isPanic(input);
    return input.regions.some((r) => !input.tried.has(r.id) && (panic || input.state(r.id) !== 'unhealthy'));
  }

  /** The next region, or undefined when none is left (a promise only when the router answers asynchronously). */
  choose(input: ChoiceInput): Choice | undefined | Promise<Choice | undefined> {
    const panic = isPanic(input);
    const pool = input.regions.filter((r) => !input.tried.has(r.id) && (panic || input.state(r.id) !== 'unhealthy'));
    if (pool.length === 0) return undefined;
    const weighted = pool.filter((r) => (input.weights[r.id] ?? 0) > 0);
    if (weighted.length > 0) {
      const sticky = input.affinityRegion === undefined ? undefined : weighted.find((r) => r.id === input.affinityRegion);
      if (sticky) return { region: sticky, reason: panic ? 'panic' : 'affinity', panic };
      const byWeight = (): Choice => {
        const id = this.#picker.pick(input.weights, new Set(weighted.map((r) => r.id)));
        const region = weighted.find((r) => r.id === id) ?? weighted[0]!;
        return { region, reason: panic ? 'panic' : 'weight', panic };
      };
      if (weighted.length === 1 || !this.router || input.clientAddress === undefined) return byWeight();
      return then(this.#geo(weighted, input.clientAddress), (geo) => (geo ? { region: geo, reason: panic ? 'panic' : 'geo', panic } : byWeight()));
    }
    const ranked = pool
      .map((region, index) => ({ region, index, priority: region.priority ?? 0, rank: HEALTH_RANK[input.state(region.id)] }))
      .sort((a, b) => a.priority - b.priority || a.rank - b.rank || a.index - b.index);
    const best = ranked.filter((c) => c.priority === ranked[0]!.priority && c.rank === ranked[0]!.rank).map((c) => c.region);
    const spill = (geo: TrafficRegion | undefined): Choice => ({ region: geo ?? best[0]!, reason: panic ? 'panic' : 'spillover', panic });
    return best.length > 1 ? then(this.#geo(best, input.clientAddress), spill) : spill(undefined);
  }

  #geo(among: readonly TrafficRegion[], clientAddress: string | undefined): TrafficRegion | undefined | Promise<TrafficRegion | undefined> {
    if (!this.router || clientAddress === undefined) return undefined;
    const pick = (decision: RouteDecision): TrafficRegion | undefined => among.find((r) => r.id === decision.region);
    // No location, no eligible region in the router's view, a bad address: weights decide.
    const none = (): undefined => undefined;
    try {
      const decision = this.router.route({ ip: clientAddress, allowedRegions: among.map((r) => r.id) });
      return decision instanceof Promise ? decision.then(pick, none) : pick(decision);
    } catch {
      return undefined;
    }
  }
}

// Applies `f` now for a plain value, later for a promise: the synchronous path stays synchronous.
function then<T, U>(value: T | Promise<T>, f: (v: T) => U): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

function isPanic(input: Pick<ChoiceInput, 'regions' | 'state'>): boolean {
  return input.regions.length > 0 && input.regions.every((r) => input.state(r.id) === 'unhealthy');
}
