import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import type { TrafficWeights } from '../contracts/region-provider.js';
import type { Syncer } from '../contracts/syncer.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { HealthState } from '../health/health-types.js';
import type { HealthView, TrafficShifter } from './failover-options.js';
import type { FailoverKind } from './failover-types.js';
import type { Step } from './step-runner.js';

/** States that can take traffic. */
export const SERVING: ReadonlySet<HealthState> = new Set(['healthy', 'degraded']);

/** What the steps need of their manager. */
export interface StepContext {
  readonly clock: Clock;
  readonly monitor: HealthView;
  readonly shifter: TrafficShifter;
  readonly syncer: Syncer | undefined;
  readonly options: { syncTimeoutMillis: number; verifyAttempts: number; verifyIntervalMillis: number; healthWaitMillis: number };
  /** A region's health state (`unknown` when not watched). */
  state(regionId: string): HealthState;
  /** Applies weights under the lease (fenced), or throws LEASE_LOST. */
  apply(weights: TrafficWeights, kind: FailoverKind, signal?: AbortSignal): Promise<void>;
}

/** The target must be able to serve (or the caller forces it). */
export function verifyTargetStep(ctx: StepContext, to: string, force: boolean): Step {
  return {
    name: 'verify-target',
    run: async () => {
      const state = ctx.state(to);
      if (SERVING.has(state)) return `${to} is ${state}`;
      if (force) return `${to} is ${state}; forced`;
      throw new MeridianError('REGION_UNAVAILABLE', `${to} is ${state}`);
    },
  };
}

/** With a Syncer, waits until the target's lag is under `maxLagMillis`, up to `syncTimeoutMillis`. */
export function syncStep(ctx: StepContext, to: string, maxLagMillis: number): Step {
  return {
    name: 'sync',
    run: async (signal) => {
      const syncer = ctx.syncer;
      if (!syncer) return { skipped: 'no syncer attached' };
      const { syncTimeoutMillis } = ctx.options;
      const timeout = new AbortController();
      const timer = ctx.clock.setTimeout(
        () => timeout.abort(new MeridianError('TIMEOUT', `replication lag of ${to} stayed above ${maxLagMillis} ms for ${syncTimeoutMillis} ms`)),
        syncTimeoutMillis,
      );
      try {
        await syncer.waitForLag(to, maxLagMillis, { signal: AbortSignal.any([signal, timeout.signal]) });
      } catch (error) {
        throw timeout.signal.aborted ? timeout.signal.reason : error;
      } finally {
        timer.cancel();
      }
      return `lag of ${to} under ${maxLagMillis} ms`;
    },
  };
}

/** Applies `next`; undo puts `before` back. */
export function shiftStep(ctx: StepContext, next: TrafficWeights, before: TrafficWeights, kind: FailoverKind): Step {
  return {
    name: 'shift-traffic',
    run: async (signal) => {
      await ctx.apply(next, kind, signal);
      return `weights ${formatWeights(next)}`;
    },
    undo: async () => {
      await ctx.apply(before, kind);
    },
  };
}

/** Requests through the provider must reach `expected` (or, when unobservable, `expected` must be healthy). */
export function verifyRoutingStep(ctx: StepContext, expected: string[]): Step {
  return {
    name: 'verify-routing',
    run: async (signal) => {
      const seen = await observeRoute(ctx, expected, signal);
      if (seen === 'expected') return `requests answered by ${expected.join(', ')}`;
      if (seen === 'unobservable') {
        const bad = expected.filter((id) => !SERVING.has(ctx.state(id)));
        if (bad.length > 0) throw new MeridianError('REGION_UNAVAILABLE', `${bad.join(', ')} not healthy after the shift`);
        return 'routing not observable through the provider; target health checked';
      }
      throw new MeridianError(
        'REGION_UNAVAILABLE',
        `requests through the provider were answered by ${seen}, not ${expected.join(', ')}, in ${ctx.options.verifyAttempts} attempts`,
      );
    },
  };
}

/** Whether requests reach `expected` (health stands in when routing is unobservable). */
export async function routesTo(ctx: StepContext, expected: string[], signal: AbortSignal): Promise<boolean> {
  const seen = await observeRoute(ctx, expected, signal);
  return seen === 'expected' || (seen === 'unobservable' && expected.every((id) => SERVING.has(ctx.state(id))));
}

/**
 * Asks the provider which region answers, up to `verifyAttempts` times.
 * Returns `expected`, `unobservable` (the provider never told), or the region
 * that answered instead. Only a wrong answer waits before retrying
 * (propagation takes time); an unobservable route does not.
 */
export async function observeRoute(ctx: StepContext, expected: string[], signal: AbortSignal): Promise<'expected' | 'unobservable' | string> {
  const { resolveRoute } = ctx.shifter;
  if (!resolveRoute) return 'unobservable';
  const { verifyAttempts, verifyIntervalMillis } = ctx.options;
  let wrong: string | undefined;
  for (let attempt = 0; attempt < verifyAttempts; attempt++) {
    if (signal.aborted) throw signal.reason;
    const answered = await resolveRoute.call(ctx.shifter, { signal });
    if (answered !== undefined && expected.includes(answered)) return 'expected';
    if (answered === undefined) continue;
    wrong = answered;
    if (attempt + 1 < verifyAttempts) await sleep(ctx.clock, verifyIntervalMillis, signal);
  }
  return wrong ?? 'unobservable';
}

/** Resolves when `regionId` turns healthy; TIMEOUT after `healthWaitMillis`; rejects on abort. */
export function waitForServing(ctx: StepContext, regionId: string, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const { healthWaitMillis } = ctx.options;
    const timer = ctx.clock.setTimeout(() => done(new MeridianError('TIMEOUT', `${regionId} did not become healthy within ${healthWaitMillis} ms`)), healthWaitMillis);
    const sub = ctx.monitor.on('region:healthy', (e) => {
      if (e.regionId === regionId) done();
    });
    const onAbort = (): void => done(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    function done(error?: unknown): void {
      timer.cancel();
      sub.dispose();
      signal.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve();
    }
  });
}

function formatWeights(weights: TrafficWeights): string {
  return Object.entries(weights)
    .map(([id, w]) => `${id}=${Math.round(w * 100) / 100}`)
    .join(' ');
}
