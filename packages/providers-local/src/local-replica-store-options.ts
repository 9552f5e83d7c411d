import { MAX_TIMER_MILLIS } from '@meridian/core';
import { endpointUrlProblem, hasMethods } from '@meridian/core/spi';
import type { Dispatcher } from 'undici';
import { z } from 'zod';

// Node fires a timer longer than 2^31-1 ms after 1 ms: longer durations are refused.
const MAX_TIMER_MESSAGE = `must be <= ${MAX_TIMER_MILLIS} (Node timers fire at once past 2^31-1 ms)`;
const BASE_URL = /^https?:\/\/[^/?#]+$/;

/** @internal */
export const localReplicaStoreOptionsSchema = z
  .object({
    timeoutMillis: z.number().int().positive().max(MAX_TIMER_MILLIS, MAX_TIMER_MESSAGE).default(5_000),
    endpoint: z
      .string()
      .regex(BASE_URL, 'must be a base URL such as http://127.0.0.1:4000 (no path)')
      .superRefine((v, ctx) => {
        // The regex above reports the shape; this adds what it cannot see (credentials, a bad port).
        const problem = BASE_URL.test(v) ? endpointUrlProblem(v) : undefined;
        if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
      })
      .optional(),
    dispatcher: z.custom<Dispatcher>((v) => hasMethods(v, ['dispatch']), 'must be an undici Dispatcher (with dispatch)').optional(),
  })
  .strict();

/** Options of {@link createLocalReplicaStore}. */
export interface LocalReplicaStoreOptions {
  /** Time limit of each call, in milliseconds; a region slower than this is `STORE_UNAVAILABLE`. Default 5000. */
  timeoutMillis?: number;
  /**
   * Base URL of a region server (`http://host:port`) to use instead of a
   * provider's region: for a region run elsewhere, or a test double.
   */
  endpoint?: string;
  /** undici dispatcher for the requests. Default: the store's own keep-alive Agent, closed by `close()`. */
  dispatcher?: Dispatcher;
}
