import { randomUUID } from 'node:crypto';
import PQueue from 'p-queue';
import { systemClock, type Clock } from '../clock/clock.js';
import { parseOptions } from '../config/parse-options.js';
import type { DeployProgress, DeploySpec, TrafficWeights } from '../contracts/region-provider.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { guardMetrics } from '../metrics/guard-metrics.js';
import { MERIDIAN_METRICS } from '../metrics/meridian-metrics.js';
import type { Counter } from '../metrics/metrics.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import { OperationHandle, type Operation } from '../failover/operation.js';
import { deployerOptionsSchema, deployRequestSchema, type MultiRegionDeployerOptions } from './deploy-options.js';
import type { DeployRequest } from './deploy-request.js';
import { parseDeployState } from './deploy-state.js';
import type { DeployEvents, DeploymentProgress, DeploymentReport, DeployOutcome, DeployState, RegionDeployState } from './deploy-types.js';
import { resolveRegionConfigs } from './region-config.js';

/** A running deployment: awaitable, cancellable, with progress, and serializable to resume elsewhere. */
export interface DeployOperation extends Operation<DeploymentReport, DeploymentProgress> {
  /** A JSON-safe copy of where every region stands; give it to `resume()` after a crash. */
  state(): DeployState;
}

class DeployHandle extends OperationHandle<DeploymentReport, DeploymentProgress, 'deploy'> implements DeployOperation {
  constructor(private readonly current: DeployState) {
    super(current.id, 'deploy');
  }

  state(): DeployState {
    return structuredClone(this.current);
  }
}

/**
 * Deploys one spec to many regions in parallel (`concurrency` at a time)
 * through any RegionProvider, with per-region overrides, progress events,
 * cancellation that reaches every provider call, a failure policy
 * (`continue` or `rollback`), the strategy's traffic weights applied at the
 * end, and a serializable state that `resume()` picks up without redoing the
 * regions that finished.
 */
export class MultiRegionDeployer implements EventSource<WithErrorEvent<DeployEvents>> {
  declare readonly '~events'?: WithErrorEvent<DeployEvents>;
  readonly #o: ReturnType<typeof parseOptions<MultiRegionDeployerOptions>> & { concurrency: number; regionTimeoutMillis: number };
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<DeployEvents>();
  readonly #deploys: Counter;

  constructor(options: MultiRegionDeployerOptions) {
    this.#o = parseOptions(deployerOptionsSchema, options, 'MultiRegionDeployer options') as never;
    this.#clock = this.#o.clock ?? systemClock;
    this.#deploys = guardMetrics(this.#o.metrics ?? noopMetrics).counter(MERIDIAN_METRICS.deploys);
  }

