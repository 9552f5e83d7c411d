import { Agent } from 'undici';
import { systemClock, type Clock } from '../clock/clock.js';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { Disposable } from '../events/disposable.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import type { HealthState, PassiveOutcome } from '../health/health-types.js';
import { noopMetrics } from '../metrics/noop-metrics.js';
import { errorCode, isIdempotent, type FailureKind } from './failure-kind.js';
import { RegionChooser, type Choice } from './region-choice.js';
import { holdBody, type HeldBody } from './request-body.js';
import { RetryBudget } from './retry-budget.js';
import { forwardHeaders, sendAttempt, type Attempt } from './send-attempt.js';
import { trafficRecorder, type TrafficRecorder } from './traffic-metrics.js';
import { trafficRouterOptionsSchema, type ResolvedTrafficRouterOptions, type TrafficRegion, type TrafficRouterOptions } from './traffic-options.js';
import type { ForwardRequest, ForwardResponse, RequestFailedEvent, RetryBudgetState, TrafficEvents, TrafficRegionStats, TrafficStats } from './traffic-types.js';
import type { TrustedProxies } from './trusted-proxies.js';

/**
 * The data plane: for each request it picks a region (traffic weights, health,
 * geography, affinity), sends the request, reports the outcome to the
 * HealthMonitor (passive detection), and retries on another region what can be
 * retried safely:
 * - any method whose connection was never made (no byte of it left);
 * - idempotent methods after a reset, a timeout, an answer that is not HTTP, or
 *   a status in `retryOnStatus`, with bodies held up to `maxBufferedBodyBytes`;
 * within a retry budget, so an outage never doubles the load.
 *
 * Used by the local front door (`@meridian/providers-local`) and by
 * `createRegionDispatcher` (`@meridian/dispatcher`) for a host app's own calls.
 */
export class TrafficRouter implements EventSource<WithErrorEvent<TrafficEvents>> {
  declare readonly '~events'?: WithErrorEvent<TrafficEvents>;
  readonly #options: ResolvedTrafficRouterOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<TrafficEvents>();
  readonly #agent: Agent;
  readonly #chooser: RegionChooser;
  readonly #budget: RetryBudget;
  readonly #recorder: TrafficRecorder;
  readonly #stats: TrafficStats = { requests: 0, served: 0, failures: 0, aborted: 0, retried: 0, retries: 0, budgetExhausted: 0, panicRequests: 0, byRegion: {} };
  #panic = false;
  #closed = false;
  #closing: Promise<void> | undefined;

