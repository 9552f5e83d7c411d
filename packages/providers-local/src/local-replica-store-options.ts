import { hasMethods } from '@meridian/core/spi';
import type { Dispatcher } from 'undici';
import { z } from 'zod';

/** @internal */
export const localReplicaStoreOptionsSchema = z
  .object({
    timeoutMillis: z.number().int().positive().default(5_000),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^/?#]+$/, 'must be a base URL such as http://127.0.0.1:4000 (no path)')
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
