import { z } from 'zod';
import { MAX_TIMER_MILLIS } from '@meridian/core';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;

const millis = z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE);

/** @internal */
export const retrySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20).default(5),
    baseDelayMillis: millis.default(200),
    maxDelayMillis: millis.default(10_000),
    maxRetryAfterMillis: millis.default(60_000),
  })
  .strict();

/** @internal */
export type ResolvedRetry = z.output<typeof retrySchema>;

/** Retries of requests the apiserver throttled (429), failed (5xx) or that did not connect. */
export interface KubeRetryOptions {
  /** Attempts in all, the first included. Default 5. */
  maxAttempts?: number;
  /** First backoff; doubles per attempt, with jitter. Default 200. */
  baseDelayMillis?: number;
  /** Longest backoff. Default 10000. */
  maxDelayMillis?: number;
  /** A `Retry-After` longer than this is cut to it. Default 60000. */
  maxRetryAfterMillis?: number;
}

/**
 * The wait before attempt `attempt + 1` (attempt counts from 1): the server's
 * `Retry-After` when it sent one, else exponential backoff with "equal jitter"
 * (half fixed, half random), so many clients do not retry in lock-step.
 */
export function retryDelay(policy: ResolvedRetry, attempt: number, retryAfterSeconds: number | undefined, random: () => number): number {
  if (retryAfterSeconds !== undefined && retryAfterSeconds >= 0) return Math.min(retryAfterSeconds * 1000, policy.maxRetryAfterMillis);
  const exp = Math.min(policy.maxDelayMillis, policy.baseDelayMillis * 2 ** (attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** Reads `Retry-After` (seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}