  constructor(options: TrafficRouterOptions) {
    this.#options = parseOptions(trafficRouterOptionsSchema, options, 'TrafficRouter options');
    this.#clock = this.#options.clock ?? systemClock;
    const { budget } = this.#options.retry;
    this.#budget = new RetryBudget(budget.percent, budget.minConcurrency, budget.queueMillis, this.#clock);
    this.#chooser = new RegionChooser(this.#options.router);
    this.#recorder = trafficRecorder(this.#options.metrics ?? noopMetrics);
    this.#agent = new Agent({
      connections: this.#options.connectionsPerRegion,
      keepAliveTimeout: 10_000,
      connect: { timeout: this.#options.connectTimeoutMillis },
    });
  }

  on<K extends keyof WithErrorEvent<TrafficEvents> & string>(name: K, listener: Listener<WithErrorEvent<TrafficEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<TrafficEvents> & string>(name: K, listener: Listener<WithErrorEvent<TrafficEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** The trusted proxies in force (from `trustedProxies`). */
  get trustedProxies(): TrustedProxies {
    return this.#options.trustedProxies;
  }

  /**
   * The client's address for a connection from `peer` carrying `forwardedFor`
   * (`X-Forwarded-For`): believed only from a trusted proxy, walked from the
   * right; a spoofed header from anyone else is ignored.
   */
  clientAddress(peer: string, forwardedFor?: string | string[]): string {
    return this.#options.trustedProxies.clientAddress(peer, forwardedFor);
  }

  /** A copy of the counters. */
  stats(): TrafficStats {
    return structuredClone(this.#stats);
  }

  /** Retries in flight, requests in flight, retries the budget refused. */
  budget(): RetryBudgetState {
    return this.#budget.state;
  }

  /** Ids of the regions it knows now. */
  regionIds(): string[] {
    return this.#regions().map((r) => r.id);
  }

  /**
   * Places and sends one request; resolves with the region's response (a 5xx
   * that could not be retried included: the client sees what the region said).
   * Rejects with REGION_UNAVAILABLE (details: tried, attempts, reason) when no
   * region answered, ABORTED when `signal` fired, SHUT_DOWN after `close()`.
   */
  async forward(req: ForwardRequest): Promise<ForwardResponse> {
    if (this.#closed) throw new MeridianError('SHUT_DOWN', 'traffic router is closed');
    const method = typeof req.method === 'string' ? req.method.toUpperCase() : '';
    if (!/^[A-Z]{1,16}$/.test(method)) {
      throw invalidConfig('TrafficRouter.forward request', [{ path: 'method', message: 'must be an HTTP method token', value: JSON.stringify(req.method) }]);
    }
    if (typeof req.path !== 'string' || !req.path.startsWith('/')) {
      throw invalidConfig('TrafficRouter.forward request', [{ path: 'path', message: 'must start with "/"', value: JSON.stringify(req.path) }]);
    }
    this.#stats.requests++;
    this.#budget.requestStarted();
    let retryToken = false;
    try {
      let held: HeldBody;
      try {
        held = await holdBody(req.body, this.#options.retry.maxBufferedBodyBytes);
      } catch (error) {
        this.#stats.aborted++;
        throw new MeridianError('ABORTED', `reading the request body failed: ${errorCode(error) ?? (error as Error).message}`, { cause: error });
      }
      const headers = forwardHeaders(req.headers ?? {});
      const tried: string[] = [];
      const triedSet = new Set<string>();
      for (let attempt = 1; ; attempt++) {
        const choice = await this.#choose(req, triedSet);
        if (choice === undefined) {
          this.#failed({ method, path: req.path, tried, attempts: attempt - 1, reason: 'no-region', at: this.#clock.now() });
          throw new MeridianError('REGION_UNAVAILABLE', 'no region can take the request: none is deployed or every one was tried', {
            details: { tried, attempts: attempt - 1 },
          });
        }
        const { region } = choice;
        tried.push(region.id);
        triedSet.add(region.id);
        const regionStats = this.#regionStats(region.id);
        regionStats.requests++;
        const result = await sendAttempt(this.#agent, this.#clock, {
          region,
          method,
          req,
          headers,
          held,
          perTryTimeoutMillis: this.#options.retry.perTryTimeoutMillis,
          bodyTimeoutMillis: this.#options.bodyTimeoutMillis,
        });
        if (retryToken) {
          this.#budget.releaseRetry();
          retryToken = false;
        }
        if (!result.ok && result.kind === 'aborted') {
          this.#stats.aborted++;
          throw new MeridianError('ABORTED', 'the request was aborted by its client', { cause: result.error, details: { tried } });
        }
        const status = result.ok ? result.statusCode : undefined;
        const failed = !result.ok || result.statusCode >= 500;
        this.#report(region.id, result);
        if (!failed) {
          regionStats.served++;
          this.#stats.served++;
          this.#recorder.client('served');
          return this.#respond(choice, attempt, result as Extract<Attempt, { ok: true }>);
        }
        regionStats.failures++;
        if (!result.ok) regionStats.gatewayFailures++;
        const reason: FailureKind | 'status' = result.ok ? 'status' : result.kind;
        const refusal = this.#retryRefusal(method, held, result, attempt, triedSet);
        if (refusal === undefined) {
          const granted = this.#budget.acquire();
          retryToken = granted instanceof Promise ? await granted : granted;
        }
        if (refusal === undefined && retryToken) {
          regionStats.retriedAway++;
          this.#stats.retries++;
          if (attempt === 1) this.#stats.retried++;
          this.#recorder.retry(region.id, reason);
          if (result.ok) result.body.resume().on('error', () => undefined);
          this.#events.emit('request:retried', { method, path: req.path, from: region.id, reason, ...(status ? { status } : {}), attempt, at: this.#clock.now() });
          continue;
        }
        const notRetried = refusal ?? 'budget';
        if (notRetried === 'budget') this.#stats.budgetExhausted++;
        this.#failed({ method, path: req.path, tried, attempts: attempt, reason, ...(status ? { status } : {}), notRetried, at: this.#clock.now() });
        if (result.ok) return this.#respond(choice, attempt, result);
        throw new MeridianError('REGION_UNAVAILABLE', `region ${region.id} gave no response (${reason}: ${errorCode(result.error) ?? 'failed'}); not retried: ${notRetried}`, {
          cause: result.error,
          details: { tried, attempts: attempt, reason, notRetried },
        });
      }
    } finally {
      if (retryToken) this.#budget.releaseRetry();
      this.#budget.requestEnded();
    }
  }

  /**
   * Closes upstream connections: requests in flight get `graceMillis` (default
   * 2000) to finish, then their sockets are destroyed, so a hung region never
   * holds a shutdown. Idempotent (a second call waits for the first);
   * awaitable; listeners stay subscribed.
   */
  close(graceMillis = 2_000): Promise<void> {
    this.#closed = true;
    this.#closing ??= this.#close(graceMillis);
    return this.#closing;
  }

  /** Calls `close()` (default grace), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(graceMillis: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), graceMillis);
      timer.unref();
    });
    const outcome = await Promise.race([this.#agent.close().then(() => 'closed' as const, () => 'closed' as const), grace]);
    clearTimeout(timer);
    if (outcome === 'late') await this.#agent.destroy().catch(() => undefined);
  }

  #regions(): TrafficRegion[] {
    const { regions } = this.#options;
    return typeof regions === 'function' ? regions() : regions;
  }

  #state = (regionId: string): HealthState => {
    const monitor = this.#options.monitor;
    if (!monitor) return 'unknown';
    try {
      return monitor.state ? monitor.state(regionId) : monitor.get(regionId).state;
    } catch {
      return 'unknown';
    }
  };

  #weights(regions: readonly TrafficRegion[]): Record<string, number> {
    return this.#options.weights?.() ?? Object.fromEntries(regions.map((r) => [r.id, 1]));
  }

  async #choose(req: ForwardRequest, tried: ReadonlySet<string>): Promise<Choice | undefined> {
    const regions = this.#regions();
    const pending = this.#chooser.choose({
      regions,
      weights: this.#weights(regions),
      state: this.#state,
      tried,
      ...(req.clientAddress !== undefined ? { clientAddress: req.clientAddress } : {}),
      ...(req.affinityRegion !== undefined ? { affinityRegion: req.affinityRegion } : {}),
    });
    // Only a router that answers asynchronously costs a turn of the event loop.
    const choice = pending instanceof Promise ? await pending : pending;
    if (choice?.panic) this.#stats.panicRequests++;
    const panic = choice?.panic ?? false;
    if (panic !== this.#panic && (choice !== undefined || tried.size === 0)) {
      this.#panic = panic;
      const at = this.#clock.now();
      if (panic) this.#events.emit('traffic:panic', { regions: regions.map((r) => r.id), at });
      else this.#events.emit('traffic:panic-ended', { at });
    }
    return choice;
  }

  // Why this failed attempt may not be retried; undefined when it may (budget aside).
  #retryRefusal(method: string, held: HeldBody, result: Attempt, attempt: number, tried: ReadonlySet<string>): RequestFailedEvent['notRetried'] {
    const neverSent = !result.ok && result.kind === 'connect';
    if (!neverSent) {
      if (!isIdempotent(method)) return 'not-idempotent';
      if (result.ok && !this.#options.retry.retryOnStatus.includes(result.statusCode)) return 'not-idempotent';
    }
    // A body streamed past the cap is gone: it cannot be sent again.
    if (held.kind === 'streamed') return 'body-too-large';
    if (attempt >= this.#options.retry.maxAttempts) return 'max-attempts';
    if (!this.#chooser.hasCandidate({ regions: this.#regions(), weights: {}, state: this.#state, tried })) return 'no-other-region';
    return undefined;
  }

  #report(regionId: string, result: Attempt): void {
    const outcome: PassiveOutcome = result.ok
      ? { ok: result.statusCode < 500, status: result.statusCode, latencyMillis: result.latencyMillis, ...(result.statusCode >= 500 ? { failure: 'error' as const } : {}) }
      : { ok: false, failure: 'gateway', latencyMillis: result.latencyMillis };
    this.#recorder.attempt(regionId, outcome.ok ? 'ok' : outcome.failure === 'gateway' ? 'gateway' : 'error');
    try {
      this.#options.monitor?.report(regionId, outcome);
    } catch {
      // A region the monitor does not watch: nothing to feed.
    }
  }

  #respond(choice: Choice, attempts: number, result: Extract<Attempt, { ok: true }>): ForwardResponse {
    const regionId = choice.region.id;
    if (result.statusCode < 500) {
      // The status was fine but the body may still break: then the client saw a failure after all.
      result.body.once('error', () => {
        const stats = this.#regionStats(regionId);
        stats.served--;
        stats.failures++;
        stats.gatewayFailures++;
        this.#stats.served--;
        this.#stats.failures++;
        this.#recorder.client('failed');
        try {
          this.#options.monitor?.report(regionId, { ok: false, failure: 'gateway' });
        } catch {
          // not watched
        }
      });
    }
    return { regionId, attempts, choice: choice.reason, statusCode: result.statusCode, headers: result.headers, body: result.body };
  }

  #failed(event: RequestFailedEvent): void {
    this.#stats.failures++;
    this.#recorder.client('failed');
    this.#events.emit('request:failed', event);
  }

  #regionStats(regionId: string): TrafficRegionStats {
    return (this.#stats.byRegion[regionId] ??= { requests: 0, failures: 0, gatewayFailures: 0, retriedAway: 0, served: 0 });
  }
}
