import { hasMethods, invalidConfig, parseOptions } from '@meridian/core/spi';
import { z } from 'zod';
import type { RedisClientLike } from './redis-client-like.js';

const isRedisUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
};

/**
 * How a Redis-backed object of this package reaches its server, and where its
 * keys live: shared by `RedisReplicaStore` and `RedisSessionRegistry`.
 */
export interface RedisConnectionOptions {
  /** `redis://[[user]:password@]host[:port][/db]`, or `rediss://` for TLS. The object connects and owns this client. Give this or `client`. */
  url?: string;
  /** A node-redis client the host already has, connected (or connecting). Reused as is; `close()` leaves it open. Give this or `url`. */
  client?: RedisClientLike;
  /** Start of every Redis key the object uses; objects with the same prefix share the data. */
  prefix?: string;
  /** Bound on each connection attempt, with `url`. Default 5000. */
  connectTimeoutMillis?: number;
  /** Bound on each Redis call; past it the call fails with `STORE_UNAVAILABLE`. Default 10000. */
  commandTimeoutMillis?: number;
}

/**
 * @internal The schema of {@link RedisConnectionOptions}; only the default
 * prefix differs between the objects (so two kinds never share keys by default).
 */
export function redisConnectionOptionsSchema(defaultPrefix: string) {
  return z
    .object({
      url: z.string().refine(isRedisUrl, 'must be a redis:// or rediss:// URL with a host').optional(),
      client: z.custom<RedisClientLike>((v) => hasMethods(v, ['sendCommand']) && typeof (v as RedisClientLike).isOpen === 'boolean', 'must be a node-redis client (createClient())').optional(),
      prefix: z
        .string()
        .min(1)
        .max(200)
        .regex(/^[^\s\u0000-\u001f\u007f]+$/, 'must have no spaces or control characters')
        .default(defaultPrefix),
      connectTimeoutMillis: z.number().int().positive().max(600_000).optional(),
      commandTimeoutMillis: z.number().int().positive().max(600_000).default(10_000),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.url === undefined && o.client === undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give url (redis://host:port) or client' });
      if (o.url !== undefined && o.client !== undefined) ctx.addIssue({ code: 'custom', path: ['client'], message: 'give url or client, not both' });
      if (o.client !== undefined && o.connectTimeoutMillis !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['connectTimeoutMillis'], message: 'applies to url only: a given client connects with its own settings' });
      }
      if (o.client !== undefined && !o.client.isOpen) ctx.addIssue({ code: 'custom', path: ['client'], message: 'must be connected (call client.connect() first)' });
    });
}

/** Options after validation, defaults applied. */
export type ParsedRedisConnectionOptions = z.output<ReturnType<typeof redisConnectionOptionsSchema>>;

/**
 * Validates options against `schema`; throws `INVALID_CONFIG` (`Invalid
 * <where>`) naming each bad path and value, with any password in `url` hidden.
 */
export function parseRedisConnectionOptions(schema: ReturnType<typeof redisConnectionOptionsSchema>, input: unknown, where: string): ParsedRedisConnectionOptions {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // Messages render the values they reject: render them from a copy whose url shows no password.
  const shown = input !== null && typeof input === 'object' && 'url' in input ? { ...input, url: redactUrl((input as { url: unknown }).url) } : input;
  parseOptions(schema, shown, where);
  throw invalidConfig(where, [{ path: 'url', message: 'must be a redis:// or rediss:// URL with a host', value: '[redacted]' }]);
}

/** The URL with everything between `://` and the last `@` (user and password) replaced. */
export function redactUrl(url: unknown): unknown {
  if (typeof url !== 'string') return url;
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = url.indexOf('://');
  const start = scheme >= 0 && scheme < at ? scheme + 3 : 0;
  return `${url.slice(0, start)}[redacted]${url.slice(at)}`;
}
