import { MAX_TIMER_MILLIS } from '@meridian/core';
import { z } from 'zod';

/** What a webhook may ask for in `alerts.webhooks[].events`, and the core alert types each one means. */
export const ALERT_EVENTS = {
  'region:unhealthy': ['region-unhealthy'],
  'region:degraded': ['region-degraded'],
  'region:healthy': ['region-recovered'],
  'failover:started': ['failover-started'],
  failover: ['failover-completed', 'failover-failed', 'no-healthy-region'],
  'sync:lag': ['sync-lag', 'sync-recovered'],
  'session:lost': ['session-lost'],
  'migration:failed': ['migration-failed'],
} as const satisfies Record<string, readonly string[]>;

/** One of {@link ALERT_EVENTS}' names. */
export type AlertEventName = keyof typeof ALERT_EVENTS;

const eventNames = Object.keys(ALERT_EVENTS) as [AlertEventName, ...AlertEventName[]];
const millis = z.number().int().positive().max(MAX_TIMER_MILLIS, `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`);

/** @internal `alerts:` of the config: webhooks POSTed JSON for what the engines report. */
export const alertsSchema = z
  .object({
    webhooks: z
      .array(
        z
          .object({
            url: z.string().refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), 'must be an absolute http(s) URL'),
            name: z.string().min(1).max(100).optional(),
            events: z.array(z.enum(eventNames, { error: `must be one of ${eventNames.join(', ')}` })).min(1, 'list at least one event, or leave events out for all').optional(),
            format: z.enum(['generic', 'slack']).default('generic'),
          })
          .strict(),
      )
      .min(1, 'at least one webhook is required'),
    timeoutMillis: millis.default(5_000),
    maxAttempts: z.number().int().min(1).max(10).default(3),
    retryDelayMillis: millis.default(1_000),
    dedupeWindowMillis: z.number().int().min(0).max(MAX_TIMER_MILLIS).default(60_000),
  })
  .strict();
