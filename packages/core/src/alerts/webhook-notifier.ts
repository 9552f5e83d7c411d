import { systemClock, type Clock } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import { invalidConfig } from '../config/parse-options.js';
import type { Disposable } from '../events/disposable.js';
import { TypedEmitter, type EventSource, type Listener, type WithErrorEvent } from '../events/typed-emitter.js';
import { MeridianError } from '../errors/meridian-error.js';
import { TokenBucket } from '../sync/token-bucket.js';
import { genericPayload, slackPayload } from './alert-payload.js';
import type { Alert, AlertEvents, AlertInput, AlertSeverity } from './alert-types.js';
import { DedupeWindow } from './dedupe-window.js';
import { watchSources, type AlertSources } from './engine-alerts.js';
import { deliver, type DeliveryContext, type ResolvedWebhook } from './post-webhook.js';
import { describeUrl } from './redact.js';
import { parseWebhookNotifierOptions, type ResolvedWebhookNotifierOptions, type WebhookNotifierOptions } from './webhook-options.js';

const RANK: Record<AlertSeverity, number> = { info: 0, warning: 1, critical: 2 };

interface Lane {
  readonly hook: ResolvedWebhook;
  readonly bucket: TokenBucket;
  pending: number;
  tail: Promise<void>;
}

/**
 * Sends alerts to webhooks (generic JSON or Slack) for what the engines report:
 * region health changes, failovers, failed migrations, sync lag. Each webhook
 * has its own ordered lane with a token-bucket rate limit and retries with
 * exponential backoff (honouring `Retry-After`); the same alert key within
 * `dedupeWindowMillis` is sent once. Webhook URLs are secrets: events and
 * errors name a webhook, never show its URL. Sending never throws into the
 * engines; outcomes are `alert:sent`, `alert:failed` and `alert:dropped`.
 */
export class WebhookNotifier implements EventSource<WithErrorEvent<AlertEvents>> {
  declare readonly '~events'?: WithErrorEvent<AlertEvents>;
  readonly #o: ResolvedWebhookNotifierOptions;
  readonly #clock: Clock;
  readonly #events = new TypedEmitter<AlertEvents>();
  readonly #lanes: Lane[];
  readonly #dedupe: DedupeWindow;
  readonly #stop = new AbortController();
  readonly #ctx: DeliveryContext;
  #subscriptions: Disposable[] = [];
  #closing: Promise<void> | undefined;