  on<K extends keyof WithErrorEvent<DeployEvents> & string>(name: K, listener: Listener<WithErrorEvent<DeployEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<DeployEvents> & string>(name: K, listener: Listener<WithErrorEvent<DeployEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** Starts a deployment. Bad input throws `INVALID_CONFIG` at once and deploys nothing. */
  deploy(request: DeployRequest): DeployOperation {
    const r = parseOptions(deployRequestSchema, request, 'deploy request');
    // The overrides were checked field by field just below; the schema only saw an object.
    const spec = r.spec as DeploySpec;
    const configs = resolveRegionConfigs(spec);
    const state: DeployState = {
      version: 1,
      id: randomUUID(),
      spec,
      strategy: r.strategy,
      primary: r.strategy === 'active-passive' ? (r.primary ?? spec.regions[0]) : r.primary,
      onFailure: r.onFailure,
      applyTraffic: r.applyTraffic,
      ...(r.fencingToken !== undefined ? { fencingToken: r.fencingToken } : {}),
      startedAt: this.#clock.now(),
      regions: configs.map((config) => ({ regionId: config.regionId, status: 'pending', config, steps: [] })),
    };
    return this.#run(state, r.signal);
  }

  /**
   * Continues a deployment from `state()` taken earlier (in this process or
   * another): regions already `completed` are skipped, the rest deployed again.
   */
  resume(state: DeployState, options: { signal?: AbortSignal } = {}): DeployOperation {
    const parsed = parseDeployState(state);
    for (const region of parsed.regions) {
      if (region.status !== 'completed') {
        region.status = 'pending';
        delete region.error;
      }
    }
    return this.#run(parsed, options.signal);
  }

  #run(state: DeployState, signal: AbortSignal | undefined): DeployOperation {
    const handle = new DeployHandle(state);
    return handle.start(async () => {
      const abort = signal ? AbortSignal.any([signal, handle.controller.signal]) : handle.controller.signal;
      const started = this.#clock.now();
      const resumed = state.regions.filter((r) => r.status === 'completed').map((r) => r.regionId);
      const queue = new PQueue({ concurrency: this.#o.concurrency });
      const stopAll = new AbortController(); // rollback: one failure stops the others
      const combined = AbortSignal.any([abort, stopAll.signal]);
      const counts = () => ({
        completed: state.regions.filter((r) => r.status === 'completed').length,
        failed: state.regions.filter((r) => r.status === 'failed').length,
      });
      const todo = state.regions.filter((r) => r.status !== 'completed');
      await Promise.all(
        todo.map((region) =>
          queue.add(async () => {
            if (combined.aborted) return;
            await this.#deployRegion(state, region, combined, (step) => {
              const progress: DeploymentProgress = { id: state.id, step, ...counts(), total: state.regions.length };
              this.#events.emit('deploy:progress', progress);
              handle.report(progress);
            });
            if (region.status === 'failed' && state.onFailure === 'rollback') stopAll.abort(new Error(`${region.regionId} failed`));
          }),
        ),
      );
      // Regions that never started, or were cut short, are reported as such: nothing is left unaccounted.
      for (const region of state.regions) {
        if (region.status === 'pending' || region.status === 'running') {
          region.status = 'cancelled';
          region.error ??= abort.aborted ? 'deployment cancelled before this region finished' : 'stopped after another region failed';
        }
      }
      const outcome = await this.#settle(state, abort.aborted);
      const weights = outcome === 'completed' || outcome === 'partial' ? await this.#applyTraffic(state, abort) : undefined;
      const durationMillis = this.#clock.now() - started;
      const serialMillis = state.regions
        .filter((r) => !resumed.includes(r.regionId) && r.startedAt !== undefined && r.finishedAt !== undefined)
        .reduce((n, r) => n + (r.finishedAt! - r.startedAt!), 0);
      const report: DeploymentReport = {
        id: state.id,
        name: state.spec.name,
        strategy: state.strategy,
        outcome,
        regions: structuredClone(state.regions),
        weights,
        durationMillis,
        serialMillis,
        // Nothing ran (every region resumed as done): no gain to report, not an infinite or zero one.
        speedup: durationMillis > 0 && serialMillis > 0 ? serialMillis / durationMillis : 1,
        resumed,
      };
      this.#deploys.inc({ outcome });
      this.#events.emit('deploy:completed', report);
      if (outcome === 'cancelled') {
        throw new MeridianError('ABORTED', `deployment ${state.id} was cancelled: ${summary(report)}`, { details: { report } });
      }
      return report;
    });
  }

  async #deployRegion(state: DeployState, region: RegionDeployState, signal: AbortSignal, onStep: (step: DeployProgress) => void): Promise<void> {
    region.status = 'running';
    region.startedAt = this.#clock.now();
    delete region.error;
    const timeout = AbortSignal.timeout(this.#o.regionTimeoutMillis);
    const { config } = region;
    try {
      const result = await this.#o.provider.deploy(
        {
          name: state.spec.name,
          regions: [region.regionId],
          ...(state.spec.workload ? { workload: state.spec.workload } : {}),
          env: config.env,
          overrides: {
            [region.regionId]: { env: config.env, replicas: config.replicas, ...(config.size ? { size: config.size } : {}), ...(config.timezone ? { timezone: config.timezone } : {}), ...(config.locale ? { locale: config.locale } : {}) },
          },
        },
        {
          signal: AbortSignal.any([signal, timeout]),
          onProgress: (step) => {
            if (step.regionId !== region.regionId) return;
            region.steps.push({ step: step.step, status: step.status, ...(step.message ? { message: step.message } : {}) });
            onStep(step);
          },
        },
      );
      const mine = result.regions.find((r) => r.regionId === region.regionId);
      if (mine?.state === 'running' || mine?.state === 'starting') {
        region.status = 'completed';
        region.endpoint = mine.endpoint;
      } else {
        region.status = 'failed';
        region.error = mine?.error ?? `provider reported ${mine?.state ?? 'nothing'} for ${region.regionId}`;
      }
    } catch (error) {
      region.status = signal.aborted ? 'cancelled' : 'failed';
      region.error = timeout.aborted && !signal.aborted ? `no result within regionTimeoutMillis=${this.#o.regionTimeoutMillis}` : error instanceof Error ? error.message : String(error);
    }
    region.finishedAt = this.#clock.now();
    if (region.status === 'completed') {
      this.#events.emit('deploy:region-completed', { id: state.id, regionId: region.regionId, endpoint: region.endpoint!, durationMillis: region.finishedAt - region.startedAt });
    } else if (region.status === 'failed') {
      this.#events.emit('deploy:region-failed', { id: state.id, regionId: region.regionId, error: region.error! });
    }
  }

  // Cancelled or rolled back: what was created is removed (never left half-made and unreported).
  async #settle(state: DeployState, cancelled: boolean): Promise<DeployOutcome> {
    const failed = state.regions.some((r) => r.status === 'failed');
    const rollback = !cancelled && failed && state.onFailure === 'rollback';
    const cleanup = state.regions.filter((r) => (rollback && r.status === 'completed') || r.status === 'cancelled' || (rollback && r.status === 'failed'));
    if (cleanup.length > 0) {
      try {
        await this.#o.provider.destroy(cleanup.map((r) => r.regionId));
        for (const r of cleanup) if (r.status === 'completed' || (rollback && r.status === 'failed')) r.status = 'rolled-back';
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        for (const r of cleanup) r.error = `${r.error ? `${r.error}; ` : ''}cleanup failed: ${message}`;
      }
    }
    if (cancelled) return 'cancelled';
    if (rollback) return 'rolled-back';
    const completed = state.regions.filter((r) => r.status === 'completed').length;
    if (completed === state.regions.length) return 'completed';
    return completed > 0 ? 'partial' : 'failed';
  }

  async #applyTraffic(state: DeployState, signal: AbortSignal): Promise<TrafficWeights | undefined> {
    if (!state.applyTraffic) return undefined;
    const live = state.regions.filter((r) => r.status === 'completed').map((r) => r.regionId);
    const serving = state.strategy === 'active-passive' ? [live.includes(state.primary ?? '') ? state.primary! : live[0]!] : live;
    const weights = Object.fromEntries(state.spec.regions.map((id) => [id, serving.includes(id) ? 100 : 0]));
    await this.#o.provider.setTraffic(weights, { signal, ...(state.fencingToken !== undefined ? { fencingToken: state.fencingToken } : {}) });
    return weights;
  }
}

function summary(report: DeploymentReport): string {
  const by = new Map<string, string[]>();
  for (const r of report.regions) by.set(r.status, [...(by.get(r.status) ?? []), r.regionId]);
  return [...by].map(([status, ids]) => `${status}: ${ids.join(', ')}`).join('; ');
}
