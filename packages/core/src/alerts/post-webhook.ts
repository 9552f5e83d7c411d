import { request, type Dispatcher } from 'undici';
import type { Clock } from '../clock/clock.js';
import { sleep } from '../clock/sleep.js';
import { MeridianError } from '../errors/meridian-error.js';
import type { AlertError } from './alert-types.js';
import { scrub } from './redact.js';
import type { ResolvedWebhookNotifierOptions } from './webhook-options.js';

/** @internal A webhook after validation, with its display name. */
export interface ResolvedWebhook {
  readonly name: string;
  readonly url: string;
  readonly format: 'generic' | 'slack';
  readonly headers: Record<string, string>;
  readonly minSeverity: 'info' | 'warning' | 'critical';
  readonly types: ReadonlySet<string> | undefined;
}

/** @internal */
export interface DeliveryContext {
  clock: Clock;
  dispatcher: Dispatcher | undefined;
  timeoutMillis: number;
  retry: ResolvedWebhookNotifierOptions['retry'];
  random: () => number;
  /** Aborted by shutdown. */
  signal: AbortSignal;
}

/** @internal How a delivery ended. */
export type DeliveryResult =
  | { ok: true; attempts: number; status: number }
  | { ok: false; attempts: number; aborted: boolean; error: AlertError };

/**
 * POSTs `body` until the webhook accepts it (2xx): retries 5xx, 429 and network
 * errors with exponential backoff (a `Retry-After` is honoured instead), at most
 * `retry.maxAttempts` times; other 4xx answers fail at once. Never throws, and
 * no message it returns contains the URL or a part of it.
 */
export async function deliver(hook: ResolvedWebhook, body: string, ctx: DeliveryContext): Promise<DeliveryResult> {
  const { retry } = ctx;
  for (let attempt = 1; ; attempt++) {
    let failure: AlertError;
    let retryAfterMillis: number | undefined;
    try {
      const { status, retryAfter } = await postOnce(hook, body, ctx);
      if (status >= 200 && status < 300) return { ok: true, attempts: attempt, status };
      failure = { code: 'WEBHOOK_FAILED', message: `${hook.name} answered HTTP ${status}`, status };
      if (status !== 429 && status < 500) {
        return { ok: false, attempts: attempt, aborted: false, error: { ...failure, message: `${failure.message}; not retried (a 4xx other than 429 will not change)` } };
      }
      retryAfterMillis = parseRetryAfter(retryAfter, ctx.clock.now());
    } catch (error) {
      if (ctx.signal.aborted) return aborted(attempt, hook);
      failure = { code: MeridianError.isInstance(error) ? error.code : 'WEBHOOK_FAILED', message: scrub(`${hook.name}: ${describe(error)}`, hook.url) };
    }
    if (attempt >= retry.maxAttempts) {
      return { ok: false, attempts: attempt, aborted: false, error: { ...failure, message: `${failure.message} (gave up after ${attempt} attempts)` } };
    }
    if (retryAfterMillis !== undefined && retryAfterMillis > retry.maxRetryAfterMillis) {
      return {
        ok: false,
        attempts: attempt,
        aborted: false,
        error: { ...failure, message: `${failure.message}; Retry-After of ${retryAfterMillis} ms exceeds retry.maxRetryAfterMillis (${retry.maxRetryAfterMillis} ms)` },
      };
    }
    const backoff = Math.min(retry.maxDelayMillis, retry.initialDelayMillis * 2 ** (attempt - 1));
    const delay = retryAfterMillis ?? Math.round(backoff * (1 + (ctx.random() * 2 - 1) * retry.jitterFraction));
    try {
      await sleep(ctx.clock, delay, ctx.signal);
    } catch {
      return aborted(attempt, hook);
    }
  }
}

async function postOnce(hook: ResolvedWebhook, body: string, ctx: DeliveryContext): Promise<{ status: number; retryAfter: string | undefined }> {
  const controller = new AbortController();
  const timer = ctx.clock.setTimeout(() => controller.abort(new MeridianError('TIMEOUT', `no answer within timeoutMillis=${ctx.timeoutMillis}`)), ctx.timeoutMillis);
  try {
    const response = await request(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'meridian-alerts', ...hook.headers },
      body,
      signal: AbortSignal.any([ctx.signal, controller.signal]),
      ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
    });
    await response.body.dump();
    const header = response.headers['retry-after'];
    return { status: response.statusCode, retryAfter: Array.isArray(header) ? header[0] : header };
  } catch (error) {
    // The abort reason (our TIMEOUT) says more than undici's generic abort error.
    if (controller.signal.aborted && !ctx.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    timer.cancel();
  }
}

/** `Retry-After` as delay-seconds or an HTTP date, in ms from `now`; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

function aborted(attempts: number, hook: ResolvedWebhook): DeliveryResult {
  return { ok: false, attempts, aborted: true, error: { code: 'SHUT_DOWN', message: `${hook.name}: notifier shut down before the alert was accepted` } };
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code ?? (error.cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}
