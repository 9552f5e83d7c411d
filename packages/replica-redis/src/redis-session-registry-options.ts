import { parseRedisConnectionOptions, redisConnectionOptionsSchema, type ParsedRedisConnectionOptions, type RedisConnectionOptions } from './redis-connection-options.js';

/** @internal */
export const redisSessionRegistryOptionsSchema = redisConnectionOptionsSchema('meridian:registry');

/** Options of {@link createRedisSessionRegistry} and `RedisSessionRegistry.connect`: the replica store's connection options. */
export interface RedisSessionRegistryOptions extends RedisConnectionOptions {
  /** Start of every Redis key the registry uses; registries with the same prefix share the sessions. Default `meridian:registry`. */
  prefix?: string;
}

/**
 * Validates options; throws `INVALID_CONFIG` naming each bad path and value,
 * with any password in `url` hidden.
 */
export function parseRedisSessionRegistryOptions(input: unknown): ParsedRedisConnectionOptions {
  return parseRedisConnectionOptions(redisSessionRegistryOptionsSchema, input, 'RedisSessionRegistry options');
}
