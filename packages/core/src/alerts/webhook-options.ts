import type { Dispatcher } from 'undici';
import { z } from 'zod';
import { millisSchema, nonNegativeMillisSchema } from '../config/millis-schema.js';
import type { Clock } from '../clock/clock.js';
import { hasMethods } from '../config/has-methods.js';
import { invalidConfig, parseOptions } from '../config/parse-options.js';
import type { AlertSeverity, AlertType } from './alert-types.js';
import { describeUrl } from './redact.js';

const millis = millisSchema;
const severity = z.enum(['info', 'warning', 'critical']);

const webhookSchema = z
  .object({
    url: z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL'),
    name: z.string().min(1).max(100).optional(),
    format: z.enum(['generic', 'slack']).default('generic'),
    headers: z.record(z.string(), z.string()).optional(),
    minSeverity: severity.default('info'),
    types: z.array(z.string().min(1)).min(1, 'list at least one alert type, or leave types out for all').optional(),
  })
  .strict();

/** @internal */
export const webhookNotifierOptionsSchema = z
  .object({
    webhooks: z.array(webhookSchema).min(1, 'at least one webhook is required'),
    dedupeWindowMillis: nonNegativeMillisSchema.default(300_000),
    timeoutMillis: millis.default(10_000),
    retry: z
      .object({
        maxAttempts: z.number().int().min(1).max(20).default(5),
        initialDelayMillis: millis.default(1_000),
        maxDelayMillis: millis.optional(),
        maxRetryAfterMillis: millis.default(300_000),
        jitterFraction: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      // The default largest delay follows a longer initial one instead of refusing it.
      .transform((r) => ({ ...r, maxDelayMillis: r.maxDelayMillis ?? Math.max(60_000, r.initialDelayMillis) }))
      .prefault({}),
    rateLimit: z
      .object({
        perMinute: z.number().positive().max(60_000).default(20),
        burst: z.number().int().min(1).max(10_000).default(5),
      })
      .strict()
      .prefault({}),
    maxPendingPerWebhook: z.number().int().min(1).max(100_000).default(100),
    syncLagThresholdMillis: nonNegativeMillisSchema.default(0),
    shutdownTimeoutMillis: nonNegativeMillisSchema.default(5_000),
    clock: z.custom<Clock>((v) => hasMethods(v, ['now', 'setTimeout']), 'must be a Clock (with now, setTimeout)').optional(),
    dispatcher: z.custom<Dispatcher>((v) => hasMethods(v, ['dispatch']), 'must be an undici Dispatcher (with dispatch)').optional(),
    random: z.custom<() => number>((v) => typeof v === 'function', 'must be a function returning [0, 1)').optional(),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.retry.maxDelayMillis < o.retry.initialDelayMillis) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'maxDelayMillis'], message: `must be at least retry.initialDelayMillis (${o.retry.initialDelayMillis})` });
    }
  });

/** @internal */
export type ResolvedWebhookNotifierOptions = z.output<typeof webhookNotifierOptionsSchema>;

/** One webhook alerts are POSTed to. */
export interface WebhookTarget {
  /** Where to POST. Treated as a secret: never logged, never in errors or events (the name is used instead). */
  url: string;
  /** Shown in events and errors. Default `webhook[<index>] (<scheme>://<host>/…)`. */
  name?: string;
  /** `generic` JSON (default) or `slack` (an incoming-webhook `{ text, blocks }`). */
  format?: 'generic' | 'slack';
  /** Extra request headers (e.g. an Authorization header; never logged). */
  headers?: Record<string, string>;
  /** Alerts below this are not sent to this webhook. Default `info` (all). */
  minSeverity?: AlertSeverity;
  /** Only these alert types go to this webhook (others are skipped for it, without an event). Default all. */
  types?: AlertType[];
}

/** Retries of a webhook that answers 5xx or 429, or cannot be reached. */
export interface AlertRetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** Delay before the second attempt; doubles each time. Default 1000. */
  initialDelayMillis?: number;
  /** Largest backoff delay; >= initialDelayMillis. Default 60000, or initialDelayMillis when that is longer. */
  maxDelayMillis?: number;
  /** A `Retry-After` asking for longer than this fails the alert instead of waiting. Default 300000. */
  maxRetryAfterMillis?: number;
  /** ± this fraction of randomness on each backoff delay (not on Retry-After). Default 0.2. */
  jitterFraction?: number;
}

/** Token-bucket rate limit per webhook: alerts over it wait their turn (up to `maxPendingPerWebhook`). */
export interface AlertRateLimitOptions {
  /** Sustained alerts per minute. Default 20. */
  perMinute?: number;
  /** Alerts that may go at once after a quiet period. Default 5. */
  burst?: number;
}

/** Options of {@link WebhookNotifier}. */
export interface WebhookNotifierOptions {
  /** Where alerts go (at least one). */
  webhooks: WebhookTarget[];
  /** The same alert key within this window is sent once; 0 turns deduplication off. Default 300000 (5 minutes). */
  dedupeWindowMillis?: number;
  /** Time limit of one POST. Default 10000. */
  timeoutMillis?: number;
  /** Retries on 5xx, 429 and network errors. */
  retry?: AlertRetryOptions;
  /** Rate limit per webhook. */
  rateLimit?: AlertRateLimitOptions;
  /** Alerts waiting per webhook (rate limit, retries); beyond it new ones are dropped (`queue-full`). Default 100. */
  maxPendingPerWebhook?: number;
  /** `sync:lag` events under this lag raise no alert (sync's own `lagThresholdMillis` decides when they fire). Default 0. */
  syncLagThresholdMillis?: number;
  /** Default time `close()` lets pending alerts drain before dropping them. Default 5000. */
  shutdownTimeoutMillis?: number;
  /** Time source for backoff, rate limit, dedupe and timeouts. Default the system clock. */
  clock?: Clock;
  /** undici dispatcher for the POSTs (a proxy agent, a mock). Default undici's global dispatcher. */
  dispatcher?: Dispatcher;
  /** Random source for jitter, 0 <= x < 1. Default Math.random. */
  random?: () => number;
}

const WHERE = 'WebhookNotifier options';

/** @internal Validates; rejected values are rendered with every webhook URL reduced to scheme and host. */
export function parseWebhookNotifierOptions(input: unknown): ResolvedWebhookNotifierOptions {
  const result = webhookNotifierOptionsSchema.safeParse(input);
  if (result.success) return result.data;
  const hooks = (input as { webhooks?: unknown } | null)?.webhooks;
  const shown = Array.isArray(hooks)
    ? {
        ...(input as object),
        webhooks: hooks.map((h: unknown) => (h !== null && typeof h === 'object' && typeof (h as { url?: unknown }).url === 'string' ? { ...h, url: describeUrl((h as { url: string }).url) } : h)),
      }
    : input;
  parseOptions(webhookNotifierOptionsSchema, shown, WHERE);
  throw invalidConfig(WHERE, [{ path: 'webhooks', message: 'a webhook url is invalid', value: '[redacted]' }]);
}