  constructor(options: WebhookNotifierOptions) {
    this.#o = parseWebhookNotifierOptions(options);
    this.#clock = this.#o.clock ?? systemClock;
    const names = new Set<string>();
    this.#lanes = this.#o.webhooks.map((w, index) => {
      const name = w.name ?? `webhook[${index}] (${describeUrl(w.url)})`;
      if (names.has(name)) throw invalidConfig('WebhookNotifier options', [{ path: `webhooks[${index}].name`, message: 'duplicate webhook name', value: JSON.stringify(name) }]);
      names.add(name);
      const hook: ResolvedWebhook = { name, url: w.url, format: w.format, headers: w.headers ?? {}, minSeverity: w.minSeverity, types: w.types ? new Set(w.types) : undefined };
      const bucket = new TokenBucket({ ratePerSecond: this.#o.rateLimit.perMinute / 60, burst: this.#o.rateLimit.burst, clock: this.#clock });
      return { hook, bucket, pending: 0, tail: Promise.resolve() };
    });
    this.#dedupe = new DedupeWindow(this.#o.dedupeWindowMillis);
    this.#ctx = {
      clock: this.#clock,
      dispatcher: this.#o.dispatcher,
      timeoutMillis: this.#o.timeoutMillis,
      retry: this.#o.retry,
      random: this.#o.random ?? Math.random,
      signal: this.#stop.signal,
    };
  }

  on<K extends keyof WithErrorEvent<AlertEvents> & string>(name: K, listener: Listener<WithErrorEvent<AlertEvents>[K]>): Disposable {
    return this.#events.on(name, listener);
  }

  once<K extends keyof WithErrorEvent<AlertEvents> & string>(name: K, listener: Listener<WithErrorEvent<AlertEvents>[K]>): Disposable {
    return this.#events.once(name, listener);
  }

  /** The webhooks' names, as events show them. */
  get webhooks(): string[] {
    return this.#lanes.map((l) => l.hook.name);
  }

  /** Alerts queued or being sent, over every webhook. */
  get pending(): number {
    return this.#lanes.reduce((n, l) => n + l.pending, 0);
  }

  /**
   * Raises alerts from the engines given (health changes, failovers as they start and end, failed
   * migrations, sync lag over `syncLagThresholdMillis`). The Disposable stops
   * watching them; `close()` does too.
   */
  watch(sources: AlertSources): Disposable {
    if (this.#closing) throw new MeridianError('SHUT_DOWN', 'WebhookNotifier was shut down');
    const subs = watchSources(sources, (alert) => this.notify(alert), this.#o.syncLagThresholdMillis);
    this.#subscriptions.push(...subs);
    return {
      dispose: () => {
        for (const sub of subs) sub.dispose();
        this.#subscriptions = this.#subscriptions.filter((s) => !subs.includes(s));
      },
    };
  }

  /**
   * Queues an alert for every webhook whose `types` (when given) and `minSeverity` admit it (a host's
   * own alerts too). Returns at once; the outcome comes as events. INVALID_ARGUMENT
   * for an alert without type, severity or message.
   */
  notify(input: AlertInput): void {
    const alert = this.#toAlert(input);
    if (this.#closing) {
      this.#events.emit('alert:dropped', { alert, webhook: undefined, reason: 'shutdown' });
      return;
    }
    if (!this.#dedupe.admit(alert.key, alert.timestamp)) {
      this.#events.emit('alert:dropped', { alert, webhook: undefined, reason: 'duplicate' });
      return;
    }
    for (const lane of this.#lanes) {
      // A webhook that chose its types does not want the others: a filter, not a drop.
      if (lane.hook.types && !lane.hook.types.has(alert.type)) continue;
      if (RANK[alert.severity] < RANK[lane.hook.minSeverity]) {
        this.#events.emit('alert:dropped', { alert, webhook: lane.hook.name, reason: 'below-min-severity' });
      } else if (lane.pending >= this.#o.maxPendingPerWebhook) {
        this.#events.emit('alert:dropped', { alert, webhook: lane.hook.name, reason: 'queue-full' });
      } else {
        lane.pending += 1;
        lane.tail = lane.tail.then(() => this.#send(lane, alert)).finally(() => void (lane.pending -= 1));
      }
    }
  }

  /**
   * Stops watching, lets pending alerts drain for up to `timeoutMillis`
   * (default `shutdownTimeoutMillis`, on the notifier's clock), then drops the
   * rest (`alert:dropped`, reason `shutdown`) and aborts sends in flight.
   * Idempotent; resolves when nothing is left running. Listeners stay
   * subscribed, so they hear the last `alert:sent` and `alert:dropped`.
   */
  close(options: { timeoutMillis?: number } = {}): Promise<void> {
    this.#closing ??= this.#close(options.timeoutMillis ?? this.#o.shutdownTimeoutMillis);
    return this.#closing;
  }

  /** Calls `close()` (default drain time), for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @deprecated Use `close()`. */
  shutdown(options: { timeoutMillis?: number } = {}): Promise<void> {
    return this.close(options);
  }

  async #close(timeoutMillis: number): Promise<void> {
    for (const sub of this.#subscriptions.splice(0)) sub.dispose();
    const drained = Promise.all(this.#lanes.map((l) => l.tail));
    if (this.pending > 0 && timeoutMillis > 0) {
      const cancel = new AbortController();
      await Promise.race([drained, sleep(this.#clock, timeoutMillis, cancel.signal).catch(() => undefined)]);
      cancel.abort();
    }
    this.#stop.abort(new MeridianError('SHUT_DOWN', 'WebhookNotifier was shut down'));
    await drained;
  }

  async #send(lane: Lane, alert: Alert): Promise<void> {
    const { hook } = lane;
    try {
      if (this.#stop.signal.aborted) throw this.#stop.signal.reason;
      await lane.bucket.take(1, this.#stop.signal);
    } catch {
      this.#events.emit('alert:dropped', { alert, webhook: hook.name, reason: 'shutdown' });
      return;
    }
    const body = JSON.stringify(hook.format === 'slack' ? slackPayload(alert) : genericPayload(alert));
    const result = await deliver(hook, body, this.#ctx);
    if (result.ok) this.#events.emit('alert:sent', { alert, webhook: hook.name, attempts: result.attempts, status: result.status });
    else if (result.aborted) this.#events.emit('alert:dropped', { alert, webhook: hook.name, reason: 'shutdown' });
    else this.#events.emit('alert:failed', { alert, webhook: hook.name, attempts: result.attempts, error: result.error });
  }

  #toAlert(input: AlertInput): Alert {
    const bad = (path: string, message: string): never => {
      throw new MeridianError('INVALID_ARGUMENT', `Invalid alert: ${path} ${message}`, { details: { path } });
    };
    if (typeof input?.type !== 'string' || input.type.length === 0) bad('type', 'must be a non-empty string');
    if (!(input.severity in RANK)) bad('severity', 'must be info, warning or critical');
    if (typeof input.message !== 'string' || input.message.length === 0) bad('message', 'must be a non-empty string');
    if (input.region !== undefined && typeof input.region !== 'string') bad('region', 'must be a string');
    return {
      type: input.type,
      severity: input.severity,
      region: input.region,
      message: input.message,
      details: input.details ?? {},
      key: input.key ?? `${input.type}:${input.region ?? ''}:${input.message}`,
      timestamp: this.#clock.now(),
    };
  }
}
